// Inspection and stamping in one pass, for the daemon's intake: the checks made before any
// parser sees the file (inspect-pdf.ts), then the stamp, then the document's own tags read
// in the stamped file (stamp-pdf.ts stampUnreadPdfInProcess). One pass of pdf.js instead of
// two — reading the original, then the stamped file — and the tags decided on are those in
// the bytes that are sent. The caller judges them (decide-request.ts): a stamp made on the
// wrong guess about them (signers named and sign tags found, say) is never used. Runs in
// the PDF worker (pdf-tasks.ts preparePdf).
import { inspectPdfInProcess, checkBeforeParsing, tagFacts, type PdfFacts, type PdfLimits } from './inspect-pdf.ts';
import { stampedTooLargeError } from './pdf-errors.ts';
import { stampUnreadPdfInProcess } from './stamp-pdf.ts';
import type { StampInput } from './stamp-tags.ts';

export interface PreparedPdf {
  facts: PdfFacts;
  /** The stamped document; absent when there was nothing to stamp with (no signers, and a provider that reads no tags). */
  stamped?: Uint8Array;
}

export async function preparePdfInProcess(bytes: Uint8Array, limits: PdfLimits, input: StampInput): Promise<PreparedPdf> {
  // A provider that reads no tags needs signers to list: without them the request is
  // refused, and only the facts are wanted.
  if (input.textTags === false && input.signers.length === 0) return { facts: await inspectPdfInProcess(bytes, limits) };
  await checkBeforeParsing(bytes, limits);
  const stamped = await stampUnreadPdfInProcess(bytes, input, limits.maxPages);
  // What is uploaded is the stamped copy: over the limit it is refused now, with a reply, not
  // by the service after the request was accepted and acknowledged.
  if (stamped.bytes.byteLength > limits.maxPdfBytes) throw stampedTooLargeError(stamped.bytes.byteLength, limits.maxPdfBytes, limits.fileName);
  return { facts: { pages: stamped.pages, encrypted: false, ...tagFacts(stamped.ownTags) }, stamped: stamped.bytes };
}
