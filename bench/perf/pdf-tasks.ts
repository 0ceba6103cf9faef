// The PDF work the bench times in its own process: pdf-lib's bare load + addPage +
// drawText + save (the yardstick), and the daemon's own in-process functions for the work
// its PDF worker does per request PDF — inspection and stamp in one task, as decide-request.ts
// asks for it — and, to compare, the two tasks that work once was: inspect, then stamp with
// the tags inspection found (what `signrelay stamp` did too, until it took the one task). The daemon's imports are all in this file: when
// those functions are renamed or split, adjust them here.
import { PDFDocument, ParseSpeeds } from 'pdf-lib';
import { newRequestToken, returnAddress } from '../../src/pdf/build-tags.ts';
import { inspectPdfInProcess } from '../../src/pdf/inspect-pdf.ts';
import { preparePdfInProcess } from '../../src/pdf/prepare-pdf.ts';
import { stampPdfInProcess } from '../../src/pdf/stamp-pdf.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';
import type { CorpusPdf } from './corpus.ts';

/**
 * pdf-lib's own rate: load, add a page, draw a line of text, save — at its full speed. Its
 * defaults pause on a timer every 100 objects read and 50 written, which signrelay turns off
 * (src/pdf/pdf-lib-load.ts); measured with them, the yardstick took ~1.8 times what pdf-lib
 * needs and every ratio against it looked twice as good as it is (an independent check found it).
 */
export async function barePdfLib(pdf: CorpusPdf): Promise<Uint8Array> {
  const doc = await PDFDocument.load(pdf.bytes, { updateMetadata: false, parseSpeed: ParseSpeeds.Fastest });
  doc.addPage().drawText('Signer: Ann Lee <ann.lee@example.com>', { x: 72, y: 720, size: 10 });
  return doc.save({ objectsPerTick: Number.POSITIVE_INFINITY });
}

const LIMITS = { maxPages: 500, maxPdfBytes: 20 * 1024 * 1024 };

export async function inspectInProcess(pdf: CorpusPdf): Promise<Awaited<ReturnType<typeof inspectPdfInProcess>>> {
  return inspectPdfInProcess(pdf.bytes, { ...LIMITS, fileName: pdf.name });
}

/** A stamp as the daemon makes it for a request of the bench (one signer, signature page, the default stamping settings). */
function stampInput(pdf: CorpusPdf, ownText: StampInput['ownText']): StampInput {
  const token = newRequestToken();
  return {
    token, returnAddress: returnAddress('returns@corp.example', token), recipientLetter: 'C', ownText,
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' }],
    request: { record: 'RITM0090001', route: 'default', due: '2026-12-24', requester: 'helen.officer@corp.example', subject: `Please sign: ${pdf.name} for RITM0090001`, fileName: pdf.name },
    stamping: { mode: 'signature-page', overlay: { page: -1, x: 72, y: 72, line_height: 18 }, font_size: 10, color: '#000000' },
  };
}

export async function stampInProcess(pdf: CorpusPdf, ownText: StampInput['ownText']): Promise<Uint8Array> {
  return stampPdfInProcess(pdf.bytes, stampInput(pdf, ownText));
}

/** The daemon's work per request PDF: inspected and stamped in one task. */
export async function prepareInProcess(pdf: CorpusPdf): Promise<unknown> {
  return preparePdfInProcess(pdf.bytes, { ...LIMITS, fileName: pdf.name }, stampInput(pdf, undefined));
}
