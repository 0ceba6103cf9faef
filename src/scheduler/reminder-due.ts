// Whether a sent request's signers should get their one reminder now. Pure. The reminder
// goes N days before the due moment (the route's reminder_days_before), once; not after
// the due moment, and not at all when the invitation itself went out inside those N days or
// less than a day before them (a reminder right after the invitation only looks like spam).
import { DAY_MS, dueMoment } from '../time.ts';

export type ReminderVerdict =
  | { due: true; remindAt: Date }
  | { due: false; reason: 'off' | 'not-yet' | 'past-due' | 'sent-too-late'; remindAt?: Date };

export function reminderVerdict(input: { dueDate: string; sentAt: Date }, daysBefore: number, now: Date): ReminderVerdict {
  if (daysBefore <= 0) return { due: false, reason: 'off' };
  const dueAt = dueMoment(input.dueDate);
  const remindAt = new Date(dueAt.getTime() - daysBefore * DAY_MS);
  if (now.getTime() >= dueAt.getTime()) return { due: false, reason: 'past-due', remindAt };
  // Sent less than a day before the reminder moment (the invitation at 23:25, the moment at
  // 23:59:59): the reminder would come within the hour of the invitation.
  if (input.sentAt.getTime() > remindAt.getTime() - DAY_MS) return { due: false, reason: 'sent-too-late', remindAt };
  if (now.getTime() < remindAt.getTime()) return { due: false, reason: 'not-yet', remindAt };
  return { due: true, remindAt };
}
