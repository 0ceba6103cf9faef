// Waiting on the daemon's events (src/store/daemon-events.ts) instead of polling its
// database: a wait looks at what it awaits once at the start — so a fact that happened
// before the wait is not missed — and again after each event, never on a timer.
//
// The deadline measures progress, not the clock: it is the longest the daemon may go
// without telling anything (an event: a request moved, a job tried, a mail filed, a
// watcher's state, a scheduled run) — at least MIN_WAIT_MS, wait-for.ts's — and every event
// starts it again. A busy box that makes the daemon slow, not stuck, fails no wait. In all a
// wait lasts at most MAX_WAIT_FACTOR deadlines (a daemon busy with something else forever).
import type { Daemon } from '../../src/daemon.ts';
import { onAnyEvent, type DaemonEventMap, type DaemonEvents, type RequestTransition } from '../../src/store/daemon-events.ts';
import { listEvents } from '../../src/store/events.ts';
import { getRequest } from '../../src/store/requests.ts';
import { isFinal, type RequestState } from '../../src/store/request-states.ts';
import { MIN_WAIT_MS, type WaitOptions } from './wait-for.ts';

type Waits = Omit<WaitOptions, 'intervalMs'>;

/** A wait ends, whatever the daemon tells, after this many of its deadlines. */
export const MAX_WAIT_FACTOR = 2;

/**
 * A promise settled by `start` (given resolve and reject), failing with the awaited `what`
 * once the daemon told nothing for the deadline, or the wait reached MAX_WAIT_FACTOR of them.
 */
function withDeadline<T>(events: Pick<DaemonEvents, 'on'>, options: Waits, start: (resolve: (value: T) => void, reject: (err: unknown) => void) => () => void): Promise<T> {
  const quietMs = Math.max(options.timeoutMs ?? 0, MIN_WAIT_MS);
  const capMs = quietMs * MAX_WAIT_FACTOR;
  const startedAt = Date.now();
  let lastEventAt = startedAt;
  let told = 0;
  return new Promise<T>((resolve, reject) => {
    let stop: (() => void) | undefined;
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    const stopProgress = onAnyEvent(events, () => {
      told += 1;
      lastEventAt = Date.now();
    });
    const end = () => {
      ended = true;
      clearTimeout(timer);
      stopProgress();
      stop?.();
    };
    const fail = () => {
      const now = Date.now();
      end();
      let state = '';
      try {
        state = options.describe ? `; state: ${JSON.stringify(options.describe())}` : '';
      } catch (err) {
        state = `; state: <describe failed: ${String(err)}>`;
      }
      const why = now - lastEventAt >= quietMs
        ? `Timed out: the daemon told nothing for ${quietMs} ms (${told} events in the ${now - startedAt} ms waited)`
        : `Timed out after ${now - startedAt} ms, the daemon busy (${told} events) but not with it`;
      reject(new Error(`${why}, waiting for ${options.what ?? 'an event'}${state}`));
    };
    // Looks again when the quiet period could have run out: at the last event's deadline.
    const check = () => {
      const now = Date.now();
      const due = Math.min(lastEventAt + quietMs, startedAt + capMs);
      if (now >= due) fail();
      else timer = setTimeout(check, due - now);
    };
    timer = setTimeout(check, quietMs);
    const unsubscribe = start((value) => { end(); resolve(value); }, (err) => { end(); reject(err); });
    // Settled while starting (what was awaited had happened already): unsubscribe now.
    if (ended) unsubscribe();
    else stop = unsubscribe;
  });
}

/**
 * Resolves with the first `name` event that `where` accepts; with null at once when
 * `already` says the awaited fact holds (it is checked after subscribing: nothing slips between).
 */
export function waitForEvent<K extends keyof DaemonEventMap>(
  events: Pick<DaemonEvents, 'on'>,
  name: K,
  where: (...args: DaemonEventMap[K]) => boolean = () => true,
  options: Waits & { already?: () => boolean } = {},
): Promise<DaemonEventMap[K] | null> {
  return withDeadline<DaemonEventMap[K] | null>(events, { what: `a "${String(name)}" event`, ...options }, (resolve) => {
    const stop = events.on(name, (...args) => {
      if (where(...args)) resolve(args);
    });
    if (options.already?.()) resolve(null);
    return stop;
  });
}

/**
 * Resolves with the first truthy value of `predicate` (which may read the database, the
 * simulators, an IMAP folder), looked at now and after every daemon event.
 */
export function waitUntil<T>(events: Pick<DaemonEvents, 'on'>, predicate: () => T | Promise<T>, options: Waits = {}): Promise<NonNullable<T>> {
  let lastError: unknown;
  const describe = () => ({ ...(lastError !== undefined ? { lastError: String(lastError) } : {}), ...(options.describe ? { seen: options.describe() } : {}) });
  return withDeadline<NonNullable<T>>(events, { what: 'a condition', ...options, describe }, (resolve) => {
    let again = true;
    let looking = false;
    let over = false;
    const look = async () => {
      if (looking || over) return;
      looking = true;
      while (again && !over) {
        again = false;
        try {
          const value = await predicate();
          lastError = undefined;
          if (value) {
            over = true;
            resolve(value as NonNullable<T>);
          }
        } catch (err) {
          lastError = err;
        }
      }
      looking = false;
    };
    const stop = onAnyEvent(events, () => {
      again = true;
      void look();
    });
    void look();
    return () => {
      over = true;
      stop();
    };
  });
}

/**
 * Waits until the request has reached `state` (now or earlier: its audit trail says so), and
 * fails at once when it ends in another final state instead, with its reason.
 */
export function waitForState(daemon: Pick<Daemon, 'db' | 'events'>, requestId: string, state: RequestState, options: Waits = {}): Promise<void> {
  const reached = () => listEvents(daemon.db, requestId).some((e) => e.kind === 'transition' && e.toState === state);
  const endedElsewhere = (to: RequestState) => to !== state && isFinal(to);
  return withDeadline<void>(daemon.events, {
    what: `request ${requestId} to be ${state}`, describe: () => getRequest(daemon.db, requestId), ...options,
  }, (resolve, reject) => {
    const fail = (to: RequestState) => reject(new Error(`request ${requestId} ended ${to}, not ${state}: ${getRequest(daemon.db, requestId)?.reason ?? 'no reason recorded'}`));
    const stop = daemon.events.on('request', (t: RequestTransition) => {
      if (t.requestId !== requestId) return;
      if (t.to === state) resolve();
      else if (endedElsewhere(t.to)) fail(t.to);
    });
    const now = getRequest(daemon.db, requestId)?.state;
    if (reached()) resolve();
    else if (now && endedElsewhere(now)) fail(now);
    return stop;
  });
}
