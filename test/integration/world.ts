// A complete little world for integration tests: a real Dovecot (IMAP + LMTP), an SMTP
// sink for what signrelay sends, the Secured Signing simulator, and signrelay's daemon
// configured against all three through the real configuration loader.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { startDaemon, type Daemon, type DaemonOptions } from '../../src/daemon.ts';
import { createLogger } from '../../src/log.ts';
import { getDocuments, getRequest, listRequests, transition, type RequestRow } from '../../src/store/requests.ts';
import { retryPlan } from '../../src/cli-io/retry-plan.ts';
import { addEvent, listEvents } from '../../src/store/events.ts';
import { logTail } from '../support/log-tail.ts';
import { quoteOutside } from '../../src/outside-text.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { enqueueJob, jobsForRequest } from '../../src/store/jobs.ts';
import type { ProviderName } from '../../src/providers/provider.ts';
import type { SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/sandbox/simulated-provider.ts';
import { startServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { readUpdateSet, SHIPPED_UPDATE_SET } from '../../src/sandbox/servicenow/update-set.ts';
import { readFileSync } from 'node:fs';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { startSmtpSink, type SinkMessage } from '../support/smtp-sink.ts';
import { RECORDS } from '../support/instance-records.ts';

export const API_KEY = 'test-api-key-0001';
export const API_SECRET = 'test-api-secret-do-not-log-7f3a';
export const IMAP_PASSWORD = 'imap-pass-do-not-log-91c2';
export const SN_PASSWORD = 'sn-pass-do-not-log-c0ffee';
export const SN_USER = 'signrelay.integration';
export const INSTANCE_ADDRESS = 'instance@service-now.com';
export const ALERTS_TO = 'signrelay-admins@corp.example';
export const REFERER = 'https://corp.example';
/** An agent who may click the update set's UI actions (roles itil and sn_hr_core.case_writer). */
export const AGENT_USER = 'agent.alice';
export const AGENT_PASSWORD = 'agent-pass-do-not-log-5e11';
/** The sys_user whose email is signrelay's From address (sign@corp.example): role signrelay_delivery. */
export const DELIVERY_USER = 'signrelay.delivery';

/** Records the ServiceNow simulator holds in every world (instance-records.ts). */
export { RECORDS };

export interface WorldOptions {
  /** Which provider's simulator signrelay is configured for (default secured-signing). */
  provider?: ProviderName;
  /** The Secured Signing simulator mails completed documents (default true). Signicat always mails its notices. */
  completionMails?: boolean;
  /** Extra YAML appended to the configuration (later keys win). */
  configYaml?: string;
  /** Tables the integration user may not write to (403). */
  forbiddenTables?: string[];
  /** ServiceNow authentication (default basic); oauth uses the password grant with short-lived tokens. */
  servicenowAuth?: 'basic' | 'oauth';
  /** The ServiceNow simulator imports deploy/servicenow's update set and mails its notifications (from INSTANCE_ADDRESS). */
  updateSet?: boolean;
  /** The SMTP relay offers AUTH and checks this login when one is given (default: no AUTH offered); mail without a login still passes. */
  smtpAuth?: { user: string; pass: string };
  /**
   * The relay is the border MTA (BORDER_AUTHSERV): mail whose From is in one of these domains
   * gets its Authentication-Results with dkim=pass, as a border that checked the signature writes.
   */
  borderVouches?: string[];
}

/** The border MTA's authserv-id in the worlds that have one (intake.authentication.trusted_authserv_ids). */
export const BORDER_AUTHSERV = 'mx.corp.example';

/** The header the border MTA prepends to mail whose DKIM signature by `domain` it checked. */
export function borderVouched(domain: string): Record<string, string> {
  return { 'Authentication-Results': `${BORDER_AUTHSERV}; dkim=pass header.d=${domain}` };
}

export const SN_CLIENT_ID = 'signrelay-oauth-client';
/** How long the ServiceNow simulator's access tokens live here. */
export const SN_TOKEN_LIFETIME_S = 2;
export const SN_CLIENT_SECRET = 'sn-client-secret-do-not-log-77';

export interface World {
  dovecot: DovecotHandle;
  /** The SMTP server everything mails through: it keeps every message and hands mail for local mailboxes to Dovecot. */
  smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  /** The signing side, whichever provider: plays the signers, counts the effects. */
  signing: SimulatedProvider;
  /** The Secured Signing simulator itself, for tests about Secured Signing (throws in another provider's world). */
  simulator: SecuredSigningSimulator;
  servicenow: Awaited<ReturnType<typeof startServiceNowSimulator>>;
  config: Config;
  daemon: Daemon | undefined;
  logs: string[];
  /**
   * Holds every message the relay gets that matches, before it reaches Dovecot (its sender
   * waits for the SMTP answer meanwhile), until `release()` lets them on and the hold ends;
   * `arrived` resolves with the first.
   */
  holdMail(match: (message: SinkMessage) => boolean): { arrived: Promise<SinkMessage>; release(): void };
  /** Starts the daemon with `world.config` (a test may replace it to restart with other settings). */
  startDaemon(options?: Partial<Omit<DaemonOptions, 'config' | 'logger'>>): Daemon;
  stopDaemon(): Promise<void>;
  close(): Promise<void>;
}

/** Local mailboxes behind the relay: recipient → Dovecot user address (plus-tags kept). */
function localRecipient(address: string): string | undefined {
  const lower = address.toLowerCase();
  if (lower === INSTANCE_ADDRESS) return 'instance@service-now.com';
  if (/^(sign|returns)(\+[^@]*)?@corp\.example$/.test(lower)) return lower;
  return undefined;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const dovecot = await startDovecot({ users: { sign: IMAP_PASSWORD, returns: IMAP_PASSWORD, instance: IMAP_PASSWORD } });
  const holds: Array<{ match: (message: SinkMessage) => boolean; arrived: (message: SinkMessage) => void; released: Promise<void> }> = [];
  const releases: Array<() => void> = [];
  const smtp = await startSmtpSink({
    ...(options.smtpAuth ? { auth: options.smtpAuth, authOptional: true } : {}),
    async relay(message) {
      const hold = holds.find((h) => h.match(message));
      if (hold) {
        hold.arrived(message);
        await hold.released;
      }
      const fromDomain = /^From:[^\r\n]*@([A-Za-z0-9.-]+)/im.exec(message.raw.toString('latin1'))?.[1]?.toLowerCase();
      const raw = fromDomain && options.borderVouches?.includes(fromDomain)
        ? Buffer.concat([Buffer.from(`Authentication-Results: ${borderVouched(fromDomain)['Authentication-Results']}\r\n`), message.raw])
        : message.raw;
      for (const rcpt of message.envelope.rcptTo) {
        const local = localRecipient(rcpt.address);
        if (local) await dovecot.deliver(local, raw, message.envelope.mailFrom ? message.envelope.mailFrom.address : '');
      }
    },
  });
  const providerName = options.provider ?? 'secured-signing';
  const signing = await startSimulatedProvider(providerName, {
    apiKey: API_KEY, secret: API_SECRET, referer: REFERER,
    smtp: options.completionMails === false && providerName === 'secured-signing' ? undefined : { host: '127.0.0.1', port: smtp.port },
  });
  const servicenow = await startServiceNowSimulator({
    users: { [SN_USER]: SN_PASSWORD, [AGENT_USER]: AGENT_PASSWORD }, records: RECORDS, forbiddenTables: options.forbiddenTables,
    // signrelay's From address is a user's email, the one user with the role the update
    // set's inbound actions require (docs/servicenow.md).
    roles: { [AGENT_USER]: ['itil', 'sn_hr_core.case_writer'], [DELIVERY_USER]: ['signrelay_delivery'] },
    userEmails: { [AGENT_USER]: 'agent.alice@corp.example', [DELIVERY_USER]: 'sign@corp.example' },
    ...(options.updateSet ? {
      updateSet: { definitions: readUpdateSet(readFileSync(SHIPPED_UPDATE_SET, 'utf8')), mail: { smtp: { host: '127.0.0.1', port: smtp.port }, from: `ServiceNow <${INSTANCE_ADDRESS}>` } },
    } : {}),
    oauthClients: { [SN_CLIENT_ID]: SN_CLIENT_SECRET }, accessTokenLifetimeSeconds: SN_TOKEN_LIFETIME_S,
    inbound: { imap: { host: '127.0.0.1', port: dovecot.imapPort, user: 'instance', password: IMAP_PASSWORD }, pollIntervalMs: 200 },
  });
  const dataDir = join(mkdtempSync(join(tmpdir(), 'signrelay-it-')), 'data');
  // upload_settle_seconds 1: the simulator stores an upload at once, so a lost answer's retry
  // looks at the record without waiting for a slow instance (test/faults/late-attachment.test.ts
  // waits for one).
  const config = parseConfigText(`
mailboxes:
  requests: {host: 127.0.0.1, port: ${dovecot.imapPort}, tls: false, user: sign, password: "\${IMAP_PW}", address: sign@corp.example}
  returns: {address: returns@corp.example, user: returns, password: "\${IMAP_PW}"}
smtp: {host: 127.0.0.1, port: ${smtp.port}, tls: false, from: "signrelay <sign@corp.example>"}
provider: ${signing.configYaml('"${SS_SECRET}"')}
servicenow: {instance_url: "${servicenow.url}", auth: ${options.servicenowAuth === 'oauth'
    ? `{type: oauth, grant: password, client_id: ${SN_CLIENT_ID}, client_secret: "\${SN_SECRET}", user: ${SN_USER}, password: "\${SN_PW}"}`
    : `{type: basic, user: ${SN_USER}, password: "\${SN_PW}"}`}, inbound_address: ${INSTANCE_ADDRESS}, upload_settle_seconds: 1}
alerts: {to: [${ALERTS_TO}], min_interval_minutes: 1}
routes:
  default: {allowed_senders: ["*@corp.example"]}
  hr: {signers: ["Harriet Ross <hr.director@corp.example>"], due_days: 7, allowed_senders: ["*@corp.example"], notify_requester: true}
  mail: {delivery: email, allowed_senders: ["*@corp.example", "${INSTANCE_ADDRESS}"]}
records: {RITM: sc_req_item, HRC: sn_hr_core_case, INC: incident}
limits: {max_mail_bytes: 2000000}
storage: {data_dir: ${dataDir}}
${options.configYaml ?? ''}`, 'integration.yaml', { env: { IMAP_PW: IMAP_PASSWORD, SS_SECRET: API_SECRET, SN_PW: SN_PASSWORD, SN_SECRET: SN_CLIENT_SECRET } });

  const logs: string[] = [];
  const world: World = {
    dovecot, smtp, signing, servicenow, config, logs, daemon: undefined,
    get simulator(): SecuredSigningSimulator {
      if (!signing.securedSigning) throw new Error(`this test needs the Secured Signing world, not ${signing.name}'s`);
      return signing.securedSigning;
    },
    startDaemon(options = {}) {
      const stream = new PassThrough();
      stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
      const logger = createLogger({ level: 'debug', format: 'json', stream, secrets: [API_SECRET, IMAP_PASSWORD, SN_PASSWORD, SN_CLIENT_SECRET] });
      // Reconnects wait at most 3 s (the daemon's own 5 min would leave a test that restarts
      // Dovecot on a busy box waiting out a backoff that grew while Dovecot was down).
      world.daemon = startDaemon({ config: world.config, logger, livenessIntervalMs: 2_000, retryBaseMs: 50, reconnect: { maxDelayMs: 3_000 }, ...options });
      return world.daemon;
    },
    holdMail(match) {
      const { promise: arrived, resolve: arrive } = Promise.withResolvers<SinkMessage>();
      const { promise: released, resolve: resolveReleased } = Promise.withResolvers<void>();
      const hold = { match, arrived: arrive, released };
      const release = () => {
        if (holds.includes(hold)) holds.splice(holds.indexOf(hold), 1);
        resolveReleased();
      };
      holds.push(hold);
      releases.push(release);
      return { arrived, release };
    },
    async stopDaemon() {
      await world.daemon?.stop();
      world.daemon = undefined;
    },
    async close() {
      releases.forEach((release) => release());
      await world.stopDaemon();
      await servicenow.close();
      await signing.close();
      await smtp.close();
      await dovecot.stop();
    },
  };
  return world;
}

export interface MailSpec {
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: Array<{ filename: string; content: Buffer | Uint8Array; contentType?: string }>;
  messageId?: string;
}

export async function buildMail(spec: MailSpec): Promise<Buffer> {
  const composer = new MailComposer({
    from: spec.from ?? 'Helen Officer <helen.officer@corp.example>',
    to: spec.to ?? 'sign@corp.example',
    subject: spec.subject ?? 'Please sign RITM0010001',
    text: spec.text,
    html: spec.html,
    headers: spec.headers,
    messageId: spec.messageId,
    attachments: spec.attachments?.map((a) => ({ filename: a.filename, content: Buffer.from(a.content), contentType: a.contentType ?? 'application/pdf' })),
  });
  return composer.compile().build();
}

/** A small, ordinary two-page PDF, made fresh (no tags in it). */
export async function contractPdf(title = 'Contractor agreement'): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= 2; n++) {
    const page = doc.addPage([595, 842]);
    page.drawText(`${title} - page ${n}`, { x: 72, y: 760, size: 16, font });
    page.drawText('The contractor agrees to the terms below.', { x: 72, y: 730, size: 11, font });
  }
  return doc.save();
}

/** Registers a world with a running daemon for the test file; returns its accessor. */
/**
 * When a test of the file fails: the daemon's last log lines per mailbox (imapflow's commands
 * and answers included), the last lines of Dovecot's log and the mails the SMTP server got —
 * a failure seen once on a loaded box is read from the run's output instead of guessed at.
 */
export function reportOnFailure(getWorld: () => World | undefined): void {
  beforeEach(({ task, onTestFailed }) => onTestFailed(() => {
    const world = getWorld();
    if (!world) return;
    console.log(`the daemon's last log lines (${task.name}):\n${logTail(world.logs)}`);
    console.log(`Dovecot's last log lines:\n${world.dovecot.log().split('\n').slice(-40).join('\n')}`);
    console.log(`the mails the SMTP server got:\n${world.smtp.messages.slice(-20).map((m) => quoteOutside(`${m.parsed?.messageId ?? '?'} to ${m.envelope.rcptTo.map((r) => r.address).join(', ')}: ${m.parsed?.subject ?? ''} (in reply to ${m.parsed?.inReplyTo ?? '-'})`, 300)).join('\n')}`);
  }));
}

export function useWorld(options: WorldOptions = {}): () => World {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld(options);
    world.startDaemon();
  }, 60_000);
  reportOnFailure(() => world);
  afterAll(async () => {
    await world?.close();
  });
  return () => world!;
}

/** Mails a request for `record` and waits until it is sent; returns the request and its provider reference. */
export async function sendRequest(world: World, record: string, extra: { to?: string; text?: string } = {}): Promise<{ request: RequestRow; reference: string }> {
  await world.dovecot.deliver(extra.to ?? 'sign@corp.example', await buildMail({
    to: extra.to, subject: `Contract for ${record}`,
    text: extra.text ?? 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === record),
    { what: `the request for ${record} to be sent` });
  // Its acknowledgement is queued with the `sent` state: once it is out, a test that counts mails from here counts only its own.
  await waitUntil(world.daemon!.events, () => !jobsForRequest(world.daemon!.db, request.id).some((j) => j.kind === 'mail' && j.state === 'pending'),
    { what: `the acknowledgement of ${record} sent` });
  return { request, reference: getDocuments(world.daemon!.db, request.id)[0]!.providerRef! };
}


/** What `signrelay retry ID` does to the database (src/commands/retry.ts), then the daemon woken, as its SIGUSR2 does. */
export function operatorRetry(world: World, id: string): void {
  const db = world.daemon!.db;
  const plan = retryPlan(getRequest(db, id)!, listEvents(db, id));
  if (!plan.ok) throw new Error(plan.problem);
  const now = new Date();
  db.transaction(() => {
    transition(db, id, plan.backTo, now, { retriedBy: 'operator' });
    enqueueJob(db, { kind: plan.job, requestId: id, payload: plan.payload }, now);
    addEvent(db, { requestId: id, kind: 'note', detail: { retry: plan.job } }, now);
  })();
  world.daemon!.jobs.poke();
}
