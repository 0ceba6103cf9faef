// The world a chaos run kills the daemon in: a real Dovecot (IMAP + LMTP) with the `sign`
// and `returns` accounts, an SMTP server that keeps every mail and relays mail for those
// accounts into Dovecot, the signing provider's simulator — Secured Signing's or
// Signicat's (provider-side.ts), mailing returns+TOKEN@corp.example through that relay —
// and the ServiceNow simulator (one record per request, REST delivery, work notes and the
// status field u_signature_status). They all live in this process and keep their state
// while the daemon — `node src/cli.ts run --config FILE`, a child process with its
// secrets in the environment — is killed and started again on the same data dir.
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { ProviderName } from '../../src/providers/provider.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { bareEnv } from '../cli/helpers.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { tapEffects, type EffectTap } from './effect-tap.ts';
import { startProviderSide, type ProviderSide } from './provider-side.ts';
import { STATUS_FIELD } from './verify-record-updates.ts';
import { guardAgainstOrphan } from '../../src/orphan-guard.ts';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const REPO = new URL('../../', import.meta.url).pathname;

export const IMAP_PASSWORD = 'chaos-imap-pass-never-logged-0b7e';
export const SN_USER = 'signrelay.integration';
export const SN_PASSWORD = 'chaos-sn-pass-never-logged-9c1f';
export const REQUESTER = 'helen.officer@corp.example';
export const ALERTS_TO = 'signrelay-admins@corp.example';
export const REQUEST_ADDRESS = 'sign@corp.example';
export const RECORD_TABLE = 'sc_req_item';

export interface ChaosWorldOptions {
  /** The signing provider the daemon is configured for (default secured-signing). */
  provider?: ProviderName;
  /** How many records (one per request) the ServiceNow simulator holds. */
  records: number;
  /** Secured Signing: lifetime of the simulator's OAuth access tokens (the daemon refreshes min(60 s, a quarter of it) before expiry). */
  accessTokenLifetimeSeconds: number;
  /** Where the temp dir goes (default: the OS temp dir). */
  baseDir?: string;
  /** servicenow.attach_certificate: the provider's evidence beside each signed copy. */
  attachCertificate?: boolean;
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `signrelay run` child; its stdout and stderr go to `logFile`. */
export interface DaemonProcess {
  /** 1 for the first daemon, 2 for the first restart, … */
  index: number;
  pid: number;
  startedAt: number;
  logFile: string;
  /** Whether the data dir held a pid file of a dead process when this one was started. */
  foundStaleLock: boolean;
  exited: Promise<DaemonExit>;
  running(): boolean;
  kill(signal: NodeJS.Signals): void;
}

export interface ChaosWorld {
  dir: string;
  dataDir: string;
  configFile: string;
  dovecot: DovecotHandle;
  smtp: SmtpSink;
  /** The signing provider's side: its simulator, signers, effects and what it counts. */
  provider: ProviderSide;
  servicenow: ServiceNowSimulator;
  tap: EffectTap;
  /** The record numbers, one per request: RITM0020001, … */
  records: string[];
  /** Whether the daemon attaches the provider's certificate beside each signed copy. */
  attachCertificate: boolean;
  /** The daemons started so far, in order. */
  daemons: DaemonProcess[];
  current(): DaemonProcess | undefined;
  startDaemon(): DaemonProcess;
  /** The daemon's database, read-only (never written from here); undefined until it exists. */
  database(): Database.Database | undefined;
  /** Every secret the daemon is given; none may appear in its output. */
  secrets: string[];
  close(options?: { keepDir?: boolean }): Promise<void>;
}

/** Local mailboxes behind the relay; everything else is only kept by the SMTP server. */
function localRecipient(address: string): string | undefined {
  const lower = address.toLowerCase();
  return /^(sign|returns)(\+[^@]*)?@corp\.example$/.test(lower) ? lower : undefined;
}

export function recordNumber(i: number): string {
  return `RITM${String(20001 + i).padStart(7, '0')}`;
}

export async function startChaosWorld(options: ChaosWorldOptions): Promise<ChaosWorld> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: the rest still has to be stopped.
      }
    }
  };
  try {
    const dir = mkdtempSync(join(options.baseDir ?? tmpdir(), 'signrelay-chaos-'));
    const dataDir = join(dir, 'data');
    const dovecot = await startDovecot({ users: { sign: IMAP_PASSWORD, returns: IMAP_PASSWORD } });
    cleanups.push(() => dovecot.stop());
    const smtp = await startSmtpSink({
      parse: false,
      async relay(message) {
        for (const rcpt of message.envelope.rcptTo) {
          const local = localRecipient(rcpt.address);
          if (local) await dovecot.deliver(local, message.raw, message.envelope.mailFrom ? message.envelope.mailFrom.address : '');
        }
      },
    });
    cleanups.push(() => smtp.close());
    const provider = await startProviderSide(options.provider ?? 'secured-signing', {
      smtp: { host: '127.0.0.1', port: smtp.port }, accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds,
    });
    cleanups.push(() => provider.close());
    const records = Array.from({ length: options.records }, (_, i) => recordNumber(i));
    const servicenow = await startServiceNowSimulator({
      users: { [SN_USER]: SN_PASSWORD },
      records: records.map((number) => ({ table: RECORD_TABLE, number })),
    });
    cleanups.push(() => servicenow.close());
    const tap = tapEffects(provider, servicenow.calls, (path) => servicenow.records.find((r) => path.includes(r.sysId))?.journal.filter((j) => j.field === 'work_notes').map((j) => j.value) ?? []);

    const configFile = join(dir, 'signrelay.yaml');
    // upload_settle_seconds 1: the simulator stores an upload at once (a kill between intent
    // and answer is settled from the attachment list without waiting for a slow instance).
    writeFileSync(configFile, `
mailboxes:
  requests: {host: 127.0.0.1, port: ${dovecot.imapPort}, tls: false, user: sign, password: "\${CHAOS_IMAP_PASSWORD}", address: ${REQUEST_ADDRESS}}
  returns: {address: returns@corp.example, host: 127.0.0.1, port: ${dovecot.imapPort}, tls: false, user: returns, password: "\${CHAOS_IMAP_PASSWORD}"}
smtp: {host: 127.0.0.1, port: ${smtp.port}, tls: false, from: "signrelay <${REQUEST_ADDRESS}>"}
provider: ${provider.configYaml}
servicenow: {instance_url: "${servicenow.url}", auth: {type: basic, user: ${SN_USER}, password: "\${CHAOS_SN_PASSWORD}"}, status_field: ${STATUS_FIELD}, attach_certificate: ${options.attachCertificate === true}, upload_settle_seconds: 1}
alerts: {to: [${ALERTS_TO}], min_interval_minutes: 1}
limits: {max_replies_per_hour: 1000, max_requests_per_sender_per_day: 100000}  # one requester sends every request: each acknowledgement is due, and verify.ts counts it
routes:
  default: {allowed_senders: ["*@corp.example"]}
records: {RITM: ${RECORD_TABLE}}
storage: {data_dir: ${dataDir}}
schedule: {reconcile_minutes: 1}
log: {level: info, format: json}
`);
    // The provider's part is read at each start: an operator's fix (a new refresh token) reaches the next daemon.
    const env = () => bareEnv({ CHAOS_IMAP_PASSWORD: IMAP_PASSWORD, CHAOS_SN_PASSWORD: SN_PASSWORD, ...provider.env });

    const daemons: DaemonProcess[] = [];
    cleanups.push(async () => {
      await Promise.all(daemons.filter((d) => d.running()).map((d) => {
        d.kill('SIGKILL');
        return d.exited;
      }));
    });
    let db: Database.Database | undefined;
    cleanups.push(() => {
      db?.close();
    });

    const world: ChaosWorld = {
      dir, dataDir, configFile, dovecot, smtp, provider, servicenow, tap, records, daemons, attachCertificate: options.attachCertificate === true,
      get secrets() {
        return [IMAP_PASSWORD, SN_PASSWORD, ...provider.secrets];
      },
      current: () => daemons.at(-1),
      startDaemon() {
        if (daemons.some((d) => d.running())) throw new Error('a daemon is still running');
        const daemon = spawnDaemon(daemons.length + 1, dir, dataDir, configFile, env());
        daemons.push(daemon);
        return daemon;
      },
      database() {
        if (db) return db;
        const file = join(dataDir, 'signrelay.db');
        if (!existsSync(file)) return undefined;
        try {
          db = new Database(file, { readonly: true, fileMustExist: true });
          db.pragma('busy_timeout = 2000');
          // Tables appear with the first migration; until then, look again later.
          db.prepare('SELECT 1 FROM requests LIMIT 1').get();
          return db;
        } catch {
          db?.close();
          db = undefined;
          return undefined;
        }
      },
      async close(closeOptions = {}) {
        await closeAll();
        if (!closeOptions.keepDir) rmSync(dir, { recursive: true, force: true });
      },
    };
    return world;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function spawnDaemon(index: number, dir: string, dataDir: string, configFile: string, env: NodeJS.ProcessEnv): DaemonProcess {
  const logFile = join(dir, `daemon-${String(index).padStart(3, '0')}.log`);
  const pidFile = join(dataDir, 'signrelay.pid');
  const foundStaleLock = existsSync(pidFile);
  // Output goes straight to a file: nothing is buffered in this process, nothing is lost at SIGKILL.
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [CLI, 'run', '--config', configFile], { cwd: REPO, env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  // A daemon must not outlive this process (a crashed test worker, a ^C'd bench).
  const watchdog = guardAgainstOrphan(child.pid!, 'signrelay-chaos-watchdog');
  let alive = true;
  const exited = new Promise<DaemonExit>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      watchdog.kill('SIGKILL');
      resolve({ code, signal });
    });
  });
  return {
    index, pid: child.pid!, startedAt: Date.now(), logFile, foundStaleLock, exited,
    running: () => alive,
    kill(signal) {
      if (alive) child.kill(signal);
    },
  };
}

/** A request mail for `record`: one unique two-page PDF, two signers (one after the other), due in 30 days. */
export async function requestMail(record: string, messageId: string): Promise<Buffer> {
  const composer = new MailComposer({
    from: `Helen Officer <${REQUESTER}>`,
    to: REQUEST_ADDRESS,
    subject: `Contract for ${record}`,
    text: 'Hello,\n\nplease get this signed.\n\nSigner 1: Ann Lee <ann.lee@example.com>\nSigner 2: Bob Ray <bob.ray@corp.example>\nDue: 30d\n',
    messageId,
    attachments: [{ filename: 'contract.pdf', content: Buffer.from(await contractPdf(`Contract ${record}`)), contentType: 'application/pdf' }],
  });
  return composer.compile().build();
}

async function contractPdf(title: string): Promise<Uint8Array> {
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
