// `signrelay demo`: the whole loop end to end on this machine, with nothing to install or
// configure. It starts an embedded mail world (in-memory IMAP + SMTP), the chosen signing
// provider's simulator (Secured Signing, or Signicat with --provider signicat) and the
// ServiceNow simulator on loopback, configures the real daemon against them through the
// real configuration loader, mails it a request, lets the simulator sign it (the provider
// then mails the return address: Secured Signing the completed document, Signicat its
// notice of the completed order), and then a mail without a PDF; it prints each step as
// the daemon and the simulators record it (see sandbox/demo-observer.ts: nothing is
// scripted, and what is the provider's own is told in its words by the simulated
// provider's story). Everything it wrote stays in a temporary directory unless --clean.
import { makeTempDir } from '../cli-io/temp-dir.ts';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer, { type Transporter } from 'nodemailer';
import { parseConfigText } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';
import { startDaemon, type Daemon } from '../daemon.ts';
import { describeError } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';
import type { ProviderName } from '../providers/provider.ts';
import { FROM_SERVICENOW_TITLE, startOnRecord } from '../sandbox/demo-from-servicenow.ts';
import { DemoIncomplete, followCompletion, followMail, simulatedRequest, type DemoDeadline, type DemoSources, type Fact, type ObservedMail } from '../sandbox/demo-observer.ts';
import type { MailWorld } from '../sandbox/mail-world.ts';
import { allSecrets, SAMPLE_PDF, SANDBOX, sandboxConfigText, startSandboxServers, stopSandboxServers, type SandboxServers } from '../sandbox/sandbox-servers.ts';
import type { ServiceNowSimulator } from '../sandbox/servicenow/server.ts';
import { PROVIDER_NAMES, providerOption, type SimulatedProvider } from '../sandbox/simulated-provider.ts';
import { getDocuments, getRequest, listRequests } from '../store/requests.ts';
import { secretsOf, type CommandIo } from './run.ts';

const RECORD_NUMBER = SANDBOX.recordNumber;
const RECORD_TABLE = SANDBOX.recordTable;

const USAGE = `usage: signrelay demo [--clean] [--provider NAME] [--from-servicenow]

Runs signrelay's whole loop end to end, on this machine only: an in-memory IMAP server
holding the request mailbox sign@corp.example (and its Returns folder, where mail for
returns+TOKEN@corp.example is filed), an SMTP server in front of it, the signing
provider's simulator and the ServiceNow simulator (record ${RECORD_NUMBER} in ${RECORD_TABLE}),
all on 127.0.0.1. The real daemon is configured against them through the real
configuration loader. A request mail (a contract PDF, two signers) is sent to it; once it
is out for signing the simulator signs it and the provider mails the return address
(Secured Signing the completed document; Signicat, which also mails the signers their
invitations, its notice of the completed order); the daemon matches that mail, downloads
the signed copy and attaches it to the record. Then a mail without a PDF is sent, which
must be answered. With --from-servicenow the request starts on the record instead: an agent
attaches the contract to ${RECORD_NUMBER} and clicks "Send for signature", the UI action of
the update set in deploy/servicenow/ (imported into the ServiceNow simulator), whose
notification mails the PDF to sign@corp.example with a Signer line for the record's
requested-for user and the instance's watermark; the signed PDF ends on the same record
(no mistaken mail follows: the exit status asks only that it got there). Each step is
printed as the daemon and the simulators record it, with the time since the start.

The database, the PDFs (the signed one too), the configuration used and the daemon's log
are kept in a new directory under ${tmpdir()} (its path is printed).

  --clean            delete that directory at the end
  --provider NAME    the signing provider to simulate: ${PROVIDER_NAMES.join(' (default) or ')}
  --from-servicenow  start on the record (the update set's UI action), not with a mail
  -h, --help         this text

Exit status: 0 when the signed PDF reached the record and the mistaken mail was answered;
1 otherwise, or once 30 s pass without a step.
`;

const DEADLINE_MS = 30_000;
const RETURNS_FOLDER = SANDBOX.returnsFolder;
const REQUESTER = 'Helen Officer <helen.officer@corp.example>';
const REQUEST_ADDRESS = SANDBOX.requestAddress;
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
  signing?: SimulatedProvider;
  servicenow?: ServiceNowSimulator;
  daemon?: Daemon;
  logger?: Logger;
  log?: WriteStream;
}

export async function runDemoCommand(args: string[], io: CommandIo): Promise<number> {
  let clean = false;
  let fromServicenow = false;
  let provider: ProviderName;
  try {
    const { values } = parseArgs({ args, options: { clean: { type: 'boolean' }, provider: { type: 'string' }, 'from-servicenow': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    clean = values.clean ?? false;
    fromServicenow = values['from-servicenow'] ?? false;
    const chosen = providerOption(values.provider);
    if ('problem' in chosen) {
      io.stderr.write(`signrelay demo: ${chosen.problem} (see --help)\n`);
      return 2;
    }
    provider = chosen.name;
  } catch (err) {
    io.stderr.write(`signrelay demo: ${describeError(err)} (see --help)\n`);
    return 2;
  }

  const t0 = Date.now();
  const out = (line = '') => io.stdout.write(`${line}\n`);
  const seconds = (at: number) => `${((at - t0) / 1000).toFixed(2)}s`;
  const step = (at: number, headline: string, details: string[] = []) => {
    out(`${seconds(at).padStart(7)}  ${headline}`);
    for (const d of details) out(`${DETAIL_INDENT}${d}`);
  };
  const root = makeTempDir('signrelay-demo-');
  const paths = { root, dataDir: join(root, 'data'), config: join(root, 'signrelay.yaml'), log: join(root, 'signrelay.log') };
  const running: Running = {};
  let failure: DemoIncomplete | null = null;
  let pdfs: { stamped?: string; signed?: string; onRecord?: string } = {};

  const servers = await startSandboxServers(provider);
  Object.assign(running, { world: servers.world, signing: servers.signing, servicenow: servers.servicenow });
  out(fromServicenow ? FROM_SERVICENOW_TITLE : 'signrelay demo: a request mail through the whole loop, from the mail to the signed PDF on the record,');
  out(`on this machine only (in-memory IMAP and SMTP, the ${servers.signing.displayName} and ServiceNow simulators, and the`);
  out('real daemon, all on 127.0.0.1)');
  out();
  try {
    await run(running, servers, paths, step, out, (at) => seconds(at.getTime()), fromServicenow);
  } catch (err) {
    if (!(err instanceof DemoIncomplete)) throw err;
    failure = err;
  } finally {
    // Read before the daemon closes its database.
    pdfs = running.daemon ? pdfPaths(running.daemon, running.servicenow) : {};
    await stopAll(running, io);
  }
  step(Date.now(), 'stopped the daemon, the simulators and the mail servers');
  out();
  out(clean ? `Files: ${root} was deleted (--clean).` : `Files (kept; delete them with: rm -rf ${root})`);
  if (!clean) {
    out(`  data dir      ${paths.dataDir}`);
    out(`  database      ${join(paths.dataDir, 'signrelay.db')}`);
    out(`  stamped PDF   ${pdfs.stamped ?? '(none was stamped)'}`);
    out(`  signed PDF    ${pdfs.signed ?? '(none was signed)'}`);
    if (pdfs.onRecord) out(`                ${pdfs.onRecord}`);
    out(`  daemon log    ${paths.log}`);
    out(`  config used   ${paths.config}`);
  } else {
    rmSync(root, { recursive: true, force: true });
  }
  out();
  if (failure) {
    const why = failure.timedOut ? `made no progress for ${DEADLINE_MS / 1000} s` : 'went wrong';
    const message = failure.message.replace(/\s*\n\s*/g, ' ');
    io.stderr.write(`signrelay demo: the loop ${why}: ${message}${clean ? '' : ` (see ${paths.log})`}\n`);
    return 1;
  }
  out(`Done in ${((Date.now() - t0) / 1000).toFixed(1)} s. Every step above was read back from the daemon's SQLite audit trail,`);
  out('the simulators\' call logs and records, and the mail servers; nothing was scripted.');
  return 0;
}

type Step = (at: number, headline: string, details?: string[]) => void;

async function run(running: Running, servers: SandboxServers, paths: { dataDir: string; config: string; log: string }, step: Step, out: (line?: string) => void, since: (at: Date) => string, fromServicenow: boolean): Promise<void> {
  const { world, signing, servicenow } = servers;
  step(Date.now(), 'servers up:', [
    `IMAP ${world.imap.host}:${world.imap.port} (in memory: INBOX = the request mailbox, ${RETURNS_FOLDER} = the return mailbox), SMTP ${world.smtp.host}:${world.smtp.port}`,
    `${signing.displayName} simulator ${signing.url}`,
    `ServiceNow simulator ${servicenow.url}: ${servicenow.records.map((r) => `${r.number} (${r.table}, ${r.attachments.length} attachments)`).join(', ')}`,
  ]);
  const transport = nodemailer.createTransport({ host: world.smtp.host, port: world.smtp.port, secure: false, ignoreTLS: true });
  try {
    // The first mail waits in the INBOX before the daemon starts: it finds it when it
    // connects. The others arrive while the daemon is watching (IMAP IDLE).
    const pdf = readFileSync(SAMPLE_PDF);
    out();
    let good: ObservedMail;
    if (fromServicenow) {
      good = await startOnRecord({
        servicenow, world, step, out, agent: { user: SANDBOX.agentUser, password: servers.secrets.agentPassword },
        record: { table: RECORD_TABLE, number: RECORD_NUMBER }, pdf: { fileName: 'sample-contract.pdf', bytes: pdf },
      });
    } else {
      out('1. A request: Helen mails a contract and names two signers');
      previewMail(out, `Contractor agreement for ${RECORD_NUMBER}`, REQUEST_BODY, `sample-contract.pdf (${pdf.length} bytes)`);
      good = await send(transport, world, step, {
        subject: `Contractor agreement for ${RECORD_NUMBER}`, text: REQUEST_BODY,
        attachments: [{ filename: 'sample-contract.pdf', content: pdf, contentType: 'application/pdf' }],
      }, 'sent');
    }

    const config = writeConfig(paths, servers);
    running.log = createWriteStream(paths.log, { mode: 0o600 });
    running.log.on('error', () => undefined); // a late log line after close must not crash the demo
    running.logger = createLogger({ level: config.log.level, format: config.log.format, stream: running.log, secrets: secretsOf(config) });
    const daemon = running.daemon = startDaemon({ config, logger: running.logger });
    // The demo gives up once DEADLINE_MS pass without a step: every step printed from here on
    // moves the deadline, so a busy machine that makes the loop slow does not end it.
    const deadline = { at: Date.now() + DEADLINE_MS };
    const told: Step = (at, headline, details) => {
      deadline.at = Date.now() + DEADLINE_MS;
      step(at, headline, details);
    };
    const moves: DemoSources['moves'] = [];
    // Heard before the observer hears the same event (listeners run in order).
    daemon.events.on('mail', (filed) => moves.push({ at: Date.now(), watcher: filed.mailbox === 'requests' ? 'requests' : 'returns', messageId: filed.messageId, folder: filed.folder }));
    told(Date.now(), `daemon started with ${paths.config}`);
    // The request watcher's connection is the step; the completion watcher's, made at the
    // same moment, is told with it (printing it later could put the times out of order).
    const [requests, returns] = await waitForConnections(daemon, deadline);
    told(requests.at, `daemon connected to IMAP as sign: ${mails(requests.exists)} waiting in INBOX`, [
      `its completion watcher connected ${returns.at >= requests.at ? `${returns.at - requests.at} ms later` : `${requests.at - returns.at} ms earlier`}: ${mails(returns.exists)} waiting in ${RETURNS_FOLDER}`,
    ]);

    const sources: DemoSources = { daemon, signing, servicenow, world, moves };
    const print = (fact: Fact) => told(fact.at, fact.headline, fact.details);
    const sent = await followMail(sources, good, { deadline, print });

    // Printed when seen, with since when: an IDLE can begin before the last step printed (the
    // watcher idles while the submit job is still talking to the simulator).
    const [inboxIdle, returnsIdle] = await waitForIdle(world, daemon, ['INBOX', RETURNS_FOLDER], deadline);
    told(Date.now(), `daemon waiting for new mail in IMAP IDLE on INBOX (requests, since ${since(inboxIdle!)}) and ${RETURNS_FOLDER} (completions, since ${since(returnsIdle!)})`);

    out();
    const [intro, more] = signing.story.signingIntro(fromServicenow ? 'Ann' : 'Ann and Bob');
    out(`2. ${intro}`);
    out(`   ${more}`);
    const completion = await completeAtSimulator(signing, world, daemon, sent.requestId, told);
    await followCompletion(sources, { requestId: sent.requestId, messageId: completion.messageId, afterEventId: sent.lastEventId }, { deadline, print });
    if (fromServicenow) return; // the mistake below is a mail's; this loop began and ended on the record

    out();
    out('3. A mistake: the same kind of mail, but the PDF was forgotten');
    previewMail(out, 'Contractor agreement for RITM0010002', REQUEST_BODY, 'nothing');
    await waitForIdle(world, daemon, ['INBOX'], deadline);
    const bad = await send(transport, world, told, { subject: 'Contractor agreement for RITM0010002', text: REQUEST_BODY }, 'rejected');
    await followMail(sources, bad, { deadline, print });
  } finally {
    transport.close();
  }
}

/**
 * Has the simulator's signers sign the request (as its signers would) and reports what
 * happened there, in the provider's words, and where the mail that tells signrelay was
 * delivered; returns that mail's Message-ID.
 */
async function completeAtSimulator(signing: SimulatedProvider, world: MailWorld, daemon: Daemon, requestId: string, step: Step): Promise<{ messageId: string }> {
  const request = getRequest(daemon.db, requestId);
  const simulated = request && simulatedRequest(daemon, request);
  if (!simulated || simulated.references.length === 0 || simulated.references.includes('')) throw new DemoIncomplete(`request ${requestId} was sent, but no ${signing.displayName} reference is recorded for it`, false);
  const before = world.deliveries.length;
  const since = Date.now();
  await signing.signAll(simulated);
  const { steps, completion } = signing.story.signed(simulated, since);
  for (const told of steps) step(told.at, told.headline, told.details);
  if ('problem' in completion) throw new DemoIncomplete(completion.problem, false);
  // The SMTP server answers 250 only after the mail is filed, so the delivery is recorded now.
  const delivered = world.deliveries.slice(before);
  if (delivered.length === 0) throw new DemoIncomplete('the completion mail was accepted over SMTP but not filed into the return mailbox', false);
  for (const d of delivered) step(d.at.getTime(), `completion mail delivered to ${d.to} (IMAP ${d.folder}, UID ${d.uid})`);
  return { messageId: completion.messageId };
}

function writeConfig(paths: { dataDir: string; config: string }, servers: SandboxServers): Config {
  // Secrets stay out of the file, as in production: `${VAR}` resolved from the environment.
  const variable = (name: string) => `DEMO_${name.toUpperCase().replace(/-/g, '_')}`;
  const text = sandboxConfigText(servers, paths.dataDir, (name) => `"\${${variable(name)}}"`,
    '# Written by `signrelay demo` for its embedded servers; the secrets came from its environment.', '{level: debug, format: json}');
  writeFileSync(paths.config, text, { mode: 0o600 });
  const env = Object.fromEntries(Object.entries(allSecrets(servers)).map(([name, value]) => [variable(name), value]));
  return parseConfigText(text, paths.config, { env });
}

interface Connected {
  at: number;
  exists: number;
}

/** Waits until both watchers have connected to IMAP: [request watcher, completion watcher]. */
async function waitForConnections(daemon: Daemon, deadline: DemoDeadline): Promise<[Connected, Connected]> {
  const watchers = [daemon.requestWatcher, daemon.returnWatcher] as const;
  const stops: Array<() => void> = [];
  const seen = [false, false];
  const connected = watchers.map((watcher, i) => new Promise<Connected>((resolve) => {
    stops.push(watcher.on('connected', (info) => {
      seen[i] = true;
      resolve({ at: Date.now(), exists: info.exists });
    }));
  }));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const waiting = watchers.map((w, i) => seen[i] ? null : `${i === 0 ? 'requests' : 'returns'}: ${w.status().lastError?.message ?? 'no error yet'}`).filter((w) => w !== null);
      reject(new DemoIncomplete(`still waiting for the daemon to connect to IMAP (${waiting.join('; ')})`, true));
    }, Math.max(0, deadline.at - Date.now()));
  });
  try {
    const [requests, returns] = await Promise.race([Promise.all(connected), timeout]);
    return [requests!, returns!];
  } finally {
    clearTimeout(timer);
    for (const stop of stops) stop();
  }
}

function mails(n: number): string {
  return `${n} mail${n === 1 ? '' : 's'}`;
}

/** Waits until the daemon's IMAP connections are in IDLE on each of `folders`, as the IMAP server sees it; returns since when each is. */
async function waitForIdle(world: MailWorld, daemon: Daemon, folders: string[], deadline: DemoDeadline): Promise<Date[]> {
  for (;;) {
    const since = folders.map((f) => world.imapIdleSince(f));
    if (since.every((d) => d !== null)) return since;
    if (Date.now() > deadline.at) {
      const states = `requests: ${daemon.requestWatcher.status().state}, returns: ${daemon.returnWatcher.status().state}`;
      throw new DemoIncomplete(`still waiting for the daemon to enter IMAP IDLE on ${folders.filter((_, i) => !since[i]).join(' and ')} (watchers: ${states})`, true);
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

/**
 * The blob files of the sample request's stamped and signed PDFs, as its documents record
 * them, and whether the record's attachment is the signed one (the simulator keeps it in memory).
 */
function pdfPaths(daemon: Daemon, servicenow: ServiceNowSimulator | undefined): { stamped?: string; signed?: string; onRecord?: string } {
  for (const request of listRequests(daemon.db)) {
    const doc = getDocuments(daemon.db, request.id).find((d) => d.stampedSha256);
    if (!doc) continue;
    const signed = doc.signedSha256 ?? undefined;
    const record = servicenow?.records.find((r) => r.number === request.recordNumber);
    const attachment = record?.attachments.find((a) => a.sysId === doc.attachmentSysId);
    const onRecord = attachment && signed
      ? `(${attachment.hash === signed ? 'the same bytes as' : 'NOT the same bytes as'} ${attachment.fileName} on ${record!.number}, which the ServiceNow simulator kept in memory)`
      : undefined;
    return { stamped: daemon.blobs.pathOf(doc.stampedSha256!), signed: signed && daemon.blobs.pathOf(signed), onRecord };
  }
  return {};
}

/** Stops whatever was started, each part even when another one fails to stop. */
async function stopAll(running: Running, io: CommandIo): Promise<void> {
  const complain = (name: string, err: unknown) => io.stderr.write(`signrelay demo: could not stop ${name} cleanly: ${describeError(err)}\n`);
  try {
    await running.daemon?.stop();
  } catch (err) {
    complain('the daemon', err);
  }
  await stopSandboxServers(running, complain);
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

