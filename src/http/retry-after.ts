// `Retry-After` as seconds to wait: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
// Shared by every HTTP client (Secured Signing, Signicat, ServiceNow, the mail token
// endpoints); undefined when absent or unreadable.
//
// Bounded: the answer is the remote side's to choose, and a 429 holds back every provider
// job of the daemon (job-runner.ts) — one saying "a year" (or more seconds than a date can
// hold) would stop delivery of documents already signed, with nothing failing and nobody
// told. The longest rate-limit window of the services used is an hour (ServiceNow's rules
// count per hour), so no answer makes signrelay wait longer than that before it asks again.
export const MAX_RETRY_AFTER_SECONDS = 3_600;

/** Seconds to wait, as asked, within [0, MAX_RETRY_AFTER_SECONDS]. */
export function boundedRetryAfter(seconds: number): number {
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil(seconds)));
}

export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return boundedRetryAfter(Number(text));
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : boundedRetryAfter((at - now) / 1000);
}
