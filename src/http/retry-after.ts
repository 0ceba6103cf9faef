// `Retry-After` as seconds to wait: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
// Shared by every HTTP client (Secured Signing, ServiceNow); undefined when absent or
// unreadable.
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
