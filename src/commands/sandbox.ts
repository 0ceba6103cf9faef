// `signrelay sandbox`: the embedded servers of the demo (in-memory IMAP and SMTP, the chosen
// signing provider's simulator and the ServiceNow simulator), left running on loopback with
// a ready configuration — its secrets in files beside it — so that `signrelay check`,
// `signrelay run` and the operator commands can be tried against them by hand. Sent
// requests are signed by the simulator after a while (the provider then mails the return
// address: Secured Signing its completion mail, Signicat its notice of the completed
// order), so the whole loop runs. Ctrl-C stops it.
import { makeTempDir } from '../cli-io/temp-dir.ts';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeError } from '../errors.ts';
import { parseCommand } from '../cli-io/command-args.ts';
import { allSecrets, SAMPLE_PDF, SANDBOX, sandboxConfigText, startSandboxServers, stopSandboxServers } from '../sandbox/sandbox-servers.ts';
import { PROVIDER_NAMES, providerOption } from '../sandbox/simulated-provider.ts';
import { shellCommand } from '../cli-io/shell-command.ts';
import { shellWord } from '../service-unit.ts';
import type { CommandIo } from './run.ts';

const USAGE = `usage: signrelay sandbox [--provider NAME] [--dir DIR] [--sign-after SECONDS]

Starts signrelay's embedded test world on 127.0.0.1 and keeps it running until Ctrl-C: an
in-memory IMAP server (the request mailbox ${SANDBOX.requestAddress}, its ${SANDBOX.returnsFolder} folder the
return mailbox), an SMTP server, the signing provider's simulator and the ServiceNow
simulator (record ${SANDBOX.recordNumber}). Writes DIR/signrelay.yaml for them (secrets in DIR/secrets/),
ready for \`signrelay check --config DIR/signrelay.yaml\` and \`signrelay run …\`.

  --provider NAME        the signing provider to simulate: ${PROVIDER_NAMES.join(' (default) or ')}
  --dir DIR              where to write (default: a new directory under ${tmpdir()})
  --sign-after SECONDS   the simulator has every sent request signed after this long (default 10; 0 = never)
`;

const SIGN_POLL_MS = 500;
/** The request the sandbox writes as DIR/request.eml, for its printed curl line to mail: the sample contract, one signer. */
const REQUEST_SENDER = 'helen.officer@corp.example';
/** In DIR/secrets/: the ServiceNow simulator's agent (SANDBOX.agentUser), who may click "Send for signature". */
const AGENT_PASSWORD_FILE = 'servicenow-agent-password';

/**
 * Or from the record, as the agent (docs/servicenow.md): attach the sample contract to the
 * record, then click "Send for signature" — the simulator's stand-in for the click, whose
 * UI action sys_id nothing else shows (install review L5).
 */
function clickLines(servicenow: Awaited<ReturnType<typeof startSandboxServers>>['servicenow'], agentPasswordFile: string): string[] {
  const record = servicenow.records.find((r) => r.number === SANDBOX.recordNumber && r.table === SANDBOX.recordTable);
  const action = servicenow.updateSet?.uiActions.find((a) => a.table === SANDBOX.recordTable);
  if (!record || !action) return [];
  const agent = `-u "${SANDBOX.agentUser}:$(cat ${shellWord(agentPasswordFile)})"`;
  const attach = `${servicenow.url}/api/now/attachment/file?${new URLSearchParams({ table_name: record.table, table_sys_id: record.sysId, file_name: 'sample-contract.pdf' })}`;
  const click = `${servicenow.url}/api/now/ui/ui_action/${action.sysId}?${new URLSearchParams({ sysparm_table: record.table, sysparm_sys_id: record.sysId })}`;
  return [
    `Or start from the record, as the agent ("${action.name}"):`,
    `  curl -sS ${agent} -H 'Content-Type: application/pdf' --data-binary @${shellWord(fileURLToPath(SAMPLE_PDF))} '${attach}'`,
    `  curl -sS ${agent} -X POST '${click}'`,
  ];
}

export async function runSandboxCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand('sandbox', args, { provider: { type: 'string' }, dir: { type: 'string' }, 'sign-after': { type: 'string' } }, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as { provider?: string; dir?: string; 'sign-after'?: string };
  const provider = providerOption(values.provider);
  if ('problem' in provider) {
    io.stderr.write(`signrelay sandbox: ${provider.problem} (see --help)\n`);
    return 2;
  }
  const signAfter = Number(values['sign-after'] ?? 10);
  if (!Number.isFinite(signAfter) || signAfter < 0) {
    io.stderr.write('signrelay sandbox: --sign-after is a number of seconds (0 = never)\n');
    return 2;
  }
  const dir = values.dir ? resolve(values.dir) : makeTempDir('signrelay-sandbox-', '; or pass --dir DIR');
  const secretsDir = join(dir, 'secrets');
  // Before any server starts: a directory that cannot be written is the operator's to fix, said in one line.
  try {
    mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    io.stderr.write(`signrelay sandbox: --dir ${dir} cannot be used (${(err as NodeJS.ErrnoException).code ?? describeError(err)}): name a directory this user may write\n`);
    return 2;
  }
  const servers = await startSandboxServers(provider.name);
  for (const [name, value] of Object.entries(allSecrets(servers))) writeFileSync(join(secretsDir, name), `${value}\n`, { mode: 0o600 });
  // Not signrelay's (no configuration names it): the agent's, to click "Send for signature" by hand.
  const agentPasswordFile = join(secretsDir, AGENT_PASSWORD_FILE);
  writeFileSync(agentPasswordFile, `${servers.secrets.agentPassword}\n`, { mode: 0o600 });
  const config = join(dir, 'signrelay.yaml');
  const fileRef = (name: string) => `{file: ${JSON.stringify(join(secretsDir, name))}}`;
  writeFileSync(config, sandboxConfigText(servers, join(dir, 'data'), fileRef, '# Written by `signrelay sandbox` for its embedded servers (secrets in secrets/).'), { mode: 0o600 });

  const { world, signing, servicenow } = servers;
  // A request to mail in, ready: curl speaks SMTP, and Debian has no other mail client by default (install review L5).
  const requestFile = join(dir, 'request.eml');
  writeFileSync(requestFile, await new MailComposer({
    from: `Helen Officer <${REQUEST_SENDER}>`, to: SANDBOX.requestAddress, subject: `Contract for ${SANDBOX.recordNumber}`,
    text: 'Signer: Ann Lee <ann.lee@example.com>\n', attachments: [{ filename: 'sample-contract.pdf', content: readFileSync(SAMPLE_PDF), contentType: 'application/pdf' }],
  }).compile().build());
  io.stdout.write([
    'signrelay sandbox: running on 127.0.0.1 until Ctrl-C',
    `  IMAP             ${world.imap.host}:${world.imap.port} (user sign; INBOX = requests, ${SANDBOX.returnsFolder} = returns)`,
    `  SMTP             ${world.smtp.host}:${world.smtp.port} (mail to ${SANDBOX.requestAddress} lands in INBOX)`,
    `  ${signing.displayName.padEnd(16)} ${signing.url} (simulator${signAfter > 0 ? `; signs sent requests after ${signAfter} s` : ''})`,
    `  ServiceNow       ${servicenow.url} (simulator; record ${SANDBOX.recordNumber} in ${SANDBOX.recordTable})`,
    `  agent            ${SANDBOX.agentUser}, password in ${agentPasswordFile} (attach one PDF to the record, then "Send for signature": docs/servicenow.md)`,
    `  configuration    ${config}`,
    '',
    'Try, in another terminal:',
    `  ${shellCommand()} check --config ${shellWord(config)}`,
    `  ${shellCommand()} run --config ${shellWord(config)}`,
    `  curl -sS smtp://${world.smtp.host}:${world.smtp.port} --mail-from ${REQUEST_SENDER} --mail-rcpt ${SANDBOX.requestAddress} --upload-file ${shellWord(requestFile)}`,
    `  (the last mails ${requestFile}: a request for ${SANDBOX.recordNumber}, the sample contract, one signer)`,
    ...clickLines(servicenow, agentPasswordFile),
    '',
  ].join('\n'));

  // The signers: every sent request still open to them is signed once it has waited long enough.
  const seen = new Map<string, number>();
  const signed = new Set<string>();
  const signer = signAfter > 0 ? setInterval(() => {
    for (const { key, request } of signing.unsigned()) {
      if (signed.has(key)) continue;
      const since = seen.get(key) ?? Date.now();
      seen.set(key, since);
      if (Date.now() - since < signAfter * 1000) continue;
      signed.add(key);
      signing.signAll(request).then(
        () => io.stdout.write(`signed ${key} at the simulator; its completion mail went to the return address\n`),
        (err: unknown) => io.stderr.write(`signrelay sandbox: could not sign ${key}: ${describeError(err)}\n`),
      );
    }
  }, SIGN_POLL_MS) : undefined;

  // The first signal stops the servers; a second, while they stop or if something they left
  // keeps the process up, ends it at once (as for `run`) instead of being swallowed.
  await new Promise<void>((done) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(130);
      stopping = true;
      done();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  clearInterval(signer);
  await stopSandboxServers(servers, (name, err) => io.stderr.write(`signrelay sandbox: could not stop ${name} cleanly: ${describeError(err)}\n`));
  io.stdout.write(`stopped; the files stay in ${dir}\n`);
  return 0;
}
