// How full an IMAP account is, from the server's answer to GETQUOTAROOT (RFC 2087/9208), and
// what that means for signrelay: at its quota the server refuses every new request mail at
// delivery — each requester gets a bounce — while the watchers go on filing what is already
// there, so nothing else signrelay sees tells (quota review H1). Pure: `check`, the watchers,
// status and the alert judge by these rules.
import type { QuotaResponse } from 'imapflow';

export interface QuotaUsage {
  /** The STORAGE resource, in bytes (imapflow turns the server's KiB into bytes). */
  usedBytes: number;
  limitBytes: number;
  /** The server's name for the quota (Dovecot: `User quota`); outside text, for logs only. */
  root: string | null;
}

/**
 * A warning from here on, and a problem: Dovecot's own example configuration warns its users
 * at 80 % and 95 % (conf.d/90-quota.conf, quota_warning2 and quota_warning). Below 100 % the
 * larger mails bounce first: Dovecot's LMTP refuses a mail that would take the account more
 * than quota_grace (10 %) past its limit, so a 400 KB PDF bounced at 75 % of 1 MB.
 */
export const QUOTA_WARN_RATIO = 0.8;
/** Full from here on: ✗ in `check`, and the alert says the requests bounce. */
export const QUOTA_FULL_RATIO = 0.95;

export type QuotaLevel = 'ok' | 'nearly-full' | 'full';

/** The storage usage of a GETQUOTAROOT answer; null when it has none, or no limit (0: none). */
export function quotaUsageOf(answer: QuotaResponse | false | undefined): QuotaUsage | null {
  if (!answer) return null;
  const storage = answer.storage;
  if (!storage || typeof storage !== 'object') return null;
  const { usage, limit } = storage;
  if (typeof usage !== 'number' || typeof limit !== 'number' || !(limit > 0) || !(usage >= 0)) return null;
  return { usedBytes: usage, limitBytes: limit, root: typeof answer.quotaRoot === 'string' ? answer.quotaRoot : null };
}

export function quotaLevel(usage: Pick<QuotaUsage, 'usedBytes' | 'limitBytes'>): QuotaLevel {
  const ratio = usage.usedBytes / usage.limitBytes;
  return ratio >= QUOTA_FULL_RATIO ? 'full' : ratio >= QUOTA_WARN_RATIO ? 'nearly-full' : 'ok';
}

/** Whole percent, rounded down: 94.9 % is not called 95. */
export const quotaPercent = (usage: Pick<QuotaUsage, 'usedBytes' | 'limitBytes'>) => Math.floor((usage.usedBytes / usage.limitBytes) * 100);

const size = (bytes: number) => (bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);

/** `storage 240.0 MB of 300.0 MB (80 %)`. */
export function describeStorage(usage: Pick<QuotaUsage, 'usedBytes' | 'limitBytes'>): string {
  return `storage ${size(usage.usedBytes)} of ${size(usage.limitBytes)} (${quotaPercent(usage)} %)`;
}

/** What the operator does about it, naming the folders signrelay files into (its own mail, all kept). */
export function quotaFix(folders: readonly string[]): string {
  return `expire old mail from ${folders.join(', ')} (signrelay keeps every mail it files there), or raise the account's quota on the mail server`;
}

/** What a full or nearly full account means for the requesters, for the warning, the problem and the alert. */
export function quotaConsequence(level: QuotaLevel): string {
  return level === 'full'
    ? 'the mail server refuses new mail to it: each request mail bounces back to its requester, and signrelay never sees it'
    : 'the mail server refuses the larger new mails to it at its quota (each bounces back to its requester, and signrelay never sees it), then every one';
}
