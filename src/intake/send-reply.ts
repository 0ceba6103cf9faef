// The `reply` job: sends one reply mail (a rejection) through SMTP. The reply's
// Message-ID is fixed when the job is created, so if a crash repeats a send after the
// server accepted it, the requester's mail client sees one message, not two.
import type { SendMailOptions } from 'nodemailer';
import type { JobHandler } from '../jobs/job-runner.ts';
import type { Logger } from '../log.ts';
import { addEvent } from '../store/events.ts';
import type { Db } from '../store/open-database.ts';

export interface MailSender {
  send(message: SendMailOptions): Promise<{ messageId: string }>;
}

export function createReplyHandler(deps: { db: Db; smtp: MailSender; logger: Logger; now?: () => Date }): JobHandler {
  const now = deps.now ?? (() => new Date());
  return {
    async run(job) {
      const message = job.payload.message as SendMailOptions;
      const result = await deps.smtp.send(message);
      addEvent(deps.db, { requestId: job.requestId, kind: 'mail', detail: { sent: 'reply', to: message.to, messageId: result.messageId } }, now());
      deps.logger.info('reply sent', { requestId: job.requestId ?? undefined, to: String(message.to) });
    },
  };
}
