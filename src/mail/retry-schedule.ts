// When a message the handler deferred (`retryLater`) is due again. Pure bookkeeping keyed by
// UID within one UIDVALIDITY: passes skip a message until its time, the watcher arms one
// timer for the earliest due time, and the delay grows per message so a message that keeps
// failing never turns into a hot loop. Times are the monotonic clock's (time.ts monotonicMs).
// It also keeps where a mail was copied whose original the server kept (a move without MOVE):
// the same UIDs, forgotten when they are.
import { computeBackoffDelay, type BackoffPolicy } from './reconnect-backoff.ts';

export const DEFAULT_MESSAGE_RETRY_POLICY: BackoffPolicy = {
  minDelayMs: 30_000,
  maxDelayMs: 30 * 60_000,
  jitter: 'full',
};

interface Entry {
  attempts: number;
  previousDelayMs: number;
  dueAt: number;
  /** When it was first deferred (its clock's ms); undefined for a fetch counted as cut only. */
  firstDeferredAt?: number;
  /** The folder its copy was made in, its original not expunged yet. */
  copiedTo?: string;
}

export interface RetrySchedule {
  /** Records a deferral of `uid`; returns the delay until it is due again. */
  defer(uid: number, now: number): number;
  /** Whether a pass may hand `uid` to the handler now (true when it was never deferred). */
  isDue(uid: number, now: number): boolean;
  /** Counts an attempt of `uid` that a lost connection cut off, leaving it due at once. */
  countCut(uid: number): void;
  attempts(uid: number): number;
  /** `uid` was copied to `folder` and is still to be expunged: it is not to be copied again. */
  noteCopied(uid: number, folder: string): void;
  /** The folder `uid` was copied to (noteCopied) while it stayed here. */
  copiedTo(uid: number): string | undefined;
  /** The message left the folder (moved): forget it. */
  forget(uid: number): void;
  /** Forget every message that is no longer in the folder. */
  retainOnly(uids: ReadonlySet<number>): void;
  /** UIDs are meaningless after a UIDVALIDITY change: forget everything. */
  clear(): void;
  /** The earliest due time, or null when nothing is deferred. */
  nextDueAt(): number | null;
  /** The mails deferred now, and since when the oldest of them has waited (`now`'s clock). */
  waiting(): { mails: number; since: number | null };
}

export function createRetrySchedule(
  policy: BackoffPolicy = DEFAULT_MESSAGE_RETRY_POLICY,
  random: () => number = Math.random,
): RetrySchedule {
  const entries = new Map<number, Entry>();
  return {
    defer(uid, now) {
      const entry = entries.get(uid) ?? { attempts: 0, previousDelayMs: policy.minDelayMs, dueAt: now };
      entry.firstDeferredAt ??= now;
      entry.attempts += 1;
      const delay = computeBackoffDelay(policy, entry.attempts, entry.previousDelayMs, random);
      entry.previousDelayMs = delay;
      entry.dueAt = now + delay;
      entries.set(uid, entry);
      return delay;
    },
    countCut(uid) {
      const entry = entries.get(uid) ?? { attempts: 0, previousDelayMs: policy.minDelayMs, dueAt: 0 };
      entry.attempts += 1;
      entries.set(uid, entry);
    },
    isDue(uid, now) {
      const entry = entries.get(uid);
      return entry === undefined || entry.dueAt <= now;
    },
    attempts(uid) {
      return entries.get(uid)?.attempts ?? 0;
    },
    noteCopied(uid, folder) {
      const entry = entries.get(uid) ?? { attempts: 0, previousDelayMs: policy.minDelayMs, dueAt: 0 };
      entry.copiedTo = folder;
      entries.set(uid, entry);
    },
    copiedTo(uid) {
      return entries.get(uid)?.copiedTo;
    },
    forget(uid) {
      entries.delete(uid);
    },
    retainOnly(uids) {
      for (const uid of entries.keys()) if (!uids.has(uid)) entries.delete(uid);
    },
    clear() {
      entries.clear();
    },
    waiting() {
      let mails = 0;
      let since: number | null = null;
      for (const entry of entries.values()) {
        if (entry.firstDeferredAt === undefined) continue;
        mails++;
        if (since === null || entry.firstDeferredAt < since) since = entry.firstDeferredAt;
      }
      return { mails, since };
    },
    nextDueAt() {
      let earliest: number | null = null;
      for (const entry of entries.values()) {
        if (earliest === null || entry.dueAt < earliest) earliest = entry.dueAt;
      }
      return earliest;
    },
  };
}
