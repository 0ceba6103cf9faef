// How long a failed job waits before its next attempt: exponential in the attempt number,
// capped, with jitter so that jobs failing together (a provider outage) do not retry in
// lockstep. A Retry-After from the remote side is a floor, never shortened.

export const JOB_BASE_DELAY_MS = 5_000;
export const JOB_MAX_DELAY_MS = 30 * 60_000;
export const JOB_MAX_ATTEMPTS = 12;

export function retryDelayMs(attempt: number, options: { retryAfterSeconds?: number; random?: () => number; baseMs?: number; maxMs?: number } = {}): number {
  const base = options.baseMs ?? JOB_BASE_DELAY_MS;
  const max = options.maxMs ?? JOB_MAX_DELAY_MS;
  const random = options.random ?? Math.random;
  const exponential = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": half fixed, half random — never less than half the exponential delay.
  const jittered = exponential / 2 + random() * (exponential / 2);
  const floor = (options.retryAfterSeconds ?? 0) * 1000;
  return Math.round(Math.max(jittered, floor));
}
