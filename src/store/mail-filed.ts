// A mail the watcher moved out of its folder: recorded (messages.moved_at) and told to the
// daemon's events with the outcome and reason its handler recorded. Apart from messages.ts,
// which the event map reads its outcome type from.
import { announce } from './daemon-events.ts';
import { findMessage, markMoved, type MessageKey } from './messages.ts';
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
