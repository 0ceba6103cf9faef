// The `reminders` task: once per document and due date (an `extend` gets one for its new
// date), the route's reminder_days_before days before the due date, ask the provider to
// remind the signers who have not signed yet (Document/SendReminder) — if the provider still
// says it is being signed. Each call has an intent and a result in the audit trail, so a
// reminder is never sent twice across runs and restarts; a transient failure is tried
// again on the next run, a permanent one is not. A reminder sent is noted on the record:
// its `record` job is queued with the result.
import { queueRecordUpdate } from '../notices/queue-record-update.ts';
import type { Config } from '../config/schema.ts';
import { describeError, isOutcomeUnknown, isProviderRateLimited, isSignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { waitingForSigners, type DocumentStatus, type SigningProvider } from '../providers/provider.ts';
import type { Db } from '../store/open-database.ts';
import { lastReminderAt, lastReminderState, recordReminder, REMIND_AGAIN_AFTER_MS } from '../store/reminder-effects.ts';
import { getDocuments, sentDocumentOf } from '../store/requests.ts';
import { listSentRequests } from '../store/sent-requests.ts';
import { reminderVerdict } from './reminder-due.ts';
import type { PeriodicTask } from './scheduler.ts';

/** Reminders are due by the day; looking every hour is precise enough. */
export const REMINDERS_INTERVAL_MS = 60 * 60_000;

export interface RemindersDeps {
  db: Db;
  config: Config;
  provider: SigningProvider;
  logger: Logger;
  /** Pokes the job runner: a reminder's note waits for no idle check. */
  jobsQueued?: () => void;
}

export function createRemindersTask(deps: RemindersDeps): PeriodicTask {
  const daysBeforeOf = (route: string): number =>
    (deps.config.routes[route] ?? deps.config.routes.default)?.reminder_days_before ?? 0;

  return {
    name: 'reminders',
    intervalMs: REMINDERS_INTERVAL_MS,
    async run({ now, signal }) {
      const counts = { sent: 0 };
      const problems: string[] = [];
      // A provider that cannot remind (Signicat's reminders are notifications set at order time).
      if (!deps.provider.capabilities.remind) return { counts, problems };
      requests: for (const { request, sentAt, completePending } of listSentRequests(deps.db)) {
        if (signal.aborted) break;
        if (completePending) continue; // being completed: nobody needs reminding
        if (!reminderVerdict({ dueDate: request.dueDate, sentAt }, daysBeforeOf(request.route), now()).due) continue;
        // One reminder a day at most: one a reply asked for an hour ago, or this task's for the
        // due date before an `extend`, holds this one back a day. (Not this task's own for this
        // due date: it reminds once per document and due date, and a document whose reminder
        // failed for a moment is tried again at the next run, beside one that went.)
        const remindedByReply = () => {
          const last = lastReminderAt(deps.db, request.id, { exceptDue: request.dueDate });
          return last !== undefined && now().getTime() - last.getTime() < REMIND_AGAIN_AFTER_MS;
        };
        if (remindedByReply()) continue;
        // One note on the record for the reminder, however many documents it took (multidoc review
        // L5) — also when a document whose reminder failed for a moment goes at a later run: one
        // reminded before, for this due date, noted it (re-read A 2).
        const documents = getDocuments(deps.db, request.id);
        let noted = documents.some((d) => lastReminderState(deps.db, request.id, d.seq, request.dueDate)?.phase === 'done');
        for (const doc of documents) {
          if (!doc.providerRef) continue;
          const last = lastReminderState(deps.db, request.id, doc.seq, request.dueDate);
          // An intent without a result: the process died during the call. It may have gone out.
          if (last && !(last.phase === 'failed' && last.retry)) continue;
          const effect = { requestId: request.id, seq: doc.seq, reference: doc.providerRef, due: request.dueDate };
          let current: DocumentStatus;
          try {
            current = await deps.provider.status(sentDocumentOf(request, doc));
            // Signed, declined or expired since the last look: nobody to remind (reconcile takes it from here).
            if (!waitingForSigners(current)) continue;
          } catch (err) {
            problems.push(`request ${request.id} document ${doc.seq}: ${describeError(err)}`);
            if (isProviderRateLimited(err)) break requests; // the rest at the next run
            continue;
          }
          // A reply's `remind` may have gone while the status was read: looked at again with the
          // intent, in one synchronous step, so that one of the two reminds.
          if (remindedByReply()) continue requests;
          recordReminder(deps.db, { ...effect, phase: 'intent' }, now());
          try {
            await deps.provider.sendReminder(sentDocumentOf(request, doc), current);
          } catch (err) {
            if (isSignrelayError(err) && err.code === 'nobody_to_remind') {
              // Signed in the moment between the look and the call: nobody to remind, nothing wrong.
              recordReminder(deps.db, { ...effect, phase: 'failed', retry: false, error: describeError(err) }, now());
              continue;
            }
            // A reminder whose answer was lost may have gone out: not tried again (one missing beats two).
            const retry = !isOutcomeUnknown(err) && (!isSignrelayError(err) || err.kind === 'transient' || err.kind === 'auth');
            recordReminder(deps.db, { ...effect, phase: 'failed', retry, error: describeError(err) }, now());
            problems.push(`request ${request.id} document ${doc.seq}: ${describeError(err)}`);
            deps.logger.warn('reminder failed', { requestId: request.id, reference: doc.providerRef, retry, error: describeError(err) });
            if (isProviderRateLimited(err)) break requests;
            continue;
          }
          deps.db.transaction(() => {
            recordReminder(deps.db, { ...effect, phase: 'done' }, now());
            if (!noted) queueRecordUpdate(deps.db, deps.config, request.id, { event: 'reminded' }, now());
          })();
          noted = true;
          deps.jobsQueued?.();
          counts.sent++;
          deps.logger.info('reminder sent', { requestId: request.id, reference: doc.providerRef });
        }
      }
      return { counts, problems };
    },
  };
}
