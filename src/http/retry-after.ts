// `Retry-After` as seconds to wait: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
// Shared by every HTTP client (Secured Signing, Signicat, ServiceNow, the mail token
// endpoints); undefined when absent or unreadable.
//
// Bounded (time.ts boundedRetryAfter): the answer is the remote side's to choose.
import { boundedRetryAfter } from '../time.ts';

export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return boundedRetryAfter(Number(text));
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : boundedRetryAfter((at - now) / 1000);
}
