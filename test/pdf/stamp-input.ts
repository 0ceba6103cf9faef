// What a PDF test stamps with: a token, the production limits for a request PDF, one signer,
// the default stamping — and a page's text in Helvetica, for PDFs built object by object.
import { configSchema } from '../../src/config/schema.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';
import { streamObject } from '../hostile/make-hostile-pdf.ts';

export const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
export const LIMITS = { maxPages: 500, maxPdfBytes: 20 * 1024 * 1024, fileName: 'contract.pdf' };
export const ANN = { firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' };

export const stampInput = (signers: StampInput['signers'] = [ANN]): StampInput => ({
  token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C', signers,
  request: { fileName: 'contract.pdf', subject: 'Services agreement' }, stamping: configSchema.shape.stamping.parse(undefined),
});

/** A page's resources: Helvetica as /F1. */
export const HELVETICA = '/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>';

/** A content stream that writes `words` in /F1 near the top of the page. */
export const textStream = (words: string) => streamObject('', Buffer.from(`BT /F1 12 Tf 72 760 Td (${words}) Tj ET`, 'latin1'));
