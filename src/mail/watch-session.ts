// One connection's life for the IMAP watcher: connect, make sure the folders exist, open the
// watched folder, catch up, then react to `exists` and deferred-retry timers until the
// connection dies or the watcher stops. The supervisor (imap-watcher.ts) owns reconnects; this
// file owns everything that happens on a single ImapFlow, which is never reused.
import type { ImapFlow } from 'imapflow';
import { SignrelayError, describeError, isSignrelayError } from '../errors.ts';
import { runWatchPass, type PassContext } from './watch-pass.ts';
import { isNameOnly, listedFolder } from './listed-folder.ts';
import { withinRunningTime } from './running-deadline.ts';
import { readQuota, type QuotaReading } from './read-quota.ts';
import { monotonicMs } from '../time.ts';

export interface SessionContext extends PassContext {
  ensureFolders: readonly string[];
  livenessIntervalMs: number;
  livenessTimeoutMs: number;
  /** A quota read unanswered this long ends the session, as a failed liveness probe does. */
  quotaTimeoutMs: number;
  isStopping(): boolean;
  setActivity(activity: 'connected' | 'idle'): void;
  onReady(info: { uidValidity: string; exists: number }): void;
  /** When the account's quota is read (after connecting, then every few minutes: the watcher decides) and what it read. */
  quota: QuotaSchedule;
}

export interface QuotaSchedule {
  /** Whether a read is due now; `atConnect` for the one after connecting. */
  due(atConnect: boolean): boolean;
  started(): void;
  answered(reading: QuotaReading): void;
}

export interface WatchSession {
  /** Resolves when the session is over: with the error that ended it, or null on shutdown. */
  readonly ended: Promise<unknown>;
  /** Graceful end: finish the message in hand, LOGOUT, clear timers. */
  shutdown(): Promise<void>;
  /**
   * Resolves when no handler of this session is running any more (at most `limitMs`
   * later): after the connection died, its handler may still be committing a mail, and a
   * new session must not hand the same mail over meanwhile.
   */
  settled(limitMs: number): Promise<void>;
}

const LOGOUT_TIMEOUT_MS = 5_000;

export function openWatchSession(client: ImapFlow, ctx: SessionContext): WatchSession {
  let over = false;
  let ready = false;
  let passLoop: Promise<void> | null = null;
  let passRequested = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let probing = false;
  let readingQuota = false;
  let resolveEnded: (value: unknown) => void = () => {};
  const ended = new Promise<unknown>((resolve) => (resolveEnded = resolve));
  /** Why the connection went away, once it has; and the guarded calls still waiting, to be told. */
  let closedReason: { error: unknown } | undefined;
  const waitingCalls = new Set<(err: unknown) => void>();

  /**
   * Awaits an IMAP call, but gives up when the connection goes away (a pending command may
   * never settle). Not Promise.race with one promise that lives as long as the session: each
   * race leaves a reaction on it that holds the call's result — every fetched mail's source
   * stayed in memory until the session ended (the daemon grew by each mail's size).
   */
  const guard = <T>(operation: Promise<T>): Promise<T> => {
    operation.catch(() => {});
    if (closedReason) return Promise.reject(closedReason.error);
    return new Promise<T>((resolve, reject) => {
      waitingCalls.add(reject);
      operation.then(resolve, reject).finally(() => waitingCalls.delete(reject));
    });
  };
  const pass: PassContext = { ...ctx, isStopping: () => over || ctx.isStopping() };
  const livenessTimer = setInterval(() => {
    void probe();
    void readQuotaIfDue(false);
  }, ctx.livenessIntervalMs);

  function end(err: unknown): void {
    if (over) return;
    over = true;
    clearInterval(livenessTimer);
    clearTimeout(retryTimer);
    closedReason = { error: err ?? closedError() };
    for (const reject of waitingCalls) reject(closedReason.error);
    waitingCalls.clear();
    try {
      client.close();
    } catch {
      // already closed
    }
    resolveEnded(err);
  }

  client.on('error', (err: Error) => end(err));
  // Deferred a tick: when connect() fails, imapflow closes before the rejection carrying the
  // real reason (e.g. authentication failed) arrives, and that reason must win.
  client.on('close', () => setImmediate(() => end(ctx.isStopping() ? null : closedError())));
  client.on('response', () => ctx.heartbeat());
  client.on('exists', (event) => {
    ctx.heartbeat();
    // The watched folder, or (briefly, looking for a copy of a mail filed before) a target
    // folder: a pass too many costs a FETCH, a pass missed would leave a mail waiting.
    if (ready && event.count > event.prevCount) requestPass();
  });

  /** NOOP while idle: an IDLE connection can die silently and a deaf watcher is the worst failure. */
  async function probe(): Promise<void> {
    // Not behind a quota read either: a slow one (Dovecot's dirsize backend counts the whole
    // account) is no dead connection — and one that never answers meets its own deadline.
    if (!ready || over || passLoop || probing || readingQuota) return;
    probing = true;
    try {
      // Counted in this process's running time: a stall of the daemon is not the server's silence.
      await withinRunningTime(guard(client.noop()), ctx.livenessTimeoutMs, () => new SignrelayError('transient', 'imap_liveness_timeout',
        `The IMAP server did not answer a NOOP within ${ctx.livenessTimeoutMs} ms; reconnecting.`));
      if (!client.usable) throw closedError();
      ctx.heartbeat();
    } catch (err) {
      ctx.logger.warn('imap liveness probe failed', { error: describeError(err) });
      end(err);
    } finally {
      probing = false;
    }
  }

  /**
   * GETQUOTAROOT, when due: one command on this connection, queued by imapflow between the
   * pass's (it selects nothing). Whatever it answers, the session goes on — unless it does not
   * answer in time: the pass commands queue behind it and the probe waits for it, so the
   * connection is ended as a failed probe would (diff review 26 L2). The watcher reads again
   * only at its next interval, not at each reconnect.
   */
  async function readQuotaIfDue(atConnect: boolean): Promise<void> {
    if (!ready || over || readingQuota || !ctx.quota.due(atConnect)) return;
    readingQuota = true;
    ctx.quota.started();
    try {
      const reading = await withinRunningTime(readQuota(client, ctx.folder, guard), ctx.quotaTimeoutMs, () => new SignrelayError('transient', 'imap_quota_timeout',
        `The IMAP server did not answer GETQUOTAROOT (how full the account is) within ${ctx.quotaTimeoutMs} ms; reconnecting, and reading it again in the next interval.`));
      if (!over) ctx.quota.answered(reading);
    } catch (err) {
      // The connection went away under it (the session ends by its own error), or it took too long.
      if (isSignrelayError(err) && err.code === 'imap_quota_timeout' && !over) {
        ctx.logger.warn('imap quota read timed out', { error: describeError(err) });
        end(err);
      }
    } finally {
      readingQuota = false;
    }
  }

  function requestPass(): void {
    if (over || ctx.isStopping()) return;
    passRequested = true;
    passLoop ??= drivePasses().finally(() => (passLoop = null));
  }

  /** One pass at a time; a pass requested while one runs makes exactly one more run after it. */
  async function drivePasses(): Promise<void> {
    try {
      while (passRequested && !over && !ctx.isStopping()) {
        passRequested = false;
        ctx.setActivity('connected');
        await runWatchPass(client, pass, guard);
      }
    } catch (err) {
      end(err);
      return;
    }
    if (over) return;
    ctx.setActivity('idle');
    armRetryTimer();
  }

  function armRetryTimer(): void {
    clearTimeout(retryTimer);
    const dueAt = ctx.retries.nextDueAt();
    if (dueAt === null || over) return;
    retryTimer = setTimeout(requestPass, Math.max(0, dueAt - monotonicMs()));
  }

  async function setUp(): Promise<void> {
    await guard(client.connect());
    await ensureFolders();
    const lock = await guard(client.getMailboxLock(ctx.folder));
    let info: { uidValidity: string; exists: number };
    try {
      info = { uidValidity: ctx.noteUidValidity(client), exists: client.mailbox ? client.mailbox.exists : 0 };
    } finally {
      lock.release();
    }
    if (over) return;
    ready = true;
    ctx.onReady(info);
    // Catch-up: mail that arrived while we were away raised no `exists` event.
    requestPass();
    void readQuotaIfDue(true);
  }

  async function ensureFolders(): Promise<void> {
    const wanted = [...new Set(ctx.ensureFolders)];
    if (wanted.length === 0) return;
    const listed = await guard(client.list());
    const prefix = client.namespace?.prefix ?? '';
    for (const folder of wanted) {
      // A name listed only as the parent of other folders (\NonExistent) is not there: made too.
      const entry = listedFolder(listed, folder, prefix);
      if (entry && !isNameOnly(entry)) continue;
      await ctx.createFolder(client, folder, guard);
    }
  }

  setUp().catch(end);

  return {
    ended,
    async settled(limitMs) {
      if (!passLoop) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([passLoop.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, limitMs)))]);
      clearTimeout(timer);
    },
    async shutdown() {
      if (!ready) {
        end(null);
        return;
      }
      clearTimeout(retryTimer);
      // The mail in hand is finished (and moved) before the connection is closed.
      if (passLoop) ctx.logger.info('imap watcher stopping: finishing the mail in hand first');
      await passLoop;
      if (over) return;
      try {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          guard(client.logout()),
          new Promise((resolve) => (timer = setTimeout(resolve, LOGOUT_TIMEOUT_MS))),
        ]).finally(() => clearTimeout(timer));
      } catch {
        // the connection is going away either way
      }
      end(null);
    },
  };
}

function closedError(): SignrelayError {
  return new SignrelayError('transient', 'imap_connection_closed', 'The IMAP connection was closed; reconnecting.');
}
