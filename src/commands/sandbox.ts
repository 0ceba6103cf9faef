// `signrelay sandbox`: the embedded servers of the demo (in-memory IMAP and SMTP, the
// Secured Signing and ServiceNow simulators), left running on loopback with a ready
// configuration — its secrets in files beside it — so that `signrelay check`, `signrelay
// run` and the operator commands can be tried against them by hand. Sent documents are
// signed by the simulator after a while (its completion mail goes to the return address),
// so the whole loop runs. Ctrl-C stops it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeError } from '../errors.ts';
import { parseCommand } from '../operate/command-args.ts';
import { SANDBOX, sandboxConfigText, startSandboxServers, stopSandboxServers, type SandboxSecrets } from '../sandbox/sandbox-servers.ts';
import type { CommandIo } from './run.ts';

const USAGE = `usage: signrelay sandbox [--dir DIR] [--sign-after SECONDS]

Starts signrelay's embedded test world on 127.0.0.1 and keeps it running until Ctrl-C: an
in-memory IMAP server (the request mailbox ${SANDBOX.requestAddress}, its ${SANDBOX.returnsFolder} folder the
return mailbox), an SMTP server, the Secured Signing simulator and the ServiceNow simulator
(record ${SANDBOX.recordNumber}). Writes DIR/signrelay.yaml for them (secrets in DIR/secrets/),
ready for \`signrelay check --config DIR/signrelay.yaml\` and \`signrelay run …\`.

  --dir DIR              where to write (default: a new directory under ${tmpdir()})
  --sign-after SECONDS   the simulator signs every sent document after this long (default 10; 0 = never)
`;

export async function runSandboxCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand('sandbox', args, { dir: { type: 'string' }, 'sign-after': { type: 'string' } }, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as { dir?: string; 'sign-after'?: string };
  const signAfter = Number(values['sign-after'] ?? 10);
  if (!Number.isFinite(signAfter) || signAfter < 0) {
    io.stderr.write('signrelay sandbox: --sign-after is a number of seconds (0 = never)\n');
    return 2;
  }
  const dir = values.dir ? resolve(values.dir) : mkdtempSync(join(tmpdir(), 'signrelay-sandbox-'));
  const servers = await startSandboxServers();
  const secretsDir = join(dir, 'secrets');
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const names: Record<keyof SandboxSecrets, string> = { imapPassword: 'imap-password', apiSecret: 'ss-api-secret', refreshToken: 'ss-refresh-token', servicenowPassword: 'servicenow-password' };
  const refs = {} as Record<keyof SandboxSecrets, string>;
  for (const [key, name] of Object.entries(names) as Array<[keyof SandboxSecrets, string]>) {
    writeFileSync(join(secretsDir, name), `${servers.secrets[key]}\n`, { mode: 0o600 });
    refs[key] = `{file: ${JSON.stringify(join(secretsDir, name))}}`;
  }
  const config = join(dir, 'signrelay.yaml');
  writeFileSync(config, sandboxConfigText(servers, join(dir, 'data'), refs, '# Written by `signrelay sandbox` for its embedded servers (secrets in secrets/).'), { mode: 0o600 });

  const { world, simulator, servicenow } = servers;
  io.stdout.write([
    'signrelay sandbox: running on 127.0.0.1 until Ctrl-C',
    `  IMAP             ${world.imap.host}:${world.imap.port} (user sign; INBOX = requests, ${SANDBOX.returnsFolder} = returns)`,
    `  SMTP             ${world.smtp.host}:${world.smtp.port} (mail to ${SANDBOX.requestAddress} lands in INBOX)`,
    `  Secured Signing  ${simulator.url} (simulator${signAfter > 0 ? `; signs sent documents after ${signAfter} s` : ''})`,
    `  ServiceNow       ${servicenow.url} (simulator; record ${SANDBOX.recordNumber} in ${SANDBOX.recordTable})`,
    `  configuration    ${config}`,
    '',
    'Try, in another terminal:',
    `  signrelay check --config ${config}`,
    `  signrelay run --config ${config}`,
    '',
  ].join('\n'));

  // The signers: every sent, unsigned document is signed once it has waited long enough.
  const seen = new Map<string, number>();
  const signing = new Set<string>();
  const signer = signAfter > 0 ? setInterval(() => {
    for (const [reference, doc] of simulator.documents) {
      if (!doc.sent || signing.has(reference) || ['Complete', 'Declined', 'Expired'].includes(doc.status)) continue;
      const since = seen.get(reference) ?? Date.now();
      seen.set(reference, since);
      if (Date.now() - since < signAfter * 1000) continue;
      signing.add(reference);
      simulator.complete(reference).then(
        () => io.stdout.write(`signed ${reference} at the simulator; its completion mail went to the return address\n`),
        (err: unknown) => io.stderr.write(`signrelay sandbox: could not sign ${reference}: ${describeError(err)}\n`),
      );
    }
  }, 500) : undefined;

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  clearInterval(signer);
  await stopSandboxServers(servers, (name, err) => io.stderr.write(`signrelay sandbox: could not stop ${name} cleanly: ${describeError(err)}\n`));
  io.stdout.write(`stopped; the files stay in ${dir}\n`);
  return 0;
}
