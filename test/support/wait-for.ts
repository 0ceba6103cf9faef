// Waiting in tests: poll a condition until it holds or a deadline passes, then fail with a
// message that says what was awaited and what was last seen. Tests wait for facts, never
// sleep for a guessed time. The deadline only ends a wait for something that is not coming:
// a fact that does come ends the wait at once, however slow the machine. So no wait gives up
// before MIN_WAIT_MS — a busy 2-core box (a suite running beside) must not fail a test that
// is merely slow — whatever shorter timeoutMs a caller names.

/** The shortest deadline of any wait (a caller's timeoutMs may only lengthen it). */
export const MIN_WAIT_MS = 60_000;

/** Without an intervalMs, looks again after 25 ms, then half as long again each time, up to 250 ms. */
const FIRST_INTERVAL_MS = 25;
const LONGEST_INTERVAL_MS = 250;

export interface WaitOptions {
  timeoutMs?: number;
  /** A fixed pause between looks. Default: 25 ms growing to 250 ms — a fact that comes soon is seen at once, and a long wait does not spawn doveadm forty times a second on the box it waits on. */
  intervalMs?: number;
  /** What is awaited, for the failure message: "3 mails in Processed". */
  what?: string;
  /** Describes the current state when the wait fails (e.g. the folder's contents). */
  describe?: () => unknown;
}

/** Resolves with the first truthy value the predicate returns. */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = Math.max(options.timeoutMs ?? 0, MIN_WAIT_MS);
  let intervalMs = options.intervalMs ?? FIRST_INTERVAL_MS;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(1, deadline - Date.now()))));
    if (options.intervalMs === undefined) intervalMs = Math.min(LONGEST_INTERVAL_MS, Math.ceil(intervalMs * 1.5));
  }
  const parts = [`Timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}`];
  if (lastError !== undefined) parts.push(`last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  if (options.describe) {
    try {
      parts.push(`state: ${JSON.stringify(await options.describe(), bigintSafe)}`);
    } catch (err) {
      parts.push(`state: <describe failed: ${String(err)}>`);
    }
  }
  throw new Error(parts.join('; '));
}

/** Resolves with the arguments of the next matching event (subscribe before acting). */
export function nextEvent<Args extends unknown[]>(
  subscribe: (listener: (...args: Args) => void) => () => void,
  options: { timeoutMs?: number; what?: string; where?: (...args: Args) => boolean } = {},
): Promise<Args> {
  const timeoutMs = Math.max(options.timeoutMs ?? 0, MIN_WAIT_MS);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${options.what ?? 'an event'}`));
    }, timeoutMs);
    const unsubscribe = subscribe((...args) => {
      if (options.where && !options.where(...args)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(args);
    });
  });
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
