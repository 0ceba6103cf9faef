// The bench's world: a real Dovecot (IMAP + LMTP, accounts `sign` and `returns`, process
// titles on so a session's IDLE shows in `ps`), an SMTP server relaying the simulators'
// mail for those accounts into Dovecot, the Secured Signing and ServiceNow simulators, all
// in this process, and `signrelay run` children started on a fresh data dir each, their
// secrets in the environment (the config refers to them as ${VAR}; nothing prints them).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { startDovecot, type DovecotHandle } from '../../test/support/dovecot.ts';
import { run } from '../../test/support/dovecot-process.ts';
import { startSmtpSink, type SmtpSink } from '../../test/support/smtp-sink.ts';
import { unitEnvironment } from '../../test/support/unit-environment.ts';
import { REQUEST_ADDRESS, REQUESTER } from './corpus.ts';
import { spawnDaemon, type Daemon } from './daemon-process.ts';
import { observeIdle, type IdleObserver } from './idle-observer.ts';
import { emptyObserved, pollAnswers, type Observed } from './sim-tap.ts';

const IMAP_PASSWORD = 'bench-imap-pass-never-printed-5c2e';
const SN_USER = 'signrelay.integration';
const SN_PASSWORD = 'bench-sn-pass-never-printed-81ad';
const SS_API_KEY = 'bench-api-key-0011';
const SS_API_SECRET = 'bench-api-secret-never-printed-3f70';
const RECORD_TABLE = 'sc_req_item';

export interface BenchWorld {
  dir: string;
  dovecot: DovecotHandle;
  smtp: SmtpSink;
  ss: SecuredSigningSimulator;
  sn: ServiceNowSimulator;
  observed: Observed;
  /** A new record at ServiceNow, for one request: RITM0100001, … */
  newRecord(): string;
  /**
   * A daemon on a fresh data dir named `name` (its log: DIR/NAME.log); with `metricsPort`, its
   * /metrics on that loopback port; `extraEnv` on top of the unit's environment (e.g. another allocator).
   */
  startDaemon(name: string, metricsPort?: number, extraEnv?: Record<string, string>): Daemon;
  /** Empties the mailboxes between sections; `filedOnly`: only the folders the daemon files into (a long run's housekeeping). */
  emptyMailboxes(filedOnly?: boolean): Promise<void>;
  /** A session of its own in IDLE on the request mailbox, noting when Dovecot tells of new mail. */
  observeRequests(): Promise<IdleObserver>;
  /** Drops the documents' and attachments' bytes the simulators keep (a long run would hold gigabytes). */
  dropStoredBytes(): void;
  close(keepDir: boolean): Promise<void>;
}

/** The addresses Dovecot holds mail for (plus-addresses included); all other mail is dropped. */
const LOCAL_RECIPIENT = /^(sign|returns)(\+[^@]*)?@corp\.example$/;

/** Whether the dynamic loader knows jemalloc, which the unit preloads into the daemon (src/native-memory.ts). */
function jemallocInstalled(): boolean {
  try {
    return execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).includes('libjemalloc.so.2');
  } catch {
    return false;
  }
}

export async function startWorld(): Promise<BenchWorld> {
  if (!jemallocInstalled()) process.stderr.write('bench: jemalloc is not installed (apt-get install libjemalloc2): the daemons run on glibc\'s malloc, not as the service unit runs them\n');
  // Stopped last-started first, each whatever the one before did.
  const cleanups: Array<() => unknown> = [];
  const closeAll = async () => {
    while (cleanups.length > 0) await Promise.resolve().then(cleanups.pop()).catch(() => undefined);
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-perf-'));
    const observed = emptyObserved();
    const dovecot = await startDovecot({ users: { sign: IMAP_PASSWORD, returns: IMAP_PASSWORD }, extraConfig: 'verbose_proctitle = yes\n' });
    cleanups.push(() => dovecot.stop());
    const smtp = await startSmtpSink({
      parse: false,
      async relay(message) {
        for (const rcpt of message.envelope.rcptTo) {
          const local = rcpt.address.toLowerCase();
          if (LOCAL_RECIPIENT.test(local)) {
            await dovecot.deliver(local, message.raw, message.envelope.mailFrom ? message.envelope.mailFrom.address : '');
            if (local.startsWith('returns')) observed.completionsDelivered.set(local, Date.now());
          } else if (local === REQUESTER) {
            observed.repliesToRequester.push(/^Subject: (.*)$/m.exec(message.raw.subarray(0, 8192).toString('latin1'))?.[1] ?? '(no subject)');
          }
        }
        // Nothing here reads the kept mails: keep none (completion mails carry whole PDFs).
        smtp.messages.length = 0;
      },
    });
    cleanups.push(() => smtp.close());
    const ss = await startSecuredSigningSimulator({
      apiKey: SS_API_KEY, apiSecret: SS_API_SECRET, referer: 'https://corp.example', oauth: true,
      accessTokenLifetimeSeconds: 3_600, documentsLeft: 1_000_000, smtp: { host: '127.0.0.1', port: smtp.port },
    });
    cleanups.push(() => ss.close());
    const sn = await startServiceNowSimulator({ users: { [SN_USER]: SN_PASSWORD } });
    cleanups.push(() => sn.close());
    cleanups.push(tapSimulators(ss, sn, observed));

    const daemons: Daemon[] = [];
    cleanups.push(async () => {
      await Promise.all(daemons.map((d) => d.stop(5_000)));
    });
    let records = 0;
    const world: BenchWorld = {
      dir, dovecot, smtp, ss, sn, observed,
      newRecord() {
        const number = `RITM${String(100_001 + records++).padStart(7, '0')}`;
        sn.addRecord({ table: RECORD_TABLE, number });
        return number;
      },
      startDaemon(name, metricsPort, extraEnv = {}) {
        const dataDir = join(dir, name);
        mkdirSync(dataDir);
        const configFile = join(dir, `${name}.yaml`);
        writeFileSync(configFile, configYaml({ dovecot, smtp, ss, sn, dataDir, metricsPort }));
        // Each daemon its own refresh token: the simulator rotates them, and a fresh data dir knows only the configured one.
        const { refreshToken } = ss.issueTokens();
        // The environment the service unit gives it (glibc's allocator settings), as the service runs.
        const env = { ...unitEnvironment(), PATH: process.env.PATH, BENCH_IMAP_PASSWORD: IMAP_PASSWORD, BENCH_SN_PASSWORD: SN_PASSWORD, BENCH_SS_API_SECRET: SS_API_SECRET, BENCH_SS_REFRESH_TOKEN: refreshToken, ...extraEnv };
        const daemon = spawnDaemon(configFile, join(dir, `${name}.log`), env);
        daemons.push(daemon);
        return daemon;
      },
      async emptyMailboxes(filedOnly = false) {
        const conf = join(dovecot.dir, 'dovecot.conf');
        const folders = { sign: ['INBOX', 'Processed', 'Rejected'], returns: ['INBOX', 'Completed', 'Unmatched'] };
        for (const [user, names] of Object.entries(folders)) {
          for (const folder of names.filter((f) => !filedOnly || f !== 'INBOX')) await run('doveadm', ['-c', conf, 'expunge', '-u', user, 'mailbox', folder, 'all']).catch(() => undefined);
        }
      },
      async observeRequests() {
        const observer = await observeIdle({ host: '127.0.0.1', port: dovecot.imapPort, user: 'sign', password: IMAP_PASSWORD });
        cleanups.push(() => observer.close());
        return observer;
      },
      dropStoredBytes() {
        const empty = new Uint8Array(0);
        for (const doc of ss.documents.values()) {
          // Only what nobody will ask for again: a completed document whose copy reached its record.
          if (doc.status !== 'Complete' || !observed.attachments.has(/\b(RITM\d+)\b/.exec(doc.packageName ?? '')?.[1] ?? '')) continue;
          doc.bytes = empty;
          doc.signedBytes = empty;
          doc.text = '';
        }
        for (const attachment of sn.attachments.values()) attachment.bytes = Buffer.alloc(0);
      },
      async close(keepDir) {
        await closeAll();
        if (!keepDir) rmSync(dir, { recursive: true, force: true });
      },
    };
    return world;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function configYaml(w: { dovecot: DovecotHandle; smtp: SmtpSink; ss: SecuredSigningSimulator; sn: ServiceNowSimulator; dataDir: string; metricsPort: number | undefined }): string {
  const imap = `host: 127.0.0.1, port: ${w.dovecot.imapPort}, tls: false, password: "\${BENCH_IMAP_PASSWORD}"`;
  return `# written by bench/perf/world.ts
mailboxes:
  requests: {${imap}, user: sign, address: ${REQUEST_ADDRESS}}
  returns: {${imap}, user: returns, address: returns@corp.example}
smtp: {host: 127.0.0.1, port: ${w.smtp.port}, tls: false, from: "signrelay <${REQUEST_ADDRESS}>"}
provider: {environment: "${w.ss.url}", oauth_url: "${w.ss.oauthUrl}", api_key: ${SS_API_KEY}, api_secret: "\${BENCH_SS_API_SECRET}", refresh_token: "\${BENCH_SS_REFRESH_TOKEN}", referer: https://corp.example}
servicenow: {instance_url: "${w.sn.url}", auth: {type: basic, user: ${SN_USER}, password: "\${BENCH_SN_PASSWORD}"}}
alerts: {to: [signrelay-admins@corp.example], min_interval_minutes: 1}
routes:
  default: {allowed_senders: ["*@corp.example"]}
records: {RITM: ${RECORD_TABLE}}
storage: {data_dir: ${w.dataDir}}
limits: {max_requests_per_sender_per_day: 1000000}  # one requester sends every mail of the bench
log: {level: info, format: json}
${w.metricsPort === undefined ? '' : `observability: {listen: "127.0.0.1:${w.metricsPort}"}\n`}`;
}

/** Starts reading the simulators' calls into `observed`; returns the function that stops it. */
function tapSimulators(ss: SecuredSigningSimulator, sn: ServiceNowSimulator, observed: Observed): () => void {
  const stopSs = pollAnswers(ss.calls, (call) => {
    const status = call.status;
    if (status >= 400) observed.failures.push(`${call.method} ${call.path} ${status} ${call.error ?? ''}`.trim());
    if (status !== 200) return;
    if (call.method === 'POST' && call.path.includes('/Document/Uploader') && call.file) observed.uploads.set(call.file.name, call.at);
    if (call.method === 'GET' && call.path.includes('/Download/GetDocumentData/')) {
      const reference = decodeURIComponent(call.path.split('/').at(-1) ?? '');
      if (!observed.downloads.has(reference)) observed.downloads.set(reference, call.at);
    }
    if (call.method === 'POST' && call.path.endsWith('/SmartTag/Send')) {
      const body = call.body as { PackageName?: unknown; DocumentReferences?: unknown } | undefined;
      const record = /\b(RITM\d+)\b/.exec(String(body?.PackageName))?.[1];
      const references = Array.isArray(body?.DocumentReferences) ? body.DocumentReferences.map(String) : [];
      if (record && !observed.sends.has(record)) observed.sends.set(record, { at: call.at, references });
    }
  });
  const stopSn = pollAnswers(sn.calls, (call, answeredAt) => {
    if (call.status >= 400) observed.failures.push(`${call.method} ${call.path} ${call.status} ${call.error ?? ''}`.trim());
    if (call.status !== 201 || call.method !== 'POST' || !call.path.startsWith('/api/now/attachment/')) return;
    // POST /api/now/attachment/file names the record in its query (the multipart upload: the newest attachment of that name).
    const file = (call.body as { file?: { name?: string } } | undefined)?.file?.name;
    const sysId = call.query.table_sys_id ?? [...sn.attachments.values()].findLast((a) => a.fileName === file)?.tableSysId;
    const record = sn.records.find((r) => r.sysId === sysId)?.number;
    if (record && !observed.attachments.has(record)) observed.attachments.set(record, answeredAt);
  });
  return () => {
    stopSs();
    stopSn();
  };
}
