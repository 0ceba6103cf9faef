// Wraps a watcher's handler so that no mail can block its folder for ever: every attempt
// is counted on disk before it starts (a mail that crashes the process counts too), and a
// mail whose processing failed more than `maxAttempts` times is filed by `giveUp` — moved
// out with its reason recorded and an operator alerted. Failures of the infrastructure
// (database busy, disk full, network) never count: that mail waits for the fix, and a
// failure of the data directory is reported as one clear error naming it.
import { describeError, isSignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { countAttempt, recordAttemptFailure, type AttemptRow, type FailureKind } from '../store/message-attempts.ts';
import { findMessage } from '../store/messages.ts';
import type { Db } from '../store/open-database.ts';
import { isStorageFailure, storageContextOf, storageFailure } from '../store/storage-failure.ts';
import type { MessageOutcome, WatchedMessage } from './imap-watcher.ts';
import { IMAP_NETWORK_CODES } from './classify-imap-error.ts';

export const MAX_MESSAGE_ATTEMPTS = 5;
/** Attempts cut short by the process dying count against maxAttempts × this. */
export const UNEXPLAINED_ATTEMPTS_FACTOR = 4;

export interface AttemptLimitOptions {
  db: Db;
  mailbox: string;
  logger: Logger;
  maxAttempts?: number;
  now?: () => Date;
  /** Files a mail that cannot be processed; must commit its outcome before returning. */
  giveUp(message: WatchedMessage, reason: string): MessageOutcome;
}

export function withAttemptLimit(handle: (message: WatchedMessage) => Promise<MessageOutcome>, options: AttemptLimitOptions): (message: WatchedMessage) => Promise<MessageOutcome> {
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? MAX_MESSAGE_ATTEMPTS;
  const storage = storageContextOf(options.db);
  return async (message) => {
    const key = { mailbox: options.mailbox, place: message.place, uid: message.uid };
    let attempt: AttemptRow;
    try {
      const known = findMessage(options.db, key);
      if (known) return { moveTo: known.folder, filedBefore: true };
      attempt = countAttempt(options.db, key, now());
    } catch (err) {
      // Nothing was counted: the database is failing, not this mail.
      throw storageFailure(err, storage) ?? err;
    }
    // An attempt that ended with no recorded error was cut short by the process dying —
    // often for reasons that are not this mail's (OOM killer, power, deploys) — and one whose
    // worker was killed from outside: those count only at a much higher limit.
    // Infrastructure failures took their attempts back.
    const limit = attempt.lastErrorKind === 'processing' ? maxAttempts : maxAttempts * UNEXPLAINED_ATTEMPTS_FACTOR;
    if (attempt.attempts > limit) {
      const why = attempt.lastError ?? 'the process stopped while handling it';
      options.logger.error('giving up on a mail', { uid: message.uid, attempts: attempt.attempts - 1, error: why });
      return options.giveUp(message, `it could not be processed in ${attempt.attempts - 1} attempts (${why})`);
    }
    try {
      return await handle(message);
    } catch (err) {
      const failure = storageFailure(err, storage) ?? err;
      try {
        recordAttemptFailure(options.db, key, describeError(failure), failureKind(failure), now());
      } catch {
        // The database itself is failing: the watcher retries the mail later anyway.
      }
      throw failure;
    }
  };
}


/** Codes of a PDF worker or pdftotext killed from outside (SIGKILL: the OOM killer, most likely). */
const KILLED_CODES: ReadonlySet<string> = new Set(['pdf_worker_killed', 'pdftotext_killed']);

/**
 * Whose failure it was: the mail's own (`processing`), what it needs (`infrastructure`, incl.
 * settings an operator must fix), or a process of ours killed under it (`killed`: the machine
 * short of memory, or a file that made it grow — counted, but at the higher limit).
 */
export function failureKind(err: unknown): FailureKind {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && KILLED_CODES.has(code)) return 'killed';
  if (isSignrelayError(err)) return err.kind === 'transient' || err.kind === 'auth' || err.kind === 'config' ? 'infrastructure' : 'processing';
  if (isStorageFailure(err)) return 'infrastructure';
  return typeof code === 'string' && IMAP_NETWORK_CODES.has(code) ? 'infrastructure' : 'processing';
}
