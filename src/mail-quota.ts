// How full an IMAP account is, from the server's answer to GETQUOTAROOT (RFC 2087/9208), and
// what that means for signrelay: at its quota the server refuses every new request mail at
// delivery — each requester gets a bounce — while the watchers go on filing what is already
// there, so nothing else signrelay sees tells (quota review H1). Pure: `check`, the watchers,
// status and the alert judge by these rules.
import type { QuotaResponse } from 'imapflow';

/** One quota resource the server counts: what is used of it and its limit. */
export interface QuotaUsage {
  /** STORAGE (in bytes: the server's KiB times 1024) or MESSAGE (mails), RFC 9208. */
  resource: 'storage' | 'messages';
  used: number;
  limit: number;
  /** The server's name for the quota (Dovecot: `User quota`); outside text, for logs only. */
  root: string | null;
}

/** One untagged `* QUOTA root (NAME usage limit …)`, as the server sent it (values still text). */
export interface QuotaLine {
  root: string | null;
  /** Name, usage, limit, name, usage, limit, … */
  values: readonly unknown[];
}

/**
 * A warning from here on, and a problem: Dovecot's own example configuration warns its users
 * at 80 % and 95 % (conf.d/90-quota.conf, quota_warning2 and quota_warning). Below 100 % the
 * larger mails bounce first: Dovecot's LMTP refuses a mail that would take the account more
 * than quota_grace (10 %) past its limit, so a 400 KB PDF bounced at 75 % of 1 MB — and a
 * 40 KB one was still delivered at 97 %.
 */
export const QUOTA_WARN_RATIO = 0.8;
/** Full from here on: ✗ in `check`; mail bounces, the larger first, every one past the limit (and its grace). */
export const QUOTA_FULL_RATIO = 0.95;

export type QuotaLevel = 'ok' | 'nearly-full' | 'full';

const COUNT = /^\d{1,15}$/;

/**
 * The fullest resource of all the QUOTA responses of one GETQUOTAROOT (a mailbox may have
 * several roots — Dovecot's User quota and Domain quota — each with STORAGE and MESSAGE
 * limits: the first one reached bounces the mail, diff review 26 M1, L1). Null when none has
 * a limit (0: none). Other resources are not signrelay's concern.
 */
export function fullestQuota(lines: readonly QuotaLine[]): QuotaUsage | null {
  const usages: QuotaUsage[] = [];
  for (const line of lines) {
    for (let i = 0; i + 2 < line.values.length; i += 3) {
      const text = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : '');
      const [name, used, limit] = [text(line.values[i]), text(line.values[i + 1]), text(line.values[i + 2])];
      const resource = name === 'STORAGE' ? 'storage' : name === 'MESSAGE' ? 'messages' : null;
      if (!resource || !COUNT.test(used) || !COUNT.test(limit) || Number(limit) === 0) continue;
      const unit = resource === 'storage' ? 1024 : 1;
      usages.push({ resource, used: Number(used) * unit, limit: Number(limit) * unit, root: line.root });
    }
  }
  return fullestOf(usages);
}

/**
 * The fullest resource of imapflow's own getQuota answer — one root only (the last QUOTA
 * response wins there): what read-quota.ts falls back to when it saw no QUOTA response itself.
 */
export function quotaUsageOf(answer: QuotaResponse | false | undefined): QuotaUsage | null {
  if (!answer) return null;
  const root = typeof answer.quotaRoot === 'string' ? answer.quotaRoot : null;
  const candidates: QuotaUsage[] = [];
  for (const [key, resource] of [['storage', 'storage'], ['messages', 'messages'], ['message', 'messages']] as const) {
    const value = (answer as unknown as Record<string, unknown>)[key];
    if (!value || typeof value !== 'object') continue;
    const { usage, limit } = value as { usage?: unknown; limit?: unknown };
    if (typeof usage !== 'number' || typeof limit !== 'number' || !(limit > 0) || !(usage >= 0)) continue;
    candidates.push({ resource, used: usage, limit, root });
  }
  return fullestOf(candidates);
}

/** How full, as a share of the limit (1: at it). */
export const quotaRatio = (usage: Pick<QuotaUsage, 'used' | 'limit'>) => usage.used / usage.limit;

/** The fullest of several readings — of an account's limits, or of the two watchers of one account; the first of equals; null for none. */
export function fullestOf<T extends Pick<QuotaUsage, 'used' | 'limit'>>(usages: readonly T[]): T | null {
  return usages.reduce<T | null>((fullest, u) => (!fullest || quotaRatio(u) > quotaRatio(fullest) ? u : fullest), null);
}

export function quotaLevel(usage: Pick<QuotaUsage, 'used' | 'limit'>): QuotaLevel {
  const ratio = quotaRatio(usage);
  return ratio >= QUOTA_FULL_RATIO ? 'full' : ratio >= QUOTA_WARN_RATIO ? 'nearly-full' : 'ok';
}

/** Whole percent, rounded down: 94.9 % is not called 95. */
export const quotaPercent = (usage: Pick<QuotaUsage, 'used' | 'limit'>) => Math.floor(quotaRatio(usage) * 100);

const size = (bytes: number) => (bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);

/** `storage 240.0 MB of 300.0 MB (80 %)`, `messages 4,990 of 5,000 (99 %)`. */
export function describeQuota(usage: Pick<QuotaUsage, 'resource' | 'used' | 'limit'>): string {
  const [used, limit] = usage.resource === 'storage' ? [size(usage.used), size(usage.limit)] : [usage.used.toLocaleString('en-US'), usage.limit.toLocaleString('en-US')];
  return `${usage.resource} ${used} of ${limit} (${quotaPercent(usage)} %)`;
}

/** What the operator does about it, naming the folders signrelay files into (its own mail, all kept). */
export function quotaFix(folders: readonly string[]): string {
  return `expire old mail from ${folders.join(', ')} (signrelay keeps every mail it files there), or raise the account's quota on the mail server`;
}

/**
 * What an account this full means for the requesters, for the log line, the problem, `check`
 * and the alert — true at each level: below the limit a server takes what fits (Dovecot adds
 * a 10 % grace), so it is the larger mails that bounce first (diff review 26 M2). `ratio` 1
 * or more: at the limit, or the server refused a mail for it.
 */
export function quotaConsequence(ratio: number): string {
  if (ratio >= 1) return 'the account is at its quota: the mail server refuses new mail to it, so request mails bounce back to their requesters (a small one may still fit within the server\'s grace), and signrelay never sees them';
  if (ratio >= QUOTA_FULL_RATIO) return 'request mails will bounce back to their requesters, and signrelay never sees them: the larger ones first (the mail server refuses a mail that takes the account past its quota, and its grace where it has one), every one once the account reaches it';
  return 'the larger request mails may already bounce back to their requesters (the mail server refuses a mail that takes the account past its quota, and its grace where it has one), and signrelay never sees them';
}
