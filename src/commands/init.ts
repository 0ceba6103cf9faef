// `signrelay init`: writes a commented configuration from a few answers — flags for
// scripts, prompts on a terminal (or with --prompt) for whatever the flags left out. Never
// overwrites a file without --force, never writes a secret (the file refers to credential
// files or environment variables, and init says which to create), and never writes a file
// the daemon would refuse.
import { chmodSync, chownSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { makeDirectories } from '../make-directories.ts';
import { dirname, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { DEFAULT_CONFIG_PATH } from '../config/config-path.ts';
import { instanceOf, type Instance } from '../config/instance.ts';
import { parseConfigText } from '../config/load-config.ts';
import { SignrelayError } from '../errors.ts';
import { CREDENTIALS_SOURCE_DIR } from '../config/resolve-secrets.ts';
import { buildConfig, SECRETS, type InitAnswers } from '../cli-io/build-config.ts';
import type { Config } from '../config/schema.ts';
import { parseCommand } from '../cli-io/command-args.ts';
import type { CommandIo } from './run.ts';
import { shellWord } from '../service-unit.ts';

interface Question {
  flag: string;
  ask: string;
  /** The default, from the answers so far; undefined = required. */
  fallback?: (a: Partial<Record<string, string>>) => string | undefined;
  check?: (value: string) => string | undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const domainOf = (a: Partial<Record<string, string>>) => a['request-address']?.split('@')[1];

const QUESTIONS: Question[] = [
  { flag: 'request-address', ask: 'Address requesters mail PDFs to', check: (v) => (EMAIL.test(v) ? undefined : 'expected an email address like sign@corp.example') },
  { flag: 'imap-host', ask: 'IMAP server of that mailbox' },
  { flag: 'smtp-host', ask: 'SMTP server for replies', fallback: (a) => a['imap-host'] },
  { flag: 'provider-environment', ask: 'Secured Signing environment (sandbox, production or a base URL)', fallback: () => 'sandbox' },
  { flag: 'provider-api-key', ask: 'Secured Signing API key' },
  { flag: 'referer', ask: 'Referer registered with the API key', fallback: (a) => (domainOf(a) ? `https://${domainOf(a)}` : undefined) },
  { flag: 'servicenow-instance', ask: 'ServiceNow instance URL', check: (v) => (/^https?:\/\/[^/\s]+\/?$/.test(v) ? undefined : 'expected a URL like https://acme.service-now.com') },
  { flag: 'servicenow-user', ask: 'ServiceNow integration user', fallback: () => 'signrelay.integration' },
  { flag: 'allowed-senders', ask: 'Who may send requests (comma-separated addresses or *@domain)', fallback: (a) => (domainOf(a) ? `*@${domainOf(a)}` : undefined) },
  { flag: 'alerts-to', ask: 'Operator alert addresses (comma-separated, empty for none)', fallback: () => '' },
  { flag: 'data-dir', ask: 'Data directory', fallback: () => instance()?.dataDir ?? '/var/lib/signrelay', check: (v) => (isAbsolute(v) ? undefined : 'expected an absolute path like /var/lib/signrelay (the service does not start where you are)') },
];

/** The flag each setting init writes comes from: a setting the configuration's check refuses is told as that flag's answer. */
const FLAG_OF_SETTING: Array<[setting: string, flag: string]> = [
  ['mailboxes.requests.address', 'request-address'], ['mailboxes.requests.user', 'request-address'], ['mailboxes.returns.address', 'request-address'],
  ['smtp.from', 'request-address'], ['mailboxes.requests.host', 'imap-host'], ['smtp.host', 'smtp-host'],
  ['provider.environment', 'provider-environment'], ['provider.api_key', 'provider-api-key'], ['provider.referer', 'referer'],
  ['servicenow.instance_url', 'servicenow-instance'], ['servicenow.auth.user', 'servicenow-user'],
  ['routes.default.allowed_senders', 'allowed-senders'], ['alerts.to', 'alerts-to'], ['storage.data_dir', 'data-dir'],
];

/** "provider.environment: expected …" → the flag whose answer it is and what is wrong; a line of no flag's setting has none. */
function problemOf(line: string): { flag?: string; message: string } {
  const found = FLAG_OF_SETTING.find(([setting]) => line === setting || line.startsWith(`${setting}:`) || line.startsWith(`${setting}.`));
  if (!found) return { message: line };
  const [setting, flag] = found;
  return { flag, message: line.slice(line.indexOf(': ', setting.length) + 2) };
}

type Answers = Partial<Record<string, string>>;

/** The configuration init writes from complete answers. */
function configText(answers: Answers, secrets: InitAnswers['secrets']): string {
  return buildConfig({
    requestAddress: answers['request-address']!, imapHost: answers['imap-host']!, smtpHost: answers['smtp-host']!,
    servicenowInstance: answers['servicenow-instance']!.replace(/\/$/, ''), servicenowUser: answers['servicenow-user']!,
    providerEnvironment: answers['provider-environment']!, providerApiKey: answers['provider-api-key']!, referer: answers.referer!,
    allowedSenders: list(answers['allowed-senders']!), alertsTo: list(answers['alerts-to']!), dataDir: answers['data-dir']!,
    secrets, instanceName: instance()?.name,
  });
}

/** What the configuration's own check refuses in `text`, each with the flag whose answer it is. */
function configProblems(text: string, output: string): { flag?: string; message: string }[] {
  try {
    parseConfigText(text, output, { requireSecrets: false });
    return [];
  } catch (err) {
    return (err as Error).message.split('\n').slice(1).map((l) => problemOf(l.trim()));
  }
}

/** Answers that pass, standing in for those not given yet, so one answer can be checked as it is typed. */
const STAND_IN: Record<string, string> = {
  'request-address': 'sign@corp.example', 'imap-host': 'imap.corp.example', 'provider-api-key': 'key', 'servicenow-instance': 'https://acme.service-now.com',
};

/** What the configuration's check says of one answer, the others as given so far or standing in. */
function answerProblem(flag: string, answers: Answers, secrets: InitAnswers['secrets']): string | undefined {
  const filled: Answers = { ...answers };
  for (const q of QUESTIONS) filled[q.flag] ??= q.fallback?.(filled) ?? STAND_IN[q.flag];
  return configProblems(configText(filled, secrets), 'answers').find((p) => p.flag === flag)?.message;
}

/** The instance `--name NAME` chose (cli.ts): its file, data dir and credentials are the defaults. */
function instance(): Instance | undefined {
  const name = process.env.SIGNRELAY_INSTANCE;
  const chosen = name ? instanceOf(name) : undefined;
  return chosen && !('problem' in chosen) ? chosen : undefined;
}

const USAGE = `usage: signrelay init [--name NAME] [--output FILE] [--force] [--prompt] [--secrets credentials|env] [--FLAG VALUE …]

Writes a commented configuration (default: ${DEFAULT_CONFIG_PATH}; with --name NAME,
/etc/signrelay/NAME.yaml for signrelay@NAME.service, data dir /var/lib/signrelay/NAME,
secrets in /etc/signrelay/credentials/NAME/). Answers come from
flags; on a terminal (or with --prompt) the missing ones are asked for. Secrets are never
written: the file refers to credential files (--secrets credentials, for the systemd unit)
or environment variables (--secrets env).

flags:
${QUESTIONS.map((q) => `  --${q.flag.padEnd(22)}${q.ask}${q.fallback ? '' : ' (required)'}`).join('\n')}
`;

const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

export async function runInitCommand(args: string[], io: CommandIo & { stdin?: NodeJS.ReadableStream & { isTTY?: boolean } } ): Promise<number> {
  const options = Object.fromEntries([
    ...QUESTIONS.map((q) => [q.flag, { type: 'string' as const }]),
    ['output', { type: 'string' as const }], ['force', { type: 'boolean' as const }], ['prompt', { type: 'boolean' as const }], ['secrets', { type: 'string' as const }],
  ]);
  const parsed = parseCommand('init', args, options, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const secrets = (values.secrets ?? 'credentials') as string;
  if (secrets !== 'credentials' && secrets !== 'env') {
    io.stderr.write('signrelay init: --secrets is credentials or env\n');
    return 2;
  }
  const stdin = io.stdin ?? process.stdin;
  const prompt = values.prompt === true || stdin.isTTY === true;
  const answers: Partial<Record<string, string>> = {};
  // Lines are read through the iterator, which buffers them: piped answers arrive all at
  // once, and rl.question() would drop those that come before their question.
  const rl = prompt ? createInterface({ input: stdin, terminal: false }) : undefined;
  const lines = rl?.[Symbol.asyncIterator]();
  let inputEnded = false;
  try {
    for (const q of QUESTIONS) {
      const given = values[q.flag];
      const fallback = q.fallback?.(answers);
      let value = typeof given === 'string' ? given : undefined;
      while (value === undefined && lines && !inputEnded) {
        io.stderr.write(`${q.ask}${fallback ? ` [${fallback}]` : ''}: `);
        const next = await lines.next();
        if (next.done) {
          inputEnded = true; // what is still missing is reported below
          io.stderr.write('\n');
          break;
        }
        const typed = next.value.trim();
        const candidate = typed === '' ? fallback : typed;
        // Asked again at once, with what the configuration's check says, not after every question.
        const problem = candidate === undefined ? 'an answer is needed' : q.check?.(candidate) ?? answerProblem(q.flag, { ...answers, [q.flag]: candidate }, secrets as InitAnswers['secrets']);
        if (problem) io.stderr.write(`  ${problem}\n`);
        else value = candidate;
      }
      value ??= fallback;
      if (value === undefined) continue;
      const problem = q.check?.(value);
      if (problem) {
        io.stderr.write(`signrelay init: --${q.flag} ${value}: ${problem}\n`);
        return 2;
      }
      answers[q.flag] = value;
    }
  } finally {
    rl?.close();
  }
  const missing = QUESTIONS.filter((q) => answers[q.flag] === undefined && !q.fallback).map((q) => `--${q.flag}`);
  if (missing.length > 0) {
    io.stderr.write(`signrelay init: missing ${missing.join(', ')} (give them as flags, or run on a terminal to be asked)\n`);
    return 2;
  }
  const output = (values.output as string | undefined) ?? instance()?.configPath ?? DEFAULT_CONFIG_PATH;
  const text = configText(answers, secrets as InitAnswers['secrets']);
  // What the daemon would refuse is not written: a bad answer is told by its flag.
  const problems = configProblems(text, output);
  if (problems.length > 0) {
    const lines = problems.map((p) => (p.flag ? `--${p.flag} ${answers[p.flag] ?? ''}: ${p.message}` : p.message));
    io.stderr.write(`signrelay init: nothing written, ${lines.length === 1 ? 'an answer is' : 'answers are'} not accepted:\n${lines.map((l) => `  ${l}\n`).join('')}`);
    return 2;
  }
  const written = parseConfigText(text, output, { requireSecrets: false });
  writeConfig(output, text, values.force === true);
  io.stdout.write(nextSteps(output, written, secrets as InitAnswers['secrets'], giveToServiceGroup(output)));
  return 0;
}

/** The group the units run the service as (deploy/signrelay.service: Group=signrelay). */
const SERVICE_GROUP = 'signrelay';

/** The id of `name` in a group file (/etc/group's format), or undefined. */
export function groupId(name: string, groupFile = '/etc/group'): number | undefined {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.split(':')[0] === name);
  const gid = Number(line?.split(':')[2]);
  return line && Number.isInteger(gid) ? gid : undefined;
}

/**
 * The file is written 0640, so the service's user reads it through its group: root running
 * init hands it to that group when it exists. Whether it did, for the next steps.
 */
function giveToServiceGroup(output: string): boolean {
  if (process.getuid?.() !== 0) return false;
  const gid = groupId(SERVICE_GROUP);
  if (gid === undefined) return false;
  try {
    chownSync(output, 0, gid);
    return true;
  } catch {
    return false;
  }
}

function writeConfig(output: string, text: string, force: boolean): void {
  try {
    // Modes are narrowed by the umask (077 on a hardened root: a 0600 file in a 0700 directory the
    // service's user cannot read): the directories made and the file are set as meant (env review L1).
    makeDirectories(dirname(output), 0o755);
    if (force) {
      const temp = `${output}.${process.pid}.tmp`;
      writeFileSync(temp, text, { mode: 0o640 });
      chmodSync(temp, 0o640);
      renameSync(temp, output);
    } else {
      writeFileSync(output, text, { mode: 0o640, flag: 'wx' });
      chmodSync(output, 0o640);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new SignrelayError('config', 'config_exists', `${output} already exists: signrelay init never overwrites a configuration; pass --force to replace it, or --output FILE`);
    }
    throw new SignrelayError('config', 'config_unwritable', `cannot write ${output} (${code}): run as root for /etc/signrelay, or pass --output FILE`, { cause: err });
  }
}

function nextSteps(output: string, config: Config, secrets: InitAnswers['secrets'], grouped: boolean): string {
  const chosen = instance();
  // Both for an instance's file written elsewhere: its secrets are the instance's, its settings this file's.
  const which = !chosen ? `--config ${shellWord(output)}` : output === chosen.configPath ? `--name ${chosen.name}` : `--name ${chosen.name} --config ${shellWord(output)}`;
  const unit = chosen?.unit ?? 'signrelay';
  const runs = chosen?.configPath ?? DEFAULT_CONFIG_PATH;
  const envFile = join(dirname(output), `${chosen?.name ?? 'signrelay'}.env`);
  const { requests, returns } = config.mailboxes;
  const at = returns.address.lastIndexOf('@');
  const put = secrets === 'credentials'
    ? [`Put each secret in its own file in ${chosen?.credentialsDir ?? CREDENTIALS_SOURCE_DIR}/ (root-owned, mode 0600):`, ...SECRETS.map((s) => `     ${s.file.padEnd(22)}${s.what}`)]
    : [
      `Set these environment variables for the service — in a file of root's (mode 0600), ${envFile}, that \`systemctl edit ${unit}\` names as [Service] EnvironmentFile=${envFile}:`,
      ...SECRETS.map((s) => `     ${s.env.padEnd(26)}${s.what}`),
    ];
  // The return address is made up (signrelay-returns@DOMAIN, signrelay-NAME-returns@ for an instance) and lands in a folder of the request account.
  const mailbox = returns.host !== undefined ? [] : [
    `The mail server must deliver the return address ${returns.address} with any +tag (${returns.address.slice(0, at)}+TOKEN@${returns.address.slice(at + 1)}: the signed copies and the providers' notices) into the folder "${returns.folder}" of ${requests.user}'s mailbox`,
    '   — create the address with plus addressing and a rule that files it there, or give mailboxes.returns an account of its own.',
  ];
  const oauth = config.provider.type === 'secured-signing' && config.provider.oauth && !config.provider.refresh_token;
  const authorize = oauth ? [`Sign in to Secured Signing once (provider.oauth is true): signrelay authorize ${which} — or set provider.oauth: false for an API key without OAuth2.`] : [];
  const steps = [put, mailbox, authorize,
    [`Check everything: signrelay check ${which}${secrets === 'env' ? ` --env-file ${envFile}` : ''}`],
    [`Start the service: ${output === runs ? '' : `it runs ${runs} — move ${output} there, then: `}systemctl enable --now ${unit}`]].filter((step) => step.length > 0);
  return [
    grouped ? `wrote ${output} (group ${SERVICE_GROUP}, mode 0640: the service's user reads it)` : `wrote ${output}`,
    '',
    'Next:',
    // Before the steps, where init could not do it itself.
    ...(grouped ? [] : [`0. Let the service's user read it (mode 0640): chgrp ${SERVICE_GROUP} ${output} — after useradd --system ${SERVICE_GROUP}, if that user does not exist yet`]),
    ...steps.flatMap(([first, ...more], i) => [`${i + 1}. ${first}`, ...more]),
    '',
  ].join('\n');
}
