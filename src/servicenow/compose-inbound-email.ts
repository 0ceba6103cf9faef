// The email delivery mode, pure: the mail that makes the instance's inbound email action
// attach the signed PDF to the record. ServiceNow treats a mail as a reply when (1) it
// carries the record's watermark (the last one counts), else (2) its subject starts with
// a reply prefix and holds the record number with spaces around it. It must never look
// like a forward (no forward prefix, no "From:" lines in the body). It threads to nothing: when
// neither matches a record, the instance goes on to In-Reply-To — and the request mail's
// Message-ID is the sender's to choose (a notification the instance sent about another
// record would have filed the signed PDF there). Intake refuses a number the instance does
// not hold (check-watermark.ts), so the subject decides.
import type { SendMailOptions } from 'nodemailer';
import type { ServiceNowConfig } from '../config/schema.ts';
import { SignrelayError } from '../errors.ts';

export interface InboundEmailInput {
  requestId: string;
  recordNumber: string | null;
  watermark: string | null;
  note: string;
  /**
   * A fresh one for each attempt (deliver-to-servicenow.ts): random, so only the instance
   * and the relay know it — a bounce naming it is trusted — and a resend after a bounce is
   * no duplicate a hop could drop.
   */
  messageId: string;
  /** The signed PDFs, and the provider's certificates beside them (contentType: PDF unless named). */
  documents: Array<{ fileName: string; path: string; sizeBytes: number; contentType?: string }>;
  from: string;
  servicenow: ServiceNowConfig;
}

export function composeInboundEmail(input: InboundEmailInput): SendMailOptions {
  const { servicenow } = input;
  if (!servicenow.inbound_address) {
    throw new SignrelayError('config', 'inbound_address_missing', 'servicenow.inbound_address is needed for delivery: email');
  }
  if (!input.recordNumber && !input.watermark) {
    throw new SignrelayError('permanent', 'no_record_for_email',
      `request ${input.requestId} names no record number and carries no watermark, so the instance could not tell which record the mail belongs to: use delivery: rest for this route`);
  }
  if (input.documents.length > servicenow.max_email_attachment_count) {
    throw new SignrelayError('permanent', 'too_many_for_email',
      `request ${input.requestId} has ${input.documents.length} signed documents; the instance keeps at most ${servicenow.max_email_attachment_count} attachments of a mail (servicenow.max_email_attachment_count): use delivery: rest for this route`);
  }
  const total = input.documents.reduce((sum, d) => sum + d.sizeBytes, 0);
  if (total > servicenow.max_email_attachment_bytes) {
    throw new SignrelayError('permanent', 'too_large_for_email',
      `the signed documents of request ${input.requestId} are ${total} bytes; the instance discards mail attachments over ${servicenow.max_email_attachment_bytes} bytes (servicenow.max_email_attachment_bytes): use delivery: rest for this route`);
  }
  const subject = input.recordNumber ? `${servicenow.reply_prefix} ${input.recordNumber} signed` : `${servicenow.reply_prefix} signed document`;
  return {
    from: input.from,
    to: servicenow.inbound_address,
    subject,
    messageId: input.messageId,
    headers: { 'X-Signrelay': 'delivery' },
    // The watermark goes last: the instance uses the last one it finds.
    text: `${input.note}\n${input.watermark ? `\n${input.watermark}\n` : ''}`,
    attachments: input.documents.map((d) => ({ filename: d.fileName, path: d.path, contentType: d.contentType ?? 'application/pdf' })),
  };
}
