// Units of time, how a moment is written for people, and the longest wait another system may
// ask of signrelay: one definition for the daemon.

export const DAY_MS = 86_400_000;

/**
 * Milliseconds on the monotonic clock, for a wait that lives only in memory (a deferred
 * mail's next try): a wall clock stepped back by an hour must not stretch it by an hour.
 */
export const monotonicMs = (): number => performance.now();

/** The wall-clock moment of `at` on the monotonic clock, as of `now`: how long ago it was, told as a date. */
export const wallClockOf = (at: number, now: Date = new Date()): Date => new Date(now.getTime() - (monotonicMs() - at));

/** A moment to the minute, as mails and alerts show it: `2026-12-05 08:42 UTC`. */
export const utcMinute = (at: Date | string) => `${(typeof at === 'string' ? at : at.toISOString()).slice(0, 16).replace('T', ' ')} UTC`;

/**
 * The longest wait a remote side's Retry-After can impose. The answer is the service's to
 * choose, and a 429 holds back every provider job of the daemon (jobs/job-runner.ts): one
 * saying "a year" (or more seconds than a date can hold) would stop delivery of documents
 * already signed, with nothing failing and nobody told. The longest rate-limit window of
 * the services used is an hour (ServiceNow's rules count per hour).
 */
export const MAX_RETRY_AFTER_SECONDS = 3_600;

/** Seconds to wait, as asked, within [0, MAX_RETRY_AFTER_SECONDS]. */
export function boundedRetryAfter(seconds: number): number {
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil(seconds)));
}

/** The moment a due date ends, as every provider is sent it: 23:59:59 UTC of that day. */
export const dueMoment = (dueDate: string): Date => new Date(`${dueDate}T23:59:59Z`);
