// `signrelay demo`: the request path end to end on this machine, with nothing to install or
// configure. It starts an embedded mail world (in-memory IMAP + SMTP) and the Secured
// Signing simulator on loopback, configures the real daemon against them through the real
// configuration loader, mails it one good request and one without a PDF, and prints each
// step as the daemon records it (see sandbox/demo-observer.ts: nothing is scripted).
// Everything it wrote stays in a temporary directory unless --clean.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer, { type Transporter } from 'nodemailer';
import { parseConfigText } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';
import { startDaemon, type Daemon } from '../daemon.ts';
import { describeError } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';
import { DemoIncomplete, followMail, type DemoSources, type Fact, type ObservedMail } from '../sandbox/demo-observer.ts';
import { startMailWorld, type MailWorld } from '../sandbox/mail-world.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../sandbox/secured-signing/server.ts';
import { getDocuments, listRequests } from '../store/requests.ts';
import { secretsOf, type CommandIo } from './run.ts';

const USAGE = `usage: signrelay demo [--clean]

Runs signrelay's request path end to end, on this machine only: an in-memory IMAP server
holding the request mailbox sign@corp.example, an SMTP server in front of it, and the
Secured Signing simulator, all on 127.0.0.1. The real daemon is configured against them
through the real configuration loader; then a request mail (a contract PDF, two signers)
and a mail without a PDF are sent to it. Each step is printed as the daemon records it in
its SQLite database, with the time since the start.

The database, the PDFs, the configuration used and the daemon's log are kept in a new
directory under ${tmpdir()} (its path is printed).

  --clean      delete that directory at the end
  -h, --help   this text

Exit status: 0 when both mails ended as expected within 30 s, 1 otherwise.
`;

const DEADLINE_MS = 30_000;
const SAMPLE_PDF = new URL('../../fixtures/pdf/sample-contract.pdf', import.meta.url);
const REQUESTER = 'Helen Officer <helen.officer@corp.example>';
const REQUEST_ADDRESS = 'sign@corp.example';
const REFERER = 'https://corp.example';
const DETAIL_INDENT = ' '.repeat(11);
const IDLE_POLL_MS = 20;

const REQUEST_BODY = `Hello,

please have the attached contractor agreement signed.

Signer 1: Ann Lee <ann.lee@example.com>
Signer 2: Bob Stone <bob.stone@corp.example>
Due: 14d

Thanks,
Helen
`;

interface Running {
  world?: MailWorld;
  simulator?: SecuredSigningSimulator;
  daemon?: Daemon;
  logger?: Logger;
  log?: WriteStream;
}

export async function runDemoCommand(args: string[], io: CommandIo): Promise<number> {
  let clean = false;
  try {
    const { values } = parseArgs({ args, options: { clean: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    clean = values.clean ?? false;
  } catch (err) {
    io.stderr.write(`signrelay demo: ${describeError(err)} (see --help)\n`);
    return 2;
  }

  const t0 = Date.now();
  const out = (line = '') => io.stdout.write(`${line}\n`);
  const step = (at: number, headline: string, details: string[] = []) => {
    out(`${`${((at - t0) / 1000).toFixed(2)}s`.padStart(7)}  ${headline}`);
    for (const d of details) out(`${DETAIL_INDENT}${d}`);
  };
  const root = mkdtempSync(join(tmpdir(), 'signrelay-demo-'));
  const paths = { root, dataDir: join(root, 'data'), config: join(root, 'signrelay.yaml'), log: join(root, 'signrelay.log') };
  const running: Running = {};
  let failure: DemoIncomplete | null = null;
  let stampedPdf: string | undefined;

  out('signrelay demo: a request mail through the whole request path, on this machine only');
  out('(in-memory IMAP and SMTP, the Secured Signing simulator, and the real daemon on 127.0.0.1)');
  out();
  try {
    await run(running, paths, step, out);
  } catch (err) {
    if (!(err instanceof DemoIncomplete)) throw err;
    failure = err;
  } finally {
    // Read before the daemon closes its database.
    stampedPdf = running.daemon ? stampedPdfPath(running.daemon) : undefined;
    await stopAll(running, io);
  }
  step(Date.now(), 'stopped the daemon, the simulator and the mail servers');
  out();
  out(clean ? `Files: ${root} was deleted (--clean).` : `Files (kept; delete them with: rm -rf ${root})`);
  if (!clean) {
    out(`  data dir      ${paths.dataDir}`);
    out(`  database      ${join(paths.dataDir, 'signrelay.db')}`);
    out(`  stamped PDF   ${stampedPdf ?? '(none was stamped)'}`);
    out(`  daemon log    ${paths.log}`);
    out(`  config used   ${paths.config}`);
  } else {
    rmSync(root, { recursive: true, force: true });
  }
  out();
  if (failure) {
    const why = failure.timedOut ? `did not complete within ${DEADLINE_MS / 1000} s` : 'went wrong';
    io.stderr.write(`signrelay demo: the request path ${why}: ${failure.message}${clean ? '' : ` (see ${paths.log})`}\n`);
    return 1;
  }
  out(`Done in ${((Date.now() - t0) / 1000).toFixed(1)} s. Every step above was read back from the daemon's SQLite audit trail,`);
  out('the simulator\'s call log and the mail servers; nothing was scripted.');
  return 0;
}

type Step = (at: number, headline: string, details?: string[]) => void;

async function run(running: Running, paths: { dataDir: string; config: string; log: string }, step: Step, out: (line?: string) => void): Promise<void> {
  const secrets = { imap: randomSecret(), apiSecret: randomSecret() };
  const world = running.world = await startMailWorld({ users: { sign: secrets.imap } });
  const simulator = running.simulator = await startSecuredSigningSimulator({
    apiKey: 'demo-api-key', apiSecret: secrets.apiSecret, referer: REFERER, oauth: true, smtp: world.smtp,
  });
  step(Date.now(), 'servers up:', [
    `IMAP ${world.imap.host}:${world.imap.port} (in memory, the request mailbox), SMTP ${world.smtp.host}:${world.smtp.port}`,
    `Secured Signing simulator ${simulator.url}`,
  ]);
  const transport = nodemailer.createTransport({ host: world.smtp.host, port: world.smtp.port, secure: false, ignoreTLS: true });
  try {
    // The first mail waits in the INBOX before the daemon starts: it finds it when it
    // connects. The second one arrives while the daemon is watching (IMAP IDLE).
    const pdf = readFileSync(SAMPLE_PDF);
    out();
    out('1. A request: Helen mails a contract and names two signers');
    previewMail(out, 'Contractor agreement for RITM0010001', REQUEST_BODY, `sample-contract.pdf (${pdf.length} bytes)`);
    const good = await send(transport, world, step, {
      subject: 'Contractor agreement for RITM0010001', text: REQUEST_BODY,
      attachments: [{ filename: 'sample-contract.pdf', content: pdf, contentType: 'application/pdf' }],
    }, 'sent');

    const config = writeConfig(paths, world, simulator, secrets);
    running.log = createWriteStream(paths.log, { mode: 0o600 });
    running.log.on('error', () => undefined); // a late log line after close must not crash the demo
    running.logger = createLogger({ level: config.log.level, format: config.log.format, stream: running.log, secrets: secretsOf(config) });
    const daemon = running.daemon = startDaemon({ config, logger: running.logger });
    const deadline = Date.now() + DEADLINE_MS;
    const moves: DemoSources['moves'] = [];
    daemon.requestWatcher.on('processed', (message, folder) => moves.push({ at: Date.now(), messageId: message.messageId, folder }));
    step(Date.now(), `daemon started with ${paths.config}`);
    const connected = await waitForConnection(daemon, deadline);
    step(connected.at, `daemon connected to IMAP as sign: ${connected.exists} mail${connected.exists === 1 ? '' : 's'} waiting in INBOX`);

    const sources: DemoSources = { daemon, simulator, world, moves };
    const print = (fact: Fact) => step(fact.at, fact.headline, fact.details);
    await followMail(sources, good, { deadline, print });

    const idle = await waitForIdle(world, daemon, deadline);
    step(idle.getTime(), 'daemon waiting for new mail in IMAP IDLE');

    out();
    out('2. A mistake: the same kind of mail, but the PDF was forgotten');
    previewMail(out, 'Contractor agreement for RITM0010002', REQUEST_BODY, 'nothing');
    const bad = await send(transport, world, step, { subject: 'Contractor agreement for RITM0010002', text: REQUEST_BODY }, 'rejected');
    await followMail(sources, bad, { deadline, print });
  } finally {
    transport.close();
  }
}

function writeConfig(paths: { dataDir: string; config: string }, world: MailWorld, simulator: SecuredSigningSimulator, secrets: { imap: string; apiSecret: string }): Config {
  const q = (value: string | number) => JSON.stringify(String(value));
  // Secrets stay out of the file, as in production: `${VAR}` resolved from the environment.
  const text = `# Written by \`signrelay demo\` for its embedded servers; the secrets came from its environment.
mailboxes:
  requests: {host: ${q(world.imap.host)}, port: ${world.imap.port}, tls: false, user: sign, password: "\${DEMO_IMAP_PASSWORD}", address: ${REQUEST_ADDRESS}}
  returns: {address: returns@corp.example, folder: Returns}
smtp: {host: ${q(world.smtp.host)}, port: ${world.smtp.port}, tls: false, from: "signrelay <${REQUEST_ADDRESS}>"}
provider: {environment: ${q(simulator.url)}, oauth_url: ${q(simulator.oauthUrl)}, api_key: demo-api-key, api_secret: "\${DEMO_SS_API_SECRET}", refresh_token: "\${DEMO_SS_REFRESH_TOKEN}", referer: ${REFERER}}
servicenow: {instance_url: "https://acme.service-now.com", auth: {type: basic, user: signrelay.integration, password: not-used}}
routes:
  default: {allowed_senders: ["*@corp.example"]}
records: {RITM: sc_req_item}
storage: {data_dir: ${q(paths.dataDir)}}
log: {level: debug, format: json}
`;
  writeFileSync(paths.config, text, { mode: 0o600 });
  const env = { DEMO_IMAP_PASSWORD: secrets.imap, DEMO_SS_API_SECRET: secrets.apiSecret, DEMO_SS_REFRESH_TOKEN: simulator.issueTokens().refreshToken };
  return parseConfigText(text, paths.config, { env });
}

async function waitForConnection(daemon: Daemon, deadline: number): Promise<{ at: number; exists: number }> {
  let stop = () => {};
  const connected = new Promise<{ at: number; exists: number }>((resolve) => {
    stop = daemon.requestWatcher.on('connected', (info) => resolve({ at: Date.now(), exists: info.exists }));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = daemon.requestWatcher.status().lastError;
      reject(new DemoIncomplete(`still waiting for the daemon to connect to IMAP${error ? ` (${error.message})` : ''}`, true));
    }, Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([connected, timeout]);
  } finally {
    clearTimeout(timer);
    stop();
  }
}

/** Waits until the daemon's IMAP connection is in IDLE, as the IMAP server sees it. */
async function waitForIdle(world: MailWorld, daemon: Daemon, deadline: number): Promise<Date> {
  for (;;) {
    const since = world.imapIdleSince();
    if (since) return since;
    if (Date.now() > deadline) {
      throw new DemoIncomplete(`still waiting for the daemon to enter IMAP IDLE (watcher state: ${daemon.requestWatcher.status().state})`, true);
    }
    await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
  }
}

/** Sends a mail to the request address and reports its delivery into the IMAP INBOX. */
async function send(
  transport: Transporter,
  world: MailWorld,
  step: Step,
  mail: { subject: string; text: string; attachments?: Array<{ filename: string; content: Buffer; contentType: string }> },
  expect: ObservedMail['expect'],
): Promise<ObservedMail> {
  const messageId = `<demo-${randomBytes(6).toString('hex')}@corp.example>`;
  const before = world.deliveries.length;
  // The SMTP server answers 250 only after the mail is stored, so the delivery is recorded now.
  await transport.sendMail({ from: REQUESTER, to: REQUEST_ADDRESS, messageId, ...mail });
  const delivery = world.deliveries[before];
  if (!delivery) throw new DemoIncomplete(`the mail "${mail.subject}" was accepted over SMTP but not delivered to the INBOX`, false);
  step(delivery.at.getTime(), `request mail delivered to ${delivery.to} (IMAP ${delivery.folder}, UID ${delivery.uid})`);
  return { messageId, expect };
}

function previewMail(out: (line?: string) => void, subject: string, body: string, attached: string): void {
  out(`     From: ${REQUESTER}   To: ${REQUEST_ADDRESS}`);
  out(`     Subject: ${subject}   Attached: ${attached}`);
  for (const line of body.split('\n').filter((l) => /^(Signer \d|Due):/.test(l))) out(`     | ${line}`);
}

function stampedPdfPath(daemon: Daemon): string | undefined {
  for (const request of listRequests(daemon.db)) {
    const hash = getDocuments(daemon.db, request.id).find((d) => d.stampedSha256)?.stampedSha256;
    if (hash) return daemon.blobs.pathOf(hash);
  }
  return undefined;
}

/** Stops whatever was started, each part even when another one fails to stop. */
async function stopAll(running: Running, io: CommandIo): Promise<void> {
  const parts: Array<[string, (() => Promise<void>) | undefined]> = [
    ['the daemon', running.daemon && (() => running.daemon!.stop())],
    ['the simulator', running.simulator && (() => running.simulator!.close())],
    ['the mail servers', running.world && (() => running.world!.close())],
  ];
  for (const [name, stop] of parts) {
    try {
      await stop?.();
    } catch (err) {
      io.stderr.write(`signrelay demo: could not stop ${name} cleanly: ${describeError(err)}\n`);
    }
  }
  if (running.logger) {
    const finished = once(running.logger, 'finish');
    running.logger.end();
    await finished;
  }
  if (running.log) {
    const log = running.log;
    await new Promise<void>((resolve) => log.end(() => resolve()));
  }
}

function randomSecret(): string {
  return randomBytes(18).toString('base64url');
}
