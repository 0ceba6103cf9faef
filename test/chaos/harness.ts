// The chaos run: N request mails are delivered while `signrelay run` (a child process) is
// killed with SIGKILL at least K times and started again on the same data dir; signers
// "sign" at the simulator as soon as a document was sent there. Kills come at random
// moments, some of them timed to the instant a simulator answers an external effect (so
// its result is lost to the daemon). In the end the daemon runs undisturbed until every
// request is delivered (or a deadline passes) and everything that happened is counted
// from the remote sides — see verify.ts. Used by test/chaos/chaos.test.ts and bench/chaos.ts.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordNumber, requestMail, startChaosWorld, type ChaosWorld, type DaemonExit, type DaemonProcess } from './chaos-world.ts';
import type { EffectKind } from './effect-tap.ts';
import { createPrng, randomSeed, type Prng } from './prng.ts';
import { DIED_WHILE_HANDLING, GIVE_UP_AFTER, LOCKOUT_SUBJECT, namesLostRefresh, stalledJobs, verifyWorld, type Tally } from './verify.ts';

export interface ChaosOptions {
  requests: number;
  /** SIGKILLs during the run (at least this many; each followed by a restart). */
  kills: number;
  seed?: number;
  /** Daemon uptime before a random kill, ms. */
  uptimeMs?: [number, number];
  /** Share of random kills that come early, in [50, 800] ms: during start-up. */
  earlyShare?: number;
  /** Pause between a kill and the restart, ms (mail keeps arriving meanwhile). */
  downtimeMs?: [number, number];
  /** Share of kills timed to the answer of an external effect instead of a random moment. */
  targetedShare?: number;
  /** The effects a timed kill may pick (default: upload, send, attach). */
  targets?: EffectKind[];
  /**
   * After a kill timed to a send, the provider's next Document/Status answers 503 once (a
   * short outage as the daemon comes back), so the completion mail is read before the
   * daemon knows the send happened.
   */
  statusBlipAfterSendKill?: boolean;
  /** The first N record PATCHes at ServiceNow (work notes, the status field) answer 503 (a transient refusal: nothing applied). */
  failNotes?: number;
  /** How long a signer takes after a document was sent, ms. */
  signDelayMs?: [number, number];
  /** Gap between request mails, ms (default: spread over about 60 % of the kill phase). */
  deliveryGapMs?: number;
  /** How long the undisturbed daemon may take at the end to deliver everything. */
  settleTimeoutMs?: number;
  /** Access-token lifetime at the provider simulator (s). */
  accessTokenLifetimeSeconds?: number;
  /** Keep the temp dir (daemon logs, data dir): always, never, on a problem, or on a problem or a known bug. */
  keepDir?: 'always' | 'never' | 'on-failure' | 'on-trouble';
  log?: (line: string) => void;
}

export interface KillRecord {
  daemon: number;
  /** When it was killed; `exited`: it died by itself first (not a kill; reported as a problem). */
  mode: 'random' | 'early' | `effect:${EffectKind}` | `fallback:${EffectKind}` | 'exited';
  uptimeMs: number;
  /** For a kill timed to a send: the document references whose send result the daemon lost. */
  references?: string[];
  /** For a kill timed to a token answer: sha256 of the refresh token it spent (rotated away, its successor lost). */
  spentRefreshToken?: string;
}

export interface ChaosReport extends Tally {
  seed: number;
  requests: number;
  kills: number;
  killLog: KillRecord[];
  /** Restarts that found the pid file of the killed daemon and took it over. */
  lockTakeovers: number;
  /** Daemons that exited on their own during the kill phase (a crash, or a refused start). */
  unexpectedExits: string[];
  settledMs: number | null;
  durationMs: number;
  /** Error-level log lines of all daemons, by message, with counts. */
  errorLines: Record<string, number>;
  dir: string | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const seed = options.seed ?? randomSeed();
  const log = options.log ?? (() => undefined);
  // The daemon's cold start (Node, type stripping, pdf.js, the first IMAP logins) takes ~2.5 s.
  const uptime = options.uptimeMs ?? [2_000, 6_000];
  const downtime = options.downtimeMs ?? [0, 600];
  const earlyShare = options.earlyShare ?? 0.15;
  const targetedShare = options.targetedShare ?? 0.5;
  const targets = options.targets ?? ['upload', 'send', 'attach'];
  const signDelay = options.signDelayMs ?? [0, 1_500];
  const settleTimeoutMs = options.settleTimeoutMs ?? 60_000;
  const startedAt = Date.now();
  const killPrng = createPrng(seed);
  const signPrng = createPrng(seed ^ 0x9e3779b9);

  log(`chaos: seed ${seed} (replay the plan with --seed ${seed}), ${options.requests} requests, ${options.kills} kills`);
  const world = await startChaosWorld({ records: options.requests, accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3_600 });
  let report: ChaosReport | undefined;
  try {
    if (options.failNotes) world.servicenow.failNext('/api/now/table/sc_req_item/', { status: 503, times: options.failNotes });
    const messageIds = world.records.map((_, i) => `<chaos-${seed}-${i + 1}@corp.example>`);
    const mails: Buffer[] = [];
    for (const [i, id] of messageIds.entries()) mails.push(await requestMail(recordNumber(i), id));
    log(`chaos: world up in ${Date.now() - startedAt} ms (${world.dir})`);

    const meanCycle = (uptime[0] + uptime[1]) / 2 + (downtime[0] + downtime[1]) / 2 + 700;
    const gap = options.deliveryGapMs ?? Math.max(20, Math.round((0.6 * options.kills * meanCycle) / options.requests));
    const signer = startSigner(world, signPrng, signDelay);
    const delivery = deliverAll(world, mails, gap);

    const killLog: KillRecord[] = [];
    const unexpectedExits: string[] = [];
    let kills = 0;
    // A daemon that dies by itself is no kill; a crash loop still ends (after 3 K lives).
    for (let life = 1; kills < options.kills && life <= 3 * options.kills; life++) {
      const daemon = world.startDaemon();
      const kill = await killOnce(world, daemon, killPrng, { uptime, earlyShare, targetedShare, targets });
      if (options.statusBlipAfterSendKill) {
        for (const ref of kill.references ?? []) world.simulator.failNext(`/Document/Status/${ref}`, { status: 503 });
      }
      killLog.push(kill);
      const exit = await daemon.exited;
      if (kill.mode === 'exited' || exit.signal !== 'SIGKILL') unexpectedExits.push(describeExit(daemon, exit));
      else kills++;
      log(`chaos: kill ${kills}/${options.kills} ${kill.mode} after ${kill.uptimeMs} ms (daemon #${daemon.index}) — ${progress(world)}`);
      await sleep(killPrng.int(downtime[0], downtime[1]));
    }
    await delivery.done;
    log(`chaos: all ${mails.length} mails delivered; the last daemon runs undisturbed — ${progress(world)}`);

    const lostRefreshes = killLog.flatMap((k) => (k.spentRefreshToken ? [k.spentRefreshToken] : []));
    const last = world.startDaemon();
    const settleStart = Date.now();
    const outcome = await settle(world, signer, options.requests, settleTimeoutMs, last, lostRefreshes);
    const settled = outcome !== 'unsettled';
    const settledMs = settled ? Date.now() - settleStart : null;
    const unsettled = last.running() ? `not settled within ${settleTimeoutMs} ms` : `the last daemon exited before everything was delivered`;
    log(outcome === 'settled' ? `chaos: settled ${settledMs} ms after the last start`
      : outcome === 'locked-out' ? `chaos: locked out ${settledMs} ms after the last start (a refresh token's rotation was lost to a kill; the operator was alerted) — ${progress(world)}`
        : `chaos: ${unsettled} — ${progress(world)}`);
    const stop = await stopGracefully(last);
    if (stop) unexpectedExits.push(stop);
    signer.stop();
    if (last.running()) unexpectedExits.push(`daemon #${last.index} still running`);

    const tally = await verifyWorld(world, messageIds, lostRefreshes);
    tally.problems.unshift(...unexpectedExits.map((e) => `unexpected exit: ${e}`), ...signer.errors.map((e) => `signer: ${e}`));
    if (!settled) tally.problems.unshift(`${unsettled}: ${progress(world)}`);
    report = {
      ...tally,
      seed, requests: options.requests, kills, killLog,
      lockTakeovers: world.daemons.filter((d) => d.foundStaleLock).length,
      unexpectedExits, settledMs, durationMs: Date.now() - startedAt,
      errorLines: errorLinesOf(world.daemons), dir: null,
    };
    return report;
  } finally {
    const failed = !report || report.problems.length > 0;
    const troubled = failed || report!.knownIssues.length > 0;
    const keep = options.keepDir === 'always' || (options.keepDir === 'on-failure' && failed) || (options.keepDir === 'on-trouble' && troubled);
    if (report) report.dir = keep ? world.dir : null;
    if (keep) log(`chaos: kept ${world.dir} (daemon-NNN.log, data/)`);
    await world.close({ keepDir: keep });
  }
}

/** One daemon life: a random moment, or the answer to an effect (with a random fallback). */
async function killOnce(world: ChaosWorld, daemon: DaemonProcess, prng: Prng, plan: {
  uptime: [number, number]; earlyShare: number; targetedShare: number; targets: EffectKind[];
}): Promise<KillRecord> {
  const targeted = plan.targets.length > 0 && prng.chance(plan.targetedShare);
  const effect = targeted ? prng.pick(plan.targets) : undefined;
  const early = !targeted && prng.chance(plan.earlyShare);
  const delay = early ? prng.int(50, 800) : prng.int(plan.uptime[0], plan.uptime[1]);
  // A timed kill waits a little longer for its effect before falling back to a random moment.
  const wait = effect ? delay + 2_000 : delay;
  const record = await new Promise<KillRecord>((resolve) => {
    let cancel = () => undefined as void;
    const timer = setTimeout(() => {
      cancel();
      daemon.kill('SIGKILL');
      resolve({ daemon: daemon.index, mode: effect ? `fallback:${effect}` : early ? 'early' : 'random', uptimeMs: Date.now() - daemon.startedAt });
    }, wait);
    if (effect) {
      cancel = world.tap.once(effect, (call) => {
        // Synchronously, while the simulator is writing its answer: the daemon never reads it.
        daemon.kill('SIGKILL');
        clearTimeout(timer);
        const body = call.body as { DocumentReferences?: unknown; refresh_token?: unknown } | undefined;
        const references = effect === 'send' && Array.isArray(body?.DocumentReferences) ? body.DocumentReferences.map(String) : undefined;
        const spent = effect === 'token' && typeof body?.refresh_token === 'string' ? createHash('sha256').update(body.refresh_token).digest('hex') : undefined;
        resolve({ daemon: daemon.index, mode: `effect:${effect}`, uptimeMs: Date.now() - daemon.startedAt, references, ...(spent ? { spentRefreshToken: spent } : {}) });
      });
    }
    // A daemon that dies by itself ends its life too (reported by the caller).
    void daemon.exited.then(() => {
      clearTimeout(timer);
      cancel();
      resolve({ daemon: daemon.index, mode: 'exited', uptimeMs: Date.now() - daemon.startedAt });
    });
  });
  return record;
}

interface Signer {
  /** Documents sent at the simulator that are not complete yet (or whose mail is on its way). */
  outstanding(): number;
  errors: string[];
  stop(): void;
}

/** Completes each document at the simulator some time after it was sent there (its mail goes to the return address). */
function startSigner(world: ChaosWorld, prng: Prng, delay: [number, number]): Signer {
  const scheduled = new Set<string>();
  let busy = 0;
  const errors: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const interval = setInterval(() => {
    for (const doc of world.simulator.documents.values()) {
      if (!doc.sent || scheduled.has(doc.reference)) continue;
      scheduled.add(doc.reference);
      busy++;
      const timer = setTimeout(() => {
        timers.delete(timer);
        world.simulator.complete(doc.reference)
          .catch((err: unknown) => errors.push(`completing ${doc.reference}: ${err instanceof Error ? err.message : String(err)}`))
          .finally(() => busy--);
      }, prng.int(delay[0], delay[1]));
      timers.add(timer);
    }
  }, 50);
  return {
    outstanding: () => busy,
    errors,
    stop() {
      clearInterval(interval);
      for (const t of timers) clearTimeout(t);
    },
  };
}

function deliverAll(world: ChaosWorld, mails: Buffer[], gapMs: number): { done: Promise<void> } {
  const done = (async () => {
    for (const mail of mails) {
      await world.dovecot.deliver('sign@corp.example', mail, 'helen.officer@corp.example');
      await sleep(gapMs);
    }
  })();
  return { done };
}

/**
 * Waits until every request is delivered, no job is pending and both watched folders are
 * empty — or, after a kill at a refresh-token rotation, until the daemon is visibly locked
 * out: every request mail taken in, the rest waiting on the lost refresh, the operator alerted.
 */
async function settle(world: ChaosWorld, signer: Signer, requests: number, timeoutMs: number, daemon: DaemonProcess,
  lostRefreshes: string[]): Promise<'settled' | 'locked-out' | 'unsettled'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && daemon.running()) {
    const db = world.database();
    // Settled only once this daemon looked at both folders itself (and has its signal handlers).
    if (db && signer.outstanding() === 0 && watchersConnected(daemon) >= 2) {
      try {
        const delivered = (db.prepare("SELECT count(DISTINCT record_number) AS n FROM requests WHERE state = 'delivered'").get() as { n: number }).n;
        // A request or completion mail given up after kills (known bug 4) will not be delivered: it is finished too.
        const givenUp = (db.prepare('SELECT count(*) AS n FROM messages WHERE reason LIKE ?').get(`%${DIED_WHILE_HANDLING}%`) as { n: number }).n;
        const pending = (db.prepare("SELECT count(*) AS n FROM jobs WHERE state = 'pending'").get() as { n: number }).n;
        const unsent = [...world.simulator.documents.values()].some((d) => d.sent && d.status !== 'Complete');
        const inboxesEmpty = async () => (await world.dovecot.list('sign', 'INBOX')).length === 0 && (await world.dovecot.list('returns', 'INBOX')).length === 0;
        if (delivered + givenUp >= requests && pending === 0 && !unsent && (await inboxesEmpty())) return 'settled';
        if (lostRefreshes.length > 0 && lockedOut(world, db, requests - delivered - givenUp, lostRefreshes) && (await inboxesEmpty())) return 'locked-out';
      } catch {
        // The daemon is mid-write or mid-start: look again.
      }
    }
    await sleep(250);
  }
  return 'unsettled';
}

/** Every request not delivered waits on the lost refresh, and the lock-out alert was mailed. */
function lockedOut(world: ChaosWorld, db: NonNullable<ReturnType<ChaosWorld['database']>>, undelivered: number, lostRefreshes: string[]): boolean {
  const alerted = world.smtp.messages.some((m) => m.raw.toString('utf8').replace(/\r?\n[ \t]+/g, ' ').includes(LOCKOUT_SUBJECT));
  return alerted && undelivered > 0 && stalledJobs(db, (error) => namesLostRefresh(error, lostRefreshes)).size >= undelivered;
}

function watchersConnected(daemon: DaemonProcess): number {
  return readFileSync(daemon.logFile, 'utf8').split('\n').filter((line) => line.includes('"message":"imap watcher connected"')).length;
}

async function stopGracefully(daemon: DaemonProcess): Promise<string | undefined> {
  if (!daemon.running()) return describeExit(daemon, await daemon.exited);
  daemon.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000)));
  const exit = await Promise.race([daemon.exited, timeout]);
  clearTimeout(timer);
  if (exit === 'timeout') {
    daemon.kill('SIGKILL');
    await daemon.exited;
    return `daemon #${daemon.index} did not stop within 10 s of SIGTERM`;
  }
  return exit.code === 0 ? undefined : describeExit(daemon, exit);
}

function describeExit(daemon: DaemonProcess, exit: DaemonExit): string {
  const tail = readFileSync(daemon.logFile, 'utf8').trim().split('\n').slice(-3).join(' / ');
  return `daemon #${daemon.index} exited with ${exit.code ?? exit.signal}: ${tail.slice(-600)}`;
}

function progress(world: ChaosWorld): string {
  const db = world.database();
  const sent = [...world.simulator.documents.values()].filter((d) => d.sent).length;
  const attached = world.servicenow.records.filter((r) => r.attachments.length > 0).length;
  let states = 'no database yet';
  if (db) {
    try {
      const rows = db.prepare('SELECT state, count(*) AS n FROM requests GROUP BY state').all() as Array<{ state: string; n: number }>;
      states = rows.map((r) => `${r.n} ${r.state}`).join(', ') || 'no requests yet';
    } catch (err) {
      states = `database busy (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return `${states}; ${sent} sent, ${attached} attached`;
}

function errorLinesOf(daemons: DaemonProcess[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const daemon of daemons) {
    if (!existsSync(daemon.logFile)) continue;
    for (const line of readFileSync(daemon.logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) {
        if (line.trim()) counts[`(not JSON) ${line.slice(0, 120)}`] = (counts[`(not JSON) ${line.slice(0, 120)}`] ?? 0) + 1;
        continue;
      }
      try {
        const parsed = JSON.parse(line) as { level?: string; message?: string; error?: string };
        if (parsed.level === 'error') {
          const key = `${parsed.message ?? '?'}${parsed.error ? `: ${parsed.error.slice(0, 160)}` : ''}`;
          counts[key] = (counts[key] ?? 0) + 1;
        }
      } catch {
        // A line cut short by SIGKILL.
      }
    }
  }
  return counts;
}

/** The report as lines for people; the last one is the summary the bench prints. */
export function describeReport(report: ChaosReport): string[] {
  const modes = new Map<string, number>();
  for (const k of report.killLog) modes.set(k.mode, (modes.get(k.mode) ?? 0) + 1);
  const lines = [
    `seed ${report.seed}; ${report.durationMs} ms in all; settled ${report.settledMs ?? 'never'} ms after the last start`,
    `kills by moment: ${[...modes].map(([m, n]) => `${m} ×${n}`).join(', ') || 'none'}; stale pid file taken over ${report.lockTakeovers} time(s)`,
    `delivered ${report.delivered}/${report.requests}; duplicate work notes ${report.duplicateNotes}, status-field updates ${report.duplicateFieldUpdates}; daemon mails ${report.daemonMails}; orphan uploads (never sent) ${report.orphanUploads}`,
    `most attempts at one mail ${report.maxMailAttempts} (given up after ${GIVE_UP_AFTER}${report.lostToAttemptLimit ? `; ${report.lostToAttemptLimit} request(s) lost that way` : ''}); provider token refreshes ${report.tokenRefreshes}`,
  ];
  if (report.lockoutAlert) lines.push(`locked out (${report.lostToLockout} request(s) waiting); the alert: ${report.lockoutAlert.replace(/\s+/g, ' ').slice(0, 700)}`);
  const errors = Object.entries(report.errorLines);
  if (errors.length > 0) lines.push(`daemon error lines: ${errors.map(([m, n]) => `${n}× ${m}`).join('; ')}`);
  for (const k of report.knownIssues) lines.push(`KNOWN BUG: ${k}`);
  for (const p of report.problems.slice(0, 40)) lines.push(`PROBLEM: ${p}`);
  if (report.problems.length > 40) lines.push(`… and ${report.problems.length - 40} more problems`);
  if (report.dir) lines.push(`logs and data: ${report.dir} (${join(report.dir, 'daemon-NNN.log')})`);
  lines.push(summaryLine(report));
  return lines;
}

export function summaryLine(report: ChaosReport): string {
  return `requests ${report.requests}, kills ${report.kills}, lost ${report.lost}, duplicate sends ${report.duplicateSends}, duplicate attachments ${report.duplicateAttachments}`;
}
