// The signing order signrelay creates (SIGNICAT.md "Flow", seed 004), pure. One task per
// signer, in the request's order: each task after the first depends on the one before
// (`dependsOnTasks`), which is how the Sign API expresses a signing sequence — a signer is
// invited only once the one before has signed. Every task signs every document (action
// SIGN, source SESSION). Notifications:
// - each signer is invited by EMAIL on CREATED with the `${taskUrl}` signing link (and by
//   SMS too when the signer line gave a +CC mobile number) — the link is the signer's
//   alone: it goes to them and nowhere else (never the record, never a log);
// - signrelay's return address for this request (returns+TOKEN@…) hears of the order once
//   it exists (the first task's CREATED: how a send whose answer was lost is found again),
//   of a task REJECTED or EXPIRED, and of the whole order COMPLETED (an order-level
//   notification) — each with `${orderId}` and `${clientRef}`, so completion stays
//   mail-driven and is matched by the same token as ever;
// - with several signers, or `packaging: pades`, one PAdES packaging task per document
//   gathers every signature into one signed PDF.
import type { SignicatConfig } from '../../config/schema.ts';
import type { KeptDocument, SendInput } from '../provider.ts';
import { quoteOutside } from '../../outside-text.ts';
import { DAY_MS } from '../../time.ts';

/** What the order needs besides the send: the provider's settings. */
export type OrderSettings = Pick<SignicatConfig, 'signature_methods' | 'language' | 'days_until_deletion' | 'packaging' | 'send_result_to_archive' | 'notification_sender'>;

/** What a document's later calls need: its id in the order, the tasks that sign it, its package. */
export interface SignicatDocument extends KeptDocument {
  documentId: string;
  tasks: Array<{ id: string; signer: string }>;
  packagingTaskId?: string;
}

/** Subjects of the mails Signicat sends signrelay: the completion watcher reads them as triggers. */
export const ORDER_CREATED_HEADER = 'Signing order ${orderId} created';
export const ORDER_ENDED_HEADER = 'Signing order ${orderId}: a task ended';
export const ORDER_COMPLETED_HEADER = 'Signing order ${orderId} completed';

/** Outside text in a notification: one line, bounded, and no `${…}` for Signicat to fill in. */
function plain(text: string, max = 120): string {
  return quoteOutside(text.replace(/\$\{/g, '$ {'), max);
}

export function orderBody(input: SendInput, settings: OrderSettings, now: number): { body: Record<string, unknown>; documents: SignicatDocument[]; closesAt: Date } {
  const signers = input.signers;
  const taskIds = signers.map((_, i) => `signer-${i + 1}`);
  const documentIds = input.documentReferences.map((_, k) => `doc-${k + 1}`);
  // A task lives daysToLive whole days from the order's creation: rounded down, it ends on the
  // due day, never after the moment the requester was promised (dueForSend leaves a day at least).
  const daysToLive = Math.max(1, Math.floor((input.dueAt.getTime() - now) / DAY_MS));
  const packaged = settings.packaging === 'pades' || signers.length > 1;
  const title = plain(input.packageName);
  const sender = settings.notification_sender ? { sender: settings.notification_sender } : {};
  // signrelay's own notices keep Signicat's sender, which completion.allowed_senders takes:
  // from provider.notification_sender they all went to Unmatched, a lost send was sent again
  // (Signicat review M2). The sender is the signers' to see.
  const toSignrelay = (id: string, header: string, triggers: string[]) => ({
    id, type: 'EMAIL', recipient: input.returnAddress, header,
    message: `Signing order \${orderId} (client reference \${clientRef}) for "${title}". This notice is for signrelay, which asks Signicat for the result.`,
    schedule: triggers.map((triggerStatus) => ({ triggerStatus })),
  });

  // The route's reminder (reminder_days_before the due date), as Signicat takes one: the
  // invitation again, delayed, sent only while the task waits for its signer (SIGNICAT.md). The
  // Sign API has no call to remind later, so it is set when the order is made (Signicat review M3).
  // A delay counts from the task's invitation, and a later signer is invited only once the one
  // before signed — when, nobody knows now — while every task ends daysToLive after the order
  // was made: the first signer's reminder day, counted from a later invitation, fell days late
  // or after the end (signers review M1). A later signer is reminded after waiting half as long,
  // which comes before the end for one invited in the first half of the time or so.
  const remindAfterDays = daysToLive - (input.route.reminderDaysBefore ?? 0);
  const reminderFor = (i: number) => ((input.route.reminderDaysBefore ?? 0) > 0 && remindAfterDays >= 1
    ? [{ triggerStatus: 'CREATED', delay: { days: i === 0 ? remindAfterDays : Math.ceil(remindAfterDays / 2) } }]
    : []);
  const tasks = signers.map((signer, i) => {
    const name = plain([signer.firstName, signer.lastName].filter(Boolean).join(' ') || signer.email, 80);
    const notifications: Array<Record<string, unknown>> = [{
      id: `invite-${i + 1}`, type: 'EMAIL', recipient: signer.email, ...sender,
      header: `Please sign: ${title}`,
      message: `Hello ${name},\n\nyou are asked to sign "${title}". Open the document and sign it here:\n\${taskUrl}\n\nThe link is yours alone: do not forward it.`,
      schedule: [{ triggerStatus: 'CREATED' }, ...reminderFor(i)],
    }];
    if (signer.mobile) {
      notifications.push({ id: `sms-${i + 1}`, type: 'SMS', recipient: signer.mobile, message: `Please sign "${plain(title, 60)}": \${taskUrl}`, schedule: [{ triggerStatus: 'CREATED' }] });
    }
    if (i === 0) notifications.push(toSignrelay('order-created', ORDER_CREATED_HEADER, ['CREATED']));
    notifications.push(toSignrelay(`task-ended-${i + 1}`, ORDER_ENDED_HEADER, ['REJECTED', 'EXPIRED']));
    return {
      id: taskIds[i]!,
      language: input.route.language ?? settings.language,
      daysToLive,
      signatureMethods: (input.route.signatureMethods ?? settings.signature_methods).map((m) => ({ name: m.name, type: m.type })),
      documents: input.documentReferences.map((reference, k) => ({
        id: documentIds[k]!, description: `${title} (${k + 1} of ${documentIds.length})`, action: 'SIGN', source: 'SESSION',
        documentRef: reference, sendResultToArchive: settings.send_result_to_archive,
      })),
      ...(i > 0 ? { dependsOnTasks: [taskIds[i - 1]!] } : {}),
      notifications,
    };
  });

  const body: Record<string, unknown> = {
    clientReference: input.token,
    daysUntilDeletion: settings.days_until_deletion,
    tasks,
    notifications: [toSignrelay('order-completed', ORDER_COMPLETED_HEADER, [])].map(({ schedule: _none, ...n }) => n),
  };
  if (packaged) {
    body.packagingTasks = documentIds.map((documentId, k) => ({
      id: `package-${k + 1}`, method: 'pades', sendToArchive: settings.send_result_to_archive,
      documents: taskIds.map((taskId) => ({ taskId, documentIds: [documentId] })),
    }));
  }
  const taskList = signers.map((signer, i) => ({ id: taskIds[i]!, signer: signer.email }));
  return {
    body,
    documents: documentIds.map((documentId, k) => ({ documentId, tasks: taskList, ...(packaged ? { packagingTaskId: `package-${k + 1}` } : {}) })),
    closesAt: new Date(now + daysToLive * DAY_MS),
  };
}
