// The `mail` job: sends one stored mail through SMTP — a rejection reply, a notice to a
// requester, an operator alert, or a signed document for the instance's inbound email.
// The mail (with its Message-ID) is fixed when the job is created, so if a crash repeats
// a send after the server accepted it, the receiving side sees the same message twice
// and can tell (mail clients and ServiceNow's inbound processing dedupe by content/ID).
import type { SendMailOptions } from 'nodemailer';
import type { JobHandler } from './job-runner.ts';
import type { Logger } from '../log.ts';
import { addEvent } from '../store/events.ts';
import type { Db } from '../store/open-database.ts';

export type MailPurpose = 'reply' | 'notice' | 'alert' | 'delivery';

export interface MailSender {
  send(message: SendMailOptions): Promise<{ messageId: string }>;
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
      addEvent(deps.db, { requestId: job.requestId, kind: 'mail', detail: { sent: purpose, to: message.to, messageId: result.messageId } }, now());
      deps.logger.info('mail sent', { purpose, requestId: job.requestId ?? undefined, to: String(message.to) });
    },
  };
}
