// A mail the watcher moved out of its folder: recorded (messages.moved_at) and told to the
// daemon's events with the outcome and reason its handler recorded. Apart from messages.ts,
// which the event map reads its outcome type from.
import { announce } from './daemon-events.ts';
import { findMessage, listUnmoved, markMoved, type MessageKey, type MessageRow } from './messages.ts';
import type { Db } from './open-database.ts';

export function markFiled(db: Db, key: MessageKey, folder: string, now: Date): void {
  const row = markMoved(db, key, now);
  if (!row) return;
  announce(db, {
    committed: () => findMessage(db, key)?.movedAt === row.movedAt,
    tell: (events) => events.emit('mail', {
      mailbox: row.mailbox, messageId: row.messageId, folder, outcome: row.outcome, reason: row.reason, requestId: row.requestId,
    }),
  });
}

/**
 * Given the UIDs a pass found in the watched folder: a mail whose outcome is committed, whose
 * move was never confirmed and which is no longer there left by that move — the server
 * carried it out, but its answer was lost with the connection (a server restart, a dropped
 * link, a daemon killed meanwhile). It is recorded as filed where its handler sent it; the
 * rows so filed are returned.
 */
export function fileDeparted(db: Db, mailbox: string, place: string, present: ReadonlySet<number>, now: Date): MessageRow[] {
  const departed = listUnmoved(db, mailbox, place).filter((row) => !present.has(row.uid));
  for (const row of departed) markFiled(db, row, row.folder, now);
  return departed;
}
