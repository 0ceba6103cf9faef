// How long a failed job waits before its next attempt: exponential in the attempt number,
// capped, with jitter so that jobs failing together (a provider outage) do not retry in
// lockstep. A Retry-After from the remote side is a floor, never shortened. Jobs that wait
// without counting attempts (see job-failure-policy.ts) back off by their age instead.
import { boundedRetryAfter } from '../time.ts';

export const JOB_BASE_DELAY_MS = 5_000;
export const JOB_MAX_DELAY_MS = 30 * 60_000;
export const JOB_MAX_ATTEMPTS = 12;

export interface DelayOptions {
  retryAfterSeconds?: number | undefined;
  random?: (() => number) | undefined;
  baseMs?: number | undefined;
  maxMs?: number | undefined;
}

export function retryDelayMs(attempt: number, options: DelayOptions = {}): number {
  const base = options.baseMs ?? JOB_BASE_DELAY_MS;
  const max = options.maxMs ?? JOB_MAX_DELAY_MS;
  return jittered(Math.min(max, base * 2 ** Math.max(0, attempt - 1)), options);
}

/**
 * The delay for a job that waits without counting attempts: about as long again as it has
 * already existed, between the base delay and the cap — retries thin out geometrically,
 * and a restart does not start the backoff over.
 */
export function waitDelayMs(ageMs: number, options: DelayOptions = {}): number {
  const base = options.baseMs ?? JOB_BASE_DELAY_MS;
  const max = options.maxMs ?? JOB_MAX_DELAY_MS;
  return jittered(Math.min(max, Math.max(base, ageMs)), options);
}

// "Equal jitter": half fixed, half random — never less than half the span.
function jittered(spanMs: number, options: DelayOptions): number {
  const random = options.random ?? Math.random;
  const delay = spanMs / 2 + random() * (spanMs / 2);
  return Math.round(Math.max(delay, boundedRetryAfter(options.retryAfterSeconds ?? 0) * 1000));
}
