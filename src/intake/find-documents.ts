// The documents to sign: every attachment whose content is a PDF (`%PDF-` in the first
// 1024 bytes, as PDF readers accept), whatever its name or declared type — Outlook and
// scanners send PDFs as application/octet-stream, Apple Mail as inline parts. A part that
// claims to be a PDF but is not one is reported, so a requester learns why it was refused.
import type { Attachment } from 'mailparser';
import type { LimitsConfig } from '../config/schema.ts';
import { cleanFileName, safePdfFileName, uniqueFileNames } from '../message/safe-file-name.ts';
import { quoteOutside } from '../outside-text.ts';
import { isPdfContent } from '../pdf/is-pdf.ts';
import type { Checked, MailDocument } from './types.ts';

export { isPdfContent };

const PDF_TYPES = ['application/pdf', 'application/x-pdf', 'application/acrobat'];

export type DocumentAttachment = Pick<Attachment, 'content' | 'contentType' | 'filename' | 'related'>;

/**
 * The PDFs to sign, with what is wrong with them; `others`: the mail's other attachments (not
 * inline images), named in the acknowledgement as not sent — a Word file beside the PDF went
 * unmentioned (multidoc review L4).
 */
export function findDocuments(attachments: readonly DocumentAttachment[], limits: Pick<LimitsConfig, 'max_pdf_bytes' | 'max_documents'>): Checked<MailDocument[]> & { others: string[] } {
  const problems: string[] = [];
  const pdfs: DocumentAttachment[] = [];
  const others: string[] = [];
  for (const attachment of attachments) {
    const content = attachment.content;
    if (isPdfContent(content)) {
      // The same file attached twice (or kept in a forward and attached again) is signed once.
      if (!pdfs.some((p) => p.content.equals(content))) pdfs.push(attachment);
    } else if (claimsPdf(attachment)) {
      problems.push(`${cleanFileName(attachment.filename) || 'the PDF attachment'} is not a PDF file: save or export the document as PDF and attach that`);
    } else if (!attachment.related && attachment.filename && !SIGNATURE_TYPES.includes(attachment.contentType.toLowerCase())) {
      others.push(cleanFileName(attachment.filename));
    }
  }

  const names = uniqueFileNames(pdfs.map((p) => safePdfFileName(p.filename)));
  const documents = pdfs.map((p, i) => ({ fileName: names[i]!, bytes: p.content }));
  for (const doc of documents) {
    if (doc.bytes.length > limits.max_pdf_bytes) {
      problems.push(`${doc.fileName} is ${megabytes(doc.bytes.length)} MB but a PDF may be at most ${megabytes(limits.max_pdf_bytes)} MB: reduce its size (e.g. lower image quality) or split it`);
    }
  }
  if (documents.length > limits.max_documents) {
    problems.push(`${documents.length} PDFs are attached but a request may have at most ${limits.max_documents}: send the others in another mail`);
  }
  if (documents.length === 0 && problems.length === 0) problems.push(noDocumentProblem(others));
  return { value: documents, problems, others };
}

/** A mail's own signature (S/MIME, OpenPGP): part of how it was sent, not something sent to be signed. */
const SIGNATURE_TYPES = ['application/pkcs7-signature', 'application/x-pkcs7-signature', 'application/pgp-signature'];

/** A PDF by its content, or a part that says it is one (by its name or type). */
export function isPdfAttachment(attachment: DocumentAttachment): boolean {
  return isPdfContent(attachment.content) || claimsPdf(attachment);
}

function claimsPdf(attachment: DocumentAttachment): boolean {
  return /\.pdf$/i.test(attachment.filename ?? '') || PDF_TYPES.includes(attachment.contentType.toLowerCase());
}

function noDocumentProblem(others: string[]): string {
  const base = 'attach the document to be signed as a PDF file';
  if (others.some((name) => name.toLowerCase() === 'winmail.dat')) {
    return `${base} (Outlook packed the attachments into winmail.dat: send the mail as HTML or plain text, not Rich Text)`;
  }
  if (others.length === 0) return base;
  return `${base} (the mail has no PDF, only ${namedFiles(others)})`;
}

/** "a.docx, b.xlsx and 3 more": at most five names, each on a bounded line. */
export function namedFiles(names: readonly string[]): string {
  const named = names.slice(0, MAX_NAMED_OTHERS).map((name) => quoteOutside(name, MAX_NAME_CHARS)).join(', ');
  return `${named}${names.length > MAX_NAMED_OTHERS ? ` and ${names.length - MAX_NAMED_OTHERS} more` : ''}`;
}

/** How many of the other attachments the problem names, and how much of each name. */
const MAX_NAMED_OTHERS = 5;
const MAX_NAME_CHARS = 80;

function megabytes(bytes: number): string {
  return String(Math.round((bytes / (1024 * 1024)) * 10) / 10);
}
