// Reconnect (and retry) delays: exponential backoff with jitter, bounded by a minimum and a
// maximum delay. Pure — no timers, no I/O; the clock and the random source are injectable so
// tests can drive it with fake timers or a fixed sequence. Its own file because both the IMAP
// supervisor and the per-message retry schedule use it.

/**
 * How long a connection must have stayed up before a disconnect resets the backoff. A server
 * that accepts the login and then drops us right away must not cause a login storm (an
 * emailengine lesson), so a short-lived connection keeps the delay growing.
 */
export const STABLE_CONNECTION_MS = 60_000;

/**
 * - `full`: a random delay between `minDelayMs` and `minDelayMs · 2^(attempt-1)` (capped).
 * - `decorrelated`: a random delay between `minDelayMs` and 3 × the previous delay (capped);
 *   spreads many clients apart while still growing roughly exponentially.
 */
export type JitterMode = 'full' | 'decorrelated';

export interface BackoffPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  jitter: JitterMode;
}

export const DEFAULT_RECONNECT_POLICY: BackoffPolicy = {
  minDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  jitter: 'decorrelated',
};

/**
 * The delay before retry number `attempt` (1 = the first retry).
 * @param previousDelayMs the delay used before the previous retry (decorrelated jitter only)
 * @param random a number in [0, 1)
 */
export function computeBackoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  previousDelayMs: number,
  random: () => number,
): number {
  const min = Math.max(0, policy.minDelayMs);
  const max = Math.max(min, policy.maxDelayMs);
  const upper = policy.jitter === 'full'
    ? Math.min(max, min * 2 ** Math.max(0, attempt - 1))
    : Math.min(max, Math.max(min, previousDelayMs) * 3);
  return Math.round(min + clampUnit(random()) * (upper - min));
}

function clampUnit(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return value >= 1 ? 1 : value;
}

export interface ReconnectBackoffOptions extends Partial<BackoffPolicy> {
  stableConnectionMs?: number;
  random?: () => number;
  now?: () => number;
}

export interface ReconnectBackoff {
  /** The delay to wait before the next attempt; counts that attempt. */
  nextDelayMs(): number;
  /** The connection is up and usable (logged in, folder open). */
  markConnected(): void;
  /** The connection went down; resets only if it had stayed up for `stableConnectionMs`. */
  markDisconnected(): void;
  /** Attempts since the last reset. */
  readonly attempts: number;
}

export function createReconnectBackoff(options: ReconnectBackoffOptions = {}): ReconnectBackoff {
  const policy: BackoffPolicy = {
    minDelayMs: options.minDelayMs ?? DEFAULT_RECONNECT_POLICY.minDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RECONNECT_POLICY.maxDelayMs,
    jitter: options.jitter ?? DEFAULT_RECONNECT_POLICY.jitter,
  };
  const stableMs = options.stableConnectionMs ?? STABLE_CONNECTION_MS;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  let attempts = 0;
  let previousDelayMs = policy.minDelayMs;
  let connectedAt: number | null = null;

  return {
    nextDelayMs() {
      attempts += 1;
      const delay = computeBackoffDelay(policy, attempts, previousDelayMs, random);
      previousDelayMs = delay;
      return delay;
    },
    markConnected() {
      connectedAt = now();
    },
    markDisconnected() {
      if (connectedAt !== null && now() - connectedAt >= stableMs) {
        attempts = 0;
        previousDelayMs = policy.minDelayMs;
      }
      connectedAt = null;
    },
    get attempts() {
      return attempts;
    },
  };
}
