// The chaos run: N request mails are delivered while `signrelay run` (a child process) is
// killed with SIGKILL at least K times and started again on the same data dir; signers
// "sign" at the provider's simulator (Secured Signing's or Signicat's) some time after a
// request was sent there. Kills come at random moments, some of them timed to the instant
// a simulator answers an external effect (so its result is lost to the daemon). In the end
// the daemon runs undisturbed until every request is delivered — failing only when nothing
// has moved for a stall window (stall-clock.ts), not on a wall-clock budget — and
// everything that happened is counted from the remote sides — see verify.ts. Used by
// the suite's chaos tests (test/chaos/suite-runs.ts) and bench/chaos.ts.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderName } from '../../src/providers/provider.ts';
import { DUE_SLACK_MS } from '../../src/scheduler/due-tasks.ts';
import type { SimulatedRequest } from '../../src/sandbox/simulated-provider.ts';
import { recordNumber, requestMail, startChaosWorld, type ChaosWorld, type DaemonExit, type DaemonProcess } from './chaos-world.ts';
import { EFFECT_KINDS, type EffectKind } from './effect-tap.ts';
import type { KillFacts } from './provider-side.ts';
import { createPrng, randomSeed, type Prng } from './prng.ts';
import { startStallClock } from '../support/stall-clock.ts';
import { treeCpuMs } from '../support/child-pids.ts';
import { DIED_WHILE_HANDLING, GIVE_UP_AFTER, isStatusCall, LOCKOUT_SUBJECT, namesLostRefresh, stalledJobs, verifyWorld, type SigningTimeline, type Tally } from './verify.ts';

export interface ChaosOptions {
  /** The signing provider the daemon is configured for (default secured-signing). */
  provider?: ProviderName;
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
  /**
   * Whether the operator fixes a refresh-token chain a kill cut (any kill can land between
   * the provider's rotation and the daemon saving its answer): a new refresh token goes into
   * the configuration before the next daemon starts, as the daemon's alert asks. Default: on,
   * unless the run's kills are timed to token answers to show the lock-out itself.
   */
  reauthorize?: boolean;
  /** Share of kills timed to the answer of an external effect instead of a random moment. */
  targetedShare?: number;
  /** The effects a timed kill may pick (default: upload, send, attach). */
  targets?: EffectKind[];
  /**
   * How long past its random moment a timed kill waits for its effect before it falls back
   * to that moment, ms (default 2 000). A timed kill's moment counts from when the daemon is
   * up (both IMAP watchers connected), not from its start: on a busy machine start-up alone
   * can outlast the uptime, and effects come only after it. Random kills count from the start.
   * `Infinity`: never fall back to a moment — the kill waits for its effect as long as the
   * world keeps moving (the progress mark, the stall window), however slow the machine; only
   * a stall ends the wait (mode `fallback:…`, which a caller that needs the effect rejects).
   */
  effectWaitMs?: number;
  /**
   * After a kill timed to a send, the provider's next look-up of what was sent answers 503
   * once (Secured Signing: Document/Status of the document; Signicat: the order) — a short
   * outage as the daemon comes back, so the completion mail is read before the daemon
   * knows the send happened.
   */
  statusBlipAfterSendKill?: boolean;
  /** The first N record PATCHes at ServiceNow (work notes, the status field) answer 503 (a transient refusal: nothing applied). */
  failNotes?: number;
  /** How long a signer takes after a document was sent, ms. */
  signDelayMs?: [number, number];
  /**
   * How long each next signer takes after the one before, ms (default 1 000–12 000): the
   * request's signers sign one at a time, so reconciliation passes in between note each
   * signature (every daemon start runs one that is due: `reconcile_minutes: 1`).
   */
  signGapMs?: [number, number];
  /**
   * The first N requests to be signed (default 3) hold their second signature until the
   * daemon has read their status after the first: a reconciliation pass has seen a signer
   * who signed alone, so each run notes signatures one by one, whatever the machine's pace.
   */
  lookBetweenSignatures?: number;
  /** Gap between request mails, ms (default: spread over about 60 % of the kill phase). */
  deliveryGapMs?: number;
  /**
   * The stall window, ms (default 30 000): the undisturbed daemon at the end — and the
   * last one's graceful stop — fail only when nothing has moved for this long (a request
   * taken in or moved on, a job queued or done, a mail filed or moved, an effect at a
   * simulator, a signature, a mail sent); time a pending job waits out its retry does not count.
   */
  stallWindowMs?: number;
  /** An absolute cap on the settle phase however it moves, ms (default 10 minutes, or 3 s a request if more). */
  settleCapMs?: number;
  /** servicenow.attach_certificate: each record must also get the provider's certificate, exactly once (default false). */
  attachCertificate?: boolean;
  /** Secured Signing: access-token lifetime at its simulator (s). */
  accessTokenLifetimeSeconds?: number;
  /** Keep the temp dir (daemon logs, data dir): always, never, on a problem, or on a problem or a known bug. */
  keepDir?: 'always' | 'never' | 'on-failure' | 'on-trouble';
  log?: (line: string) => void;
}

export interface KillRecord extends KillFacts {
  daemon: number;
  /** When it was killed; `exited`: it died by itself first (not a kill; reported as a problem). */
  mode: 'random' | 'early' | `effect:${EffectKind}` | `fallback:${EffectKind}` | 'exited';
  uptimeMs: number;
}

export interface ChaosReport extends Tally {
  provider: ProviderName;
  seed: number;
  requests: number;
  kills: number;
  killLog: KillRecord[];
  /** Restarts that found the pid file of the killed daemon and took it over. */
  lockTakeovers: number;
  /** Daemons that exited on their own during the kill phase (a crash, or a refused start). */
  unexpectedExits: string[];
  settledMs: number | null;
  /** Why the settle phase gave up (no progress for the stall window, or the cap), when it did. */
  unsettled: string | null;
  durationMs: number;
  /** Error-level log lines of all daemons, by message, with counts. */
  errorLines: Record<string, number>;
  /** Refresh-token chains a kill cut and the operator fixed (`reauthorize`). */
  reauthorizations: number;
  dir: string | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const DEFAULT_STALL_WINDOW_MS = 30_000;
/** The default cap on the settle phase for `requests` requests. */
export const defaultSettleCapMs = (requests: number) => Math.max(10 * 60_000, requests * 3_000);

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const seed = options.seed ?? randomSeed();
  const provider = options.provider ?? 'secured-signing';
  const log = options.log ?? (() => undefined);
  // The daemon's cold start (Node, type stripping, pdf.js, the first IMAP logins) takes ~2.5 s.
  const uptime = options.uptimeMs ?? [2_000, 6_000];
  const downtime = options.downtimeMs ?? [0, 600];
  const earlyShare = options.earlyShare ?? 0.15;
  const targetedShare = options.targetedShare ?? 0.5;
  const targets = options.targets ?? ['upload', 'send', 'attach'];
  const reauthorize = options.reauthorize ?? !targets.includes('token');
  const effectWaitMs = options.effectWaitMs ?? 2_000;
  const signDelay = options.signDelayMs ?? [0, 1_500];
  const signGap = options.signGapMs ?? [1_000, 12_000];
  const stallWindowMs = options.stallWindowMs ?? DEFAULT_STALL_WINDOW_MS;
  const settleCapMs = options.settleCapMs ?? defaultSettleCapMs(options.requests);
  const startedAt = Date.now();
  const killPrng = createPrng(seed);
  const signPrng = createPrng(seed ^ 0x9e3779b9);

  log(`chaos: ${provider}, seed ${seed} (replay the plan with --seed ${seed}), ${options.requests} requests, ${options.kills} kills`);
  const world = await startChaosWorld({ provider, records: options.requests, accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3_600, attachCertificate: options.attachCertificate });
  let report: ChaosReport | undefined;
  try {
    if (options.failNotes) world.servicenow.failNext('/api/now/table/sc_req_item/', { status: 503, times: options.failNotes });
    const messageIds = world.records.map((_, i) => `<chaos-${seed}-${i + 1}@corp.example>`);
    const mails: Buffer[] = [];
    for (const [i, id] of messageIds.entries()) mails.push(await requestMail(recordNumber(i), id));
    log(`chaos: world up in ${Date.now() - startedAt} ms (${world.dir})`);

    const meanCycle = (uptime[0] + uptime[1]) / 2 + (downtime[0] + downtime[1]) / 2 + 700;
    const gap = options.deliveryGapMs ?? Math.max(20, Math.round((0.6 * options.kills * meanCycle) / options.requests));
    const signer = startSigner(world, signPrng, signDelay, signGap, options.lookBetweenSignatures ?? 3);
    const delivery = deliverAll(world, mails, gap);

    const killLog: KillRecord[] = [];
    const unexpectedExits: string[] = [];
    let kills = 0;
    /** Where in the provider's call log each killed daemon had died. */
    const deaths: number[] = [];
    const mailDeaths: number[] = [];
    let reauthorizations = 0;
    // A daemon that dies by itself is no kill; a crash loop still ends (after 3 K lives).
    for (let life = 1; kills < options.kills && life <= 3 * options.kills; life++) {
      const daemon = world.startDaemon();
      const kill = await killOnce(world, daemon, killPrng, {
        uptime, earlyShare, targetedShare, targets, effectWaitMs, stallWindowMs, progress: () => progressMark(world, signer),
      });
      if (options.statusBlipAfterSendKill && kill.mode === 'effect:send') world.provider.stumbleAfterSendKill(kill);
      killLog.push(kill);
      const exit = await daemon.exited;
      deaths.push(world.provider.calls.length);
      if (kill.mode === 'exited' || exit.signal !== 'SIGKILL') unexpectedExits.push(describeExit(daemon, exit));
      else kills++;
      log(`chaos: kill ${kills}/${options.kills} ${kill.mode} after ${kill.uptimeMs} ms (daemon #${daemon.index}) — ${progress(world)}`);
      await sleep(killPrng.int(downtime[0], downtime[1]));
      // After the downtime: a token call the dead daemon made may still have been carried out meanwhile.
      if (reauthorize && world.provider.refreshChainLost?.(storedRefreshTokens(world))) {
        world.provider.reauthorize!();
        reauthorizations += 1;
        log(`chaos: kill ${kills} cut a refresh-token rotation's answer: the operator put a new refresh token in the configuration`);
      }
      // Taken after the downtime, not at the exit: bytes the dead daemon had written may
      // still reach the SMTP sink after its exit is seen; no daemon runs in between.
      mailDeaths.push(world.smtp.messages.length);
    }
    await delivery.done;
    log(`chaos: all ${mails.length} mails delivered; the last daemon runs undisturbed — ${progress(world)}`);

    const lostRefreshes = killLog.flatMap((k) => (k.spentRefreshToken ? [k.spentRefreshToken] : []));
    const last = world.startDaemon();
    const settleStart = Date.now();
    const outcome = await settle(world, signer, options.requests, { stallWindowMs, settleCapMs }, last, lostRefreshes);
    const settled = outcome.kind !== 'unsettled';
    const settledMs = settled ? Date.now() - settleStart : null;
    const unsettled = outcome.kind !== 'unsettled' ? null
      : last.running() ? `not settled: ${outcome.why}` : `the last daemon exited before everything was delivered`;
    log(outcome.kind === 'settled' ? `chaos: settled ${settledMs} ms after the last start`
      : outcome.kind === 'locked-out' ? `chaos: locked out ${settledMs} ms after the last start (a refresh token's rotation was lost to a kill; the operator was alerted) — ${progress(world)}`
        : `chaos: ${unsettled} — ${progress(world)}`);
    const stop = await stopGracefully(last, stallWindowMs);
    if (stop) unexpectedExits.push(stop);
    signer.stop();
    if (last.running()) unexpectedExits.push(`daemon #${last.index} still running`);

    const tally = await verifyWorld(world, messageIds, lostRefreshes, { signatures: signer.timeline, deaths, mailDeaths });
    tally.problems.unshift(...unexpectedExits.map((e) => `unexpected exit: ${e}`), ...signer.errors.map((e) => `signer: ${e}`));
    if (unsettled) tally.problems.unshift(`${unsettled}: ${progress(world)}`);
    report = {
      ...tally,
      provider, seed, requests: options.requests, kills, killLog,
      lockTakeovers: world.daemons.filter((d) => d.foundStaleLock).length,
      unexpectedExits, settledMs, unsettled, durationMs: Date.now() - startedAt,
      errorLines: errorLinesOf(world.daemons), reauthorizations, dir: null,
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

/**
 * One daemon life: a random moment, or the answer to an effect (with a random fallback — or,
 * with `effectWaitMs` Infinity, none: the effect or a stall of the whole world).
 */
async function killOnce(world: ChaosWorld, daemon: DaemonProcess, prng: Prng, plan: {
  uptime: [number, number]; earlyShare: number; targetedShare: number; targets: EffectKind[]; effectWaitMs: number;
  stallWindowMs: number; progress: () => { mark: string | undefined; nextDueAt?: number };
}): Promise<KillRecord> {
  const targeted = plan.targets.length > 0 && prng.chance(plan.targetedShare);
  const effect = targeted ? prng.pick(plan.targets) : undefined;
  const early = !targeted && prng.chance(plan.earlyShare);
  const delay = early ? prng.int(50, 800) : prng.int(plan.uptime[0], plan.uptime[1]);
  return new Promise<KillRecord>((resolve) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let cancel = () => undefined as void;
    const finish = (record: KillRecord) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cancel();
      resolve(record);
    };
    const atMoment = () => {
      daemon.kill('SIGKILL');
      finish({ daemon: daemon.index, mode: effect ? `fallback:${effect}` : early ? 'early' : 'random', uptimeMs: Date.now() - daemon.startedAt });
    };
    if (effect) {
      cancel = world.tap.once(effect, (call) => {
        // Synchronously, while the simulator is writing its answer: the daemon never reads it.
        daemon.kill('SIGKILL');
        finish({ daemon: daemon.index, mode: `effect:${effect}`, uptimeMs: Date.now() - daemon.startedAt, ...world.provider.killFacts(effect, call) });
      });
      // Effects come only once the daemon is up, which takes what it takes on a busy machine: the
      // fallback moment counts from then, and waits a little longer for the effect.
      void untilReady(daemon).then(async () => {
        if (done) return;
        if (Number.isFinite(plan.effectWaitMs)) {
          timer = setTimeout(atMoment, delay + plan.effectWaitMs);
          return;
        }
        // No moment to fall back to: wait for the effect while anything moves (note that
        // setTimeout cannot take Infinity — it would fire at once).
        const clock = startStallClock(plan.stallWindowMs, Number.POSITIVE_INFINITY);
        while (!done) {
          const now = plan.progress();
          clock.observe(now.mark, now.nextDueAt);
          if (clock.verdict() !== 'moving') return atMoment();
          await sleep(250);
        }
      });
    } else {
      timer = setTimeout(atMoment, delay);
    }
    // A daemon that dies by itself ends its life too (reported by the caller).
    void daemon.exited.then(() => finish({ daemon: daemon.index, mode: 'exited', uptimeMs: Date.now() - daemon.startedAt }));
  });
}

/** How long a life's kill waits for its daemon to connect both watchers before it goes on anyway. */
export const READY_WAIT_MS = 60_000;

/** Resolves once the daemon has connected both IMAP watchers (or exited, or READY_WAIT_MS passed: a daemon that cannot start is reported elsewhere). */
async function untilReady(daemon: DaemonProcess): Promise<void> {
  const giveUpAt = Date.now() + READY_WAIT_MS;
  while (daemon.running() && watchersConnected(daemon) < 2 && Date.now() < giveUpAt) await sleep(100);
}

interface Signer {
  /** Requests being signed now (their signatures and mails on their way). */
  outstanding(): number;
  /** Signatures so far (one signer of one request each). */
  signed(): number;
  errors: string[];
  /** Per request, where in the provider's call log each signature began and ended (verify.ts: which signatures a status call saw). */
  timeline: SigningTimeline['signatures'];
  /** Requests whose next signature waits for the daemon to read their status (lookBetweenSignatures). */
  holding(): number;
  /** When the signer lets the earliest held request go whatever the daemon did (HOLD_LIMIT_MS after it was held); 0 when none is held. */
  releaseAt(): number;
  stop(): void;
}

/**
 * Plays the signers through the simulated provider: every sent request still open to its
 * signers (`unsigned()`) is signed some time later, one signer at a time with a gap
 * between them; the last signature completes it (the provider mails the return address).
 */
function startSigner(world: ChaosWorld, prng: Prng, delay: [number, number], gap: [number, number], lookFirst: number): Signer {
  const scheduled = new Set<string>();
  /** The requests that wait for a look between signatures, and where in the call log each wait began. */
  const looked = new Set<string>();
  const holding = new Map<string, { request: SimulatedRequest; since: number; heldAt: number }>();
  let busy = 0;
  let signed = 0;
  const errors: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, then: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      then();
    }, ms);
    timers.add(timer);
  };
  const timeline: SigningTimeline['signatures'] = new Map();
  const sign = (key: string, request: SimulatedRequest) => {
    const marks = timeline.get(key) ?? { request, before: [], after: [] };
    timeline.set(key, marks);
    marks.before.push(world.provider.calls.length);
    world.provider.signNext(request)
      .then((done) => {
        marks.after.push(world.provider.calls.length);
        signed++;
        if (done) busy--;
        else if (looked.has(key) && marks.after.length === 1) holding.set(key, { request, since: world.provider.calls.length, heldAt: Date.now() });
        else later(prng.int(gap[0], gap[1]), () => sign(key, request));
      })
      .catch((err: unknown) => {
        errors.push(`signing ${key}: ${err instanceof Error ? err.message : String(err)}`);
        busy--;
      });
  };
  const interval = setInterval(() => {
    for (const [key, { request, since, heldAt }] of holding) {
      // A look comes with the next reconciliation, at most ~1.5 min away whatever the load. A
      // request nobody will look at (its send never confirmed, a lock-out's 401s) is let go
      // after three intervals so the run can end, and may then end without a note of its own.
      const looked = world.provider.calls.slice(since).some((call) => isStatusCall(call, request));
      if (!looked && Date.now() - heldAt < HOLD_LIMIT_MS) continue;
      holding.delete(key);
      later(prng.int(gap[0], gap[1]), () => sign(key, request));
    }
    for (const { key, request } of world.provider.unsigned()) {
      if (scheduled.has(key)) continue;
      scheduled.add(key);
      if (looked.size < lookFirst) looked.add(key);
      busy++;
      later(prng.int(delay[0], delay[1]), () => sign(key, request));
    }
  }, 50);
  return {
    outstanding: () => busy,
    signed: () => signed,
    errors,
    timeline,
    holding: () => holding.size,
    releaseAt: () => (holding.size === 0 ? 0 : Math.min(...[...holding.values()].map((h) => h.heldAt + HOLD_LIMIT_MS))),
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

type SettleOutcome = { kind: 'settled' | 'locked-out' } | { kind: 'unsettled'; why: string };

/**
 * Waits until every request is delivered, no job is pending, nothing is open at the
 * provider and both watched folders are empty — or, after a kill at a refresh-token
 * rotation, until the daemon is visibly locked out: every request mail taken in, the rest
 * waiting on the lost refresh, the operator alerted. Gives up when nothing has moved for
 * the stall window (stall-clock.ts), or at the cap.
 */
async function settle(world: ChaosWorld, signer: Signer, requests: number, limits: { stallWindowMs: number; settleCapMs: number }, daemon: DaemonProcess,
  lostRefreshes: string[]): Promise<SettleOutcome> {
  const clock = startStallClock(limits.stallWindowMs, limits.settleCapMs);
  while (daemon.running()) {
    const now = progressMark(world, signer);
    clock.observe(now.mark, now.nextDueAt);
    if (clock.verdict() !== 'moving') return { kind: 'unsettled', why: clock.describe() };
    const db = world.database();
    // Settled only once this daemon looked at both folders itself (and has its signal handlers).
    if (db && signer.outstanding() === 0 && watchersConnected(daemon) >= 2) {
      try {
        const delivered = (db.prepare("SELECT count(DISTINCT record_number) AS n FROM requests WHERE state = 'delivered'").get() as { n: number }).n;
        // A request or completion mail given up after kills (known bug 4) will not be delivered: it is finished too.
        const givenUp = (db.prepare('SELECT count(*) AS n FROM messages WHERE reason LIKE ?').get(`%${DIED_WHILE_HANDLING}%`) as { n: number }).n;
        const pending = (db.prepare("SELECT count(*) AS n FROM jobs WHERE state = 'pending'").get() as { n: number }).n;
        const open = world.provider.unsigned().length > 0;
        const inboxesEmpty = async () => {
          await world.provider.quiet(); // no provider mail still on its way
          return (await world.dovecot.list('sign', 'INBOX')).length === 0 && (await world.dovecot.list('returns', 'INBOX')).length === 0;
        };
        if (delivered + givenUp >= requests && pending === 0 && !open && (await inboxesEmpty())) return { kind: 'settled' };
        if (lostRefreshes.length > 0 && lockedOut(world, db, requests - delivered - givenUp, lostRefreshes) && (await inboxesEmpty())) return { kind: 'locked-out' };
      } catch {
        // The daemon is mid-write or mid-start: look again.
      }
    }
    await sleep(250);
  }
  return { kind: 'unsettled', why: 'the daemon exited' };
}

/**
 * Where the work stands, as one string that changes whenever it moves forward: the
 * requests by state, the jobs by state, the mails recorded and moved (the database), and
 * the effects answered, requests sent, signatures and mails (the simulators). Retries that
 * fail again move none of these. Also when the next pending job is due.
 */
/**
 * Each this much CPU time of the daemon and its PDF workers counts as progress: on a busy
 * machine its start and a cold stamp can take tens of seconds without a row changing (a
 * loaded run saw 30 s), while a daemon that waits on nothing uses a few ms a second.
 */
const CPU_PROGRESS_MS = 1_000;

function progressMark(world: ChaosWorld, signer: Signer): { mark: string | undefined; nextDueAt?: number } {
  const effects = world.tap.counts();
  const daemon = world.current();
  const working = daemon && daemon.running() ? `${daemon.index}@${Math.floor(treeCpuMs(daemon.pid) / CPU_PROGRESS_MS)}` : 'none';
  const outside = [...EFFECT_KINDS.filter((k) => k !== 'token').map((k) => effects[k]), world.provider.sentCount(), signer.signed(), world.smtp.messages.length, working].join(',');
  const db = world.database();
  if (!db) return { mark: `no database; ${outside}` };
  try {
    const counts = (sql: string) => (db.prepare(sql).all() as Array<Record<string, unknown>>).map((r) => Object.values(r).join(':')).join(',');
    const inside = [
      counts('SELECT state, count(*) FROM requests GROUP BY state ORDER BY state'),
      counts('SELECT state, count(*) FROM jobs GROUP BY state ORDER BY state'),
      counts('SELECT count(*), count(moved_at) FROM messages'),
    ].join('; ');
    const next = (db.prepare("SELECT min(run_at) AS at FROM jobs WHERE state = 'pending'").get() as { at: string | null }).at;
    // A held request moves at the daemon's next look (its reconciliation) or, at the latest,
    // when the signer lets it go: a reconciliation that did not look at it (a status call
    // that failed, a late run on a loaded box) is no stall before then.
    const due = [next ? Date.parse(next) : 0, signer.holding() > 0 ? Math.max(nextReconcileAt(db), signer.releaseAt()) : 0];
    return { mark: `${inside}; ${outside}`, ...(Math.max(...due) > 0 ? { nextDueAt: Math.max(...due) } : {}) };
  } catch {
    return { mark: undefined }; // busy: nothing learned this time
  }
}

/** How long a second signature waits for the daemon's look at most (lookBetweenSignatures): three reconciliation intervals. */
const HOLD_LIMIT_MS = 180_000;

/**
 * When the undisturbed daemon's next reconciliation comes at the latest: due 30 s before its
 * minute is up (due-tasks.ts, DUE_SLACK_MS), started on the scheduler's next minute tick.
 */
function nextReconcileAt(db: NonNullable<ReturnType<ChaosWorld['database']>>): number {
  const last = (db.prepare("SELECT started_at AS at FROM schedule_runs WHERE task = 'reconcile'").get() as { at: string } | undefined)?.at;
  if (!last) return 0;
  const due = Date.parse(last) + 60_000 - DUE_SLACK_MS;
  return Math.ceil(due / 60_000) * 60_000 + 5_000;
}

/** Every request not delivered waits on the lost refresh, and the lock-out alert was mailed. */
function lockedOut(world: ChaosWorld, db: NonNullable<ReturnType<ChaosWorld['database']>>, undelivered: number, lostRefreshes: string[]): boolean {
  const alerted = world.smtp.messages.some((m) => m.raw.toString('utf8').replace(/\r?\n[ \t]+/g, ' ').includes(LOCKOUT_SUBJECT));
  return alerted && undelivered > 0 && stalledJobs(db, (error) => namesLostRefresh(error, lostRefreshes)).size >= undelivered;
}

function watchersConnected(daemon: DaemonProcess): number {
  return readFileSync(daemon.logFile, 'utf8').split('\n').filter((line) => line.includes('"message":"imap watcher connected"')).length;
}

/** SIGTERM, then wait for the exit while the daemon's log still grows (stopping takes what it takes on a busy machine). */
async function stopGracefully(daemon: DaemonProcess, stallWindowMs: number): Promise<string | undefined> {
  if (!daemon.running()) return describeExit(daemon, await daemon.exited);
  daemon.kill('SIGTERM');
  const clock = startStallClock(stallWindowMs, 5 * 60_000);
  let exit: DaemonExit | undefined;
  void daemon.exited.then((e) => (exit = e));
  while (!exit) {
    clock.observe(String(statSync(daemon.logFile).size));
    if (clock.verdict() !== 'moving') {
      daemon.kill('SIGKILL');
      await daemon.exited;
      return `daemon #${daemon.index} did not stop after SIGTERM: ${clock.describe()}`;
    }
    await Promise.race([daemon.exited, sleep(100)]);
  }
  return exit.code === 0 ? undefined : describeExit(daemon, exit);
}

function describeExit(daemon: DaemonProcess, exit: DaemonExit): string {
  const tail = readFileSync(daemon.logFile, 'utf8').trim().split('\n').slice(-3).join(' / ');
  return `daemon #${daemon.index} exited with ${exit.code ?? exit.signal}: ${tail.slice(-600)}`;
}

function progress(world: ChaosWorld): string {
  const db = world.database();
  const sent = world.provider.sentCount();
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
    `${report.provider}, seed ${report.seed}; ${report.durationMs} ms in all; settled ${report.settledMs ?? 'never'} ms after the last start${report.unsettled ? ` (${report.unsettled})` : ''}`,
    `kills by moment: ${[...modes].map(([m, n]) => `${m} ×${n}`).join(', ') || 'none'}; started after a crash left its pid file ${report.lockTakeovers} time(s)`,
    `delivered ${report.delivered}/${report.requests}; certificates beside them ${report.certificates} (duplicates ${report.duplicateCertificates}); duplicate work notes ${report.duplicateNotes}, status-field updates ${report.duplicateFieldUpdates}; signer notes ${report.signerNotes}; daemon mails ${report.daemonMails}${report.repeatedMails ? ` (${report.repeatedMails} handed over again after a kill: the same message)` : ''}; orphan uploads (never sent) ${report.orphanUploads}; provider mails to the return address: ${report.providerMails.completion} completion(s), ${report.providerMails.notice} notice(s)${report.lateNotices ? ` (${report.lateNotices} read after the request was delivered: filed as duplicate)` : ''}`,
    `most attempts at one mail ${report.maxMailAttempts} (given up after ${GIVE_UP_AFTER}${report.lostToAttemptLimit ? `; ${report.lostToAttemptLimit} request(s) lost that way` : ''}); provider token answers ${report.tokenRefreshes}${report.reauthorizations ? `; refresh-token chains cut by a kill and fixed by the operator ${report.reauthorizations}` : ''}`,
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

/** The refresh tokens in the daemon's database (none before its first start). */
function storedRefreshTokens(world: ChaosWorld): string[] {
  const db = world.database();
  if (!db) return [];
  return (db.prepare('SELECT refresh_token FROM oauth_tokens WHERE refresh_token IS NOT NULL').all() as Array<{ refresh_token: string }>).map((row) => row.refresh_token);
}
