// The completion mail the simulator sends when a document is complete: the signed PDF,
// from noreply@securedsigning.com, to every completion recipient named by a
// `[!Recipient.…]` tag — which is how signrelay's return address receives it. The real
// sender, subject and attachment name are unconfirmed (SECURED-SIGNING.md "Completion");
// these are plausible stand-ins, overridable so tests can vary them.
import nodemailer from 'nodemailer';
import type { SimDocument } from './documents.ts';

export interface CompletionMailSettings {
  smtp: { host: string; port: number };
  from: string;
  subject: (documentName: string) => string;
}

export interface SentCompletionMail {
  reference: string;
  from: string;
  to: string;
  subject: string;
  attachmentName: string;
  messageId: string;
}

export const DEFAULT_COMPLETION_FROM = 'Secured Signing <noreply@securedsigning.com>';
export const defaultCompletionSubject = (documentName: string) => `${documentName} has been signed`;

export async function sendCompletionMails(doc: SimDocument, settings: CompletionMailSettings): Promise<SentCompletionMail[]> {
  const recipients = [...new Set(doc.tags.recipients.map((t) => t.email))];
  if (recipients.length === 0 || !doc.signedBytes) return [];
  const transport = nodemailer.createTransport({ host: settings.smtp.host, port: settings.smtp.port, secure: false, ignoreTLS: true });
  const subject = settings.subject(doc.name);
  const signers = doc.signers.map((s) => `${s.FirstName} ${s.LastName}`.trim()).join(', ');
  const sent: SentCompletionMail[] = [];
  try {
    // One mail per recipient, as a notification service does: each To header is exact.
    for (const to of recipients) {
      const info = await transport.sendMail({
        from: settings.from,
        to,
        subject,
        text: `Hello,\n\nThe document "${doc.name}" has been signed by all parties (${signers}).\n` +
          'The completed document is attached.\n\nSecured Signing\n',
        attachments: [{ filename: doc.name, content: Buffer.from(doc.signedBytes), contentType: 'application/pdf' }],
      });
      sent.push({ reference: doc.reference, from: settings.from, to, subject, attachmentName: doc.name, messageId: info.messageId });
    }
  } finally {
    transport.close();
  }
  return sent;
}
