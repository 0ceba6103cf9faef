// inspectPdf against the committed fixtures (real qpdf-encrypted files) and damaged or
// foreign bytes: each refusal is an input error with the exact requester-facing wording.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { hasEncryptEntry, type PdfLimits } from '../../src/pdf/inspect-pdf.ts';
import { inspectPdf } from '../../src/pdf/pdf-tasks.ts';
import { makePages, makePdf } from './make-pdf.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pdf/${name}`, import.meta.url)));
const LIMITS: PdfLimits = { maxPages: 500, maxPdfBytes: 20 * 1024 * 1024, fileName: 'contract.pdf' };

async function refusal(bytes: Uint8Array, limits: PdfLimits = LIMITS): Promise<SignrelayError> {
  try {
    await inspectPdf(bytes, limits);
  } catch (err) {
    if (err instanceof SignrelayError) return err;
    throw err;
  }
  throw new Error('inspectPdf accepted the file');
}

describe('inspectPdf: what is in a readable PDF', () => {
  it('reports pages and no tags for the sample contract', async () => {
    expect(await inspectPdf(fixture('sample-contract.pdf'), LIMITS)).toEqual({
      pages: 2, encrypted: false, hasSignTags: false, signTagCount: 0, hasRecipientTag: false, tags: [], ownSigners: [],
    });
  });

  it('finds the requester\'s own [!Sign.] tags', async () => {
    const facts = await inspectPdf(fixture('with-tags.pdf'), LIMITS);
    expect(facts).toMatchObject({ pages: 2, encrypted: false, hasSignTags: true, signTagCount: 2, hasRecipientTag: false });
    expect(facts.tags.map((t) => t.family)).toEqual(['sign', 'sign']);
    expect(facts.ownSigners.map((s) => s.order)).toEqual([1, 2]);
  });

  it('finds a recipient tag', async () => {
    const bytes = await makePdf({ pages: [['[!Recipient.C,Ops,Desk,ops@corp.example]']] });
    expect(await inspectPdf(bytes, LIMITS)).toMatchObject({ hasSignTags: false, hasRecipientTag: true });
  });

  it('finds tags however they are written: any case, spaced, split over lines, other families', async () => {
    const bytes = await makePdf({ pages: [
      ['[ ! recipient . C , Eve , Evil , eve@attacker.example ]', '[!Sign.3,Mal,Lory,mal@attacker.example]'],
      ['See [', '!SIGN.4,Split,Line,split@attacker.example]', '[! Witness.1,W,X,w@attacker.example]'],
    ] });
    const facts = await inspectPdf(bytes, LIMITS);
    expect(facts.tags.map((t) => t.family)).toEqual(['recipient', 'sign', 'sign', 'witness']);
    expect(facts).toMatchObject({ hasRecipientTag: true, hasSignTags: true, signTagCount: 2 });
    expect(facts.ownSigners).toEqual([
      { order: 3, firstName: 'Mal', lastName: 'Lory', email: 'mal@attacker.example' },
      { order: 4, firstName: 'Split', lastName: 'Line', email: 'split@attacker.example' },
    ]);
  });

  it('accepts exactly the page and byte limits', async () => {
    const bytes = await makePages(3);
    expect((await inspectPdf(bytes, { maxPages: 3, maxPdfBytes: bytes.byteLength })).pages).toBe(3);
  });
});

describe('inspectPdf: refusals the requester can act on', () => {
  it('a password-protected PDF (user password)', async () => {
    const err = await refusal(fixture('encrypted.pdf'), { ...LIMITS, fileName: undefined });
    expect([err.kind, err.code]).toEqual(['input', 'pdf_encrypted']);
    expect(err.message).toBe('the PDF is protected (encrypted — also when it opens without a password, it may be locked against changes): save or print it to a PDF without protection and send that');
  });

  it('an owner-password-only PDF, which opens without a password elsewhere', async () => {
    const err = await refusal(fixture('encrypted-owner-only.pdf'));
    expect(err.code).toBe('pdf_encrypted');
    expect(err.message).toBe('contract.pdf is protected (encrypted — also when it opens without a password, it may be locked against changes): save or print it to a PDF without protection and send that');
  });

  it.each([
    ['cut in half', (b: Uint8Array) => b.subarray(0, Math.floor(b.byteLength / 2))],
    ['cut after the header', (b: Uint8Array) => b.subarray(0, 200)],
    ['with a block overwritten', (b: Uint8Array) => Buffer.from(b).fill(0x20, 600, 1400)],
  ])('a damaged PDF (%s)', async (_name, damage) => {
    const err = await refusal(new Uint8Array(damage(fixture('sample-contract.pdf'))));
    expect(err.kind).toBe('input');
    expect(err.message).toBe('contract.pdf could not be read as a PDF (it may be damaged): export it again and resend');
  });

  it.each([
    ['a Word file', Buffer.from('PK\u0003\u0004[Content_Types].xml word/document.xml')],
    ['plain text', Buffer.from('Please sign the attached contract.\n')],
    ['an empty file', Buffer.alloc(0)],
  ])('%s that is not a PDF', async (_name, bytes) => {
    const err = await refusal(new Uint8Array(bytes));
    expect(err.code).toBe('pdf_not_a_pdf');
    expect(err.message).toBe('contract.pdf could not be read as a PDF (it may be damaged): export it again and resend');
  });

  it('too many pages', async () => {
    const err = await refusal(await makePages(4), { ...LIMITS, maxPages: 3 });
    expect(err.code).toBe('pdf_too_many_pages');
    expect(err.message).toBe('contract.pdf has 4 pages, more than the 3 signrelay accepts: split it into smaller documents and resend');
  });

  it('too large, before any parsing', async () => {
    const bytes = new Uint8Array(3 * 1024 * 1024); // not even a PDF: size is checked first
    const err = await refusal(bytes, { ...LIMITS, maxPdfBytes: 2 * 1024 * 1024 });
    expect(err.code).toBe('pdf_too_large');
    expect(err.message).toBe('contract.pdf is 3.0 MB, more than the 2.0 MB signrelay accepts: send a smaller file or split the document');
  });
});

describe('hasEncryptEntry', () => {
  it('sees the trailer entry of both encrypted fixtures and not of plain files', async () => {
    expect(hasEncryptEntry(fixture('encrypted.pdf'))).toBe(true);
    expect(hasEncryptEntry(fixture('encrypted-owner-only.pdf'))).toBe(true);
    expect(hasEncryptEntry(fixture('sample-contract.pdf'))).toBe(false);
    // The word in the text is not an entry.
    expect(hasEncryptEntry(await makePdf({ pages: [['/Encrypt is a PDF key']] }))).toBe(false);
  });
});
