// The `mail` job: sends one stored mail through SMTP — a rejection reply, a notice to a
// requester, an operator alert, or a signed document for the instance's inbound email.
// The mail, Message-ID included, is fixed when the job is queued (enqueueMail), so if a
// crash repeats a send after the server accepted it, the receiver gets the same message
// again and can tell.
import { randomBytes } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import { enqueueJob } from '../store/jobs.ts';
import type { JobHandler } from './job-runner.ts';
import type { Logger } from '../log.ts';
import { addEvent } from '../store/events.ts';
import type { Db } from '../store/open-database.ts';
import { recordSentMail } from '../store/sent-mails.ts';

/** `acknowledgement`: a sent request's acknowledgement; `answer`: the answer to a reply command (docs/request-mails.md). */
export type MailPurpose = 'reply' | 'notice' | 'alert' | 'delivery' | 'acknowledgement' | 'answer';

export interface MailSender {
  /** `rejected`: recipients the server refused while it took the mail for others; `deferred`: those of them refused for now (4xx). */
  send(message: SendMailOptions): Promise<{ messageId: string; rejected?: string[]; deferred?: string[]; refusals?: string[] }>;
}

export interface MailJobPayload {
  purpose: MailPurpose;
  message: SendMailOptions;
}

export function createMailHandler(deps: { db: Db; smtp: MailSender; logger: Logger; now?: () => Date }): JobHandler {
  const now = deps.now ?? (() => new Date());
  return {
    async run(job) {
      const { purpose, message } = job.payload as unknown as MailJobPayload;
      const result = await deps.smtp.send(message);
      const refused = result.rejected ?? [];
      if (refused.length > 0) {
        // Taken for some recipients, refused for others: said where an operator looks, and a
        // refusal for now (a full mailbox, greylisting) is tried again for those alone, as the
        // same message.
        deps.logger.warn('mail sent, but the SMTP server refused some of its recipients', { purpose, requestId: job.requestId ?? undefined, refused: result.refusals ?? refused });
      }
      const deferred = result.deferred ?? [];
      if (deferred.length > 0) {
        // Apart from the audit line, whose failure is forgiven below: a resend lost silently
        // would leave a recipient without the mail and nobody told.
        try {
          enqueueMail(deps.db, { requestId: job.requestId, purpose, message: { ...message, to: deferred, cc: undefined, bcc: undefined } }, now());
        } catch (err) {
          deps.logger.error('a recipient the SMTP server refused for now will not get this mail: sending it again could not be queued', {
            purpose, requestId: job.requestId ?? undefined, recipients: deferred, error: err instanceof Error ? err.message : String(err),
          });
        }
      }
      try {
        addEvent(deps.db, { requestId: job.requestId, kind: 'mail', detail: { sent: purpose, to: message.to, messageId: result.messageId, ...(refused.length > 0 ? { refused } : {}) } }, now());
      } catch (err) {
        // The mail is out: a failed audit line (database busy or full) must not fail the job,
        // which would send it again.
        deps.logger.warn('mail sent, but its audit line could not be written', { purpose, requestId: job.requestId ?? undefined, error: err instanceof Error ? err.message : String(err) });
      }
      deps.logger.info('mail sent', { purpose, requestId: job.requestId ?? undefined, to: String(message.to) });
    },
  };
}

/**
 * Queues a mail. Its Message-ID is fixed here, once, so a retry after the server accepted
 * the mail but before we recorded it repeats the same message, which receivers recognise.
 */
export function enqueueMail(db: Db, input: { requestId: string | null; purpose: MailPurpose; message: SendMailOptions }, now: Date): number {
  const message = { ...input.message, messageId: input.message.messageId ?? newMessageId(input.purpose, input.message.from) };
  const payload: MailJobPayload = { purpose: input.purpose, message };
  // Recorded with the job: a bounce that comes back naming this Message-ID is known as ours (intake/process-bounce.ts).
  recordSentMail(db, { messageId: message.messageId, purpose: input.purpose, requestId: input.requestId, recipients: recipientsOf(message) }, now);
  return enqueueJob(db, { kind: 'mail', requestId: input.requestId, payload: payload as unknown as Record<string, unknown> }, now);
}

/** Who a mail goes to, as one line for people (To, then Cc). */
export function recipientsOf(message: Pick<SendMailOptions, 'to' | 'cc'>): string {
  const list = (field: SendMailOptions['to']): string[] => {
    if (field === undefined || field === null) return [];
    if (Array.isArray(field)) return field.flatMap((f) => list(f));
    return [typeof field === 'string' ? field : field.address ?? ''];
  };
  return [...list(message.to), ...list(message.cc)].join(', ');
}

/** A fresh Message-ID in the sender's domain, for a mail whose Message-ID must be known before it is queued (a reply finds it by it). */
export function newMessageId(purpose: MailPurpose, from: SendMailOptions['from']): string {
  const domain = /@([^>\s]+)/.exec(typeof from === 'string' ? from : '')?.[1] ?? 'signrelay.invalid';
  return `<signrelay.${purpose}.${randomBytes(8).toString('hex')}@${domain}>`;
}
