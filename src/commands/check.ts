// `signrelay check`: a checklist of everything the daemon needs — the configuration, the
// data directory, the mailboxes and their folders, SMTP, the signing provider and ServiceNow —
// each ✓ or ✗ with the fix. Exit 0 when all pass, 1 otherwise. Run it after every change of
// configuration or credentials, before the daemon is restarted on them.
import { configPath } from '../config/config-path.ts';
import { configWarnings } from '../config/config-warnings.ts';
import { readEnvironmentFile } from '../config/environment-file.ts';
import { loadConfigFile } from '../config/load-config.ts';
import { secretsOf } from '../config/secrets-of.ts';
import type { Config } from '../config/schema.ts';
import { createLogger, maskSecrets } from '../log.ts';
import { jsonForTerminal } from '../terminal-text.ts';
import { formatCheckLine, runChecklist, type CheckItem, type CheckLine } from '../checks/checklist.ts';
import { mailCheckItems } from '../checks/check-mail.ts';
import { storageCheckItem } from '../checks/check-storage.ts';
import { pdfReaderCheckItem } from '../checks/check-pdf-reader.ts';
import { tempDirCheckItem } from '../checks/check-temp-dir.ts';
import { otherInstancesCheckItem } from '../checks/other-instances.ts';
import { observabilityCheckItem } from '../checks/check-observability.ts';
import { serviceCheckItems } from '../checks/check-services.ts';
import { credentialCheckItem } from '../checks/check-credentials.ts';
import { serviceUserCheckItem } from '../checks/check-service-user.ts';
import { BUSY_TIMEOUT_MS, openDatabase, openMemoryDatabase } from '../store/open-database.ts';
import { parseCommand } from '../cli-io/command-args.ts';
import type { CommandIo } from './run.ts';

const USAGE = `usage: signrelay check [--json] [--config FILE] [--env-file FILE]

Checks the configuration, the data directory, IMAP (login and every folder), SMTP,
the signing provider (Secured Signing or Signicat) and ServiceNow, and prints ✓ or ✗ with the fix for each. Exit 0 when
everything passes, 1 otherwise. Warns about secrets older than credentials.max_age_days.
--env-file FILE: the service's EnvironmentFile= — its KEY=value lines alone fill \${VAR}
secrets (not this shell's environment), so the values the service will run on are the ones checked.
`;

/**
 * The environment the service's `${VAR}` secrets come from, as far as check can know it: the
 * environment file's values alone — a variable it lacks is unset in the service too, whatever
 * this shell holds (during a rotation, the old value) — with where this shell finds the
 * credential files (`{credential: NAME}`).
 */
function serviceEnvironment(file: Record<string, string>): NodeJS.ProcessEnv {
  const { CREDENTIALS_DIRECTORY, SIGNRELAY_CREDENTIALS_SOURCE } = process.env;
  return { ...(CREDENTIALS_DIRECTORY ? { CREDENTIALS_DIRECTORY } : {}), ...(SIGNRELAY_CREDENTIALS_SOURCE ? { SIGNRELAY_CREDENTIALS_SOURCE } : {}), ...file };
}

export async function runCheckCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand('check', args, { 'env-file': { type: 'string' } }, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const file = configPath(parsed.values.config);
  let config: Config | undefined;
  // A server may echo what it was sent: every configured secret is masked in the output —
  // before the text is escaped for the terminal, which would change a secret holding a `\` or
  // a control character so that it no longer matches.
  const mask = (text: string) => maskSecrets(text, config ? secretsOf(config) : []);
  const masked = (line: CheckLine): CheckLine => ({
    ...line, detail: mask(line.detail), ...(line.fix ? { fix: mask(line.fix) } : {}), ...(line.warnings ? { warnings: line.warnings.map(mask) } : {}),
  });
  const print = (line: CheckLine) => { if (!parsed.values.json) io.stdout.write(`${formatCheckLine(masked(line))}\n`); };
  const lines: CheckLine[] = [];
  try {
    const envFile = parsed.values['env-file'];
    config = loadConfigFile(file, envFile === undefined ? {} : { env: serviceEnvironment(readEnvironmentFile(envFile)) });
    const warnings = configWarnings(config);
    lines.push({ title: 'configuration', ok: true, detail: file, ...(warnings.length > 0 ? { warnings } : {}) });
  } catch (err) {
    // A file that could not be read names its own fix; a file that was read names its settings.
    const unread = ['config_unreadable', 'env_file_unreadable', 'env_file_invalid'].includes(String((err as { code?: unknown }).code));
    lines.push({ title: 'configuration', ok: false, detail: (err as Error).message, fix: `${unread ? 'as above' : 'correct the settings named above'}; nothing else can be checked until the configuration is valid` });
  }
  lines.forEach(print);
  if (lines[0]!.ok) {
    // Library chatter stays out of the checklist: only errors, masked, on stderr.
    const logger = createLogger({ level: 'error', format: 'text', secrets: secretsOf(config!), stream: io.stderr });
    // Never upgrades an older database: the daemon still running on it would be refused at its next reload.
    const openDb = () => openDatabase(config!.storage.data_dir, { upgrade: false });
    // Only Secured Signing's OAuth token chain must be kept where the daemon finds it (a renewal
    // spends the refresh token); for the rest the provider's check makes no data dir of its own.
    const keepsTokens = config!.provider.type === 'secured-signing' && config!.provider.oauth;
    const providerDb = keepsTokens ? openDb : openMemoryDatabase;
    const items: CheckItem[] = [
      storageCheckItem(config!.storage.data_dir, keepsTokens), otherInstancesCheckItem(file, config!), pdfReaderCheckItem(), tempDirCheckItem(config!.limits.max_pdf_bytes), ...mailCheckItems(config!, logger), ...serviceCheckItems(config!, providerDb, logger), credentialCheckItem(config!, openDb), observabilityCheckItem(config!),
    ];
    const serviceUser = serviceUserCheckItem(file);
    if (serviceUser) items.splice(1, 0, serviceUser);
    lines.push(...(await runChecklist(items, print, { dataDir: config!.storage.data_dir, busyTimeoutMs: BUSY_TIMEOUT_MS })));
  }
  const failures = lines.filter((l) => !l.ok).length;
  if (parsed.values.json) io.stdout.write(`${jsonForTerminal({ ok: failures === 0, checks: lines.map(masked) }, 2)}\n`);
  else io.stdout.write(failures === 0 ? '\nall checks passed\n' : `\n${failures} check(s) failed\n`);
  return failures === 0 ? 0 : 1;
}
