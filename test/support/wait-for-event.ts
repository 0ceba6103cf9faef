// Waiting on the daemon's events (src/store/daemon-events.ts) instead of polling its
// database: a wait looks at what it awaits once at the start — so a fact that happened
// before the wait is not missed — and again after each event, never on a timer. The
// deadline is wait-for.ts's: at least MIN_WAIT_MS, only to end a wait for what is not coming.
import type { Daemon } from '../../src/daemon.ts';
import { onAnyEvent, type DaemonEventMap, type DaemonEvents, type RequestTransition } from '../../src/store/daemon-events.ts';
import { listEvents } from '../../src/store/events.ts';
import { getRequest } from '../../src/store/requests.ts';
import { isFinal, type RequestState } from '../../src/store/request-states.ts';
import { MIN_WAIT_MS, type WaitOptions } from './wait-for.ts';

type Waits = Omit<WaitOptions, 'intervalMs'>;

/** A promise settled by `start` (given resolve and reject), failing with the awaited `what` when the deadline passes first. */
function withDeadline<T>(options: Waits, start: (resolve: (value: T) => void, reject: (err: unknown) => void) => () => void): Promise<T> {
  const timeoutMs = Math.max(options.timeoutMs ?? 0, MIN_WAIT_MS);
  return new Promise<T>((resolve, reject) => {
    let stop: (() => void) | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      clearTimeout(timer);
      stop?.();
    };
    const timer = setTimeout(() => {
      end();
      let state = '';
      try {
        state = options.describe ? `; state: ${JSON.stringify(options.describe())}` : '';
      } catch (err) {
        state = `; state: <describe failed: ${String(err)}>`;
      }
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${options.what ?? 'an event'}${state}`));
    }, timeoutMs);
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
  return withDeadline<DaemonEventMap[K] | null>({ what: `a "${String(name)}" event`, ...options }, (resolve) => {
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
  return withDeadline<NonNullable<T>>({ what: 'a condition', ...options, describe }, (resolve) => {
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
  return withDeadline<void>({
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
