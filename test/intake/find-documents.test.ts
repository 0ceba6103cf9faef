// PDFs by content, safe names, and the document limits.
import { describe, expect, it } from 'vitest';
import { findDocuments, isPdfContent, type DocumentAttachment } from '../../src/intake/find-documents.ts';
import { MAX_FILE_NAME_CHARS, safePdfFileName, uniqueFileNames } from '../../src/message/safe-file-name.ts';
import { samplePdf } from './intake-helpers.ts';

const LIMITS = { max_pdf_bytes: 20 * 1024 * 1024, max_documents: 10 };
const part = (content: Buffer, filename: string | undefined, contentType = 'application/pdf', related = false): DocumentAttachment => ({ content, filename, contentType, related });
const DOCX = Buffer.from('PK\u0003\u0004\u0014\u0000\u0006\u0000[Content_Types].xml', 'latin1');
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

describe('isPdfContent', () => {
  it('finds the header at the start or after junk within 1024 bytes, not later', async () => {
    const pdf = await samplePdf();
    expect(isPdfContent(pdf)).toBe(true);
    expect(isPdfContent(Buffer.concat([Buffer.alloc(500, 0x20), pdf]))).toBe(true);
    expect(isPdfContent(Buffer.concat([Buffer.alloc(2000, 0x20), pdf]))).toBe(false);
    expect(isPdfContent(DOCX)).toBe(false);
    expect(isPdfContent(Buffer.alloc(0))).toBe(false);
  });
});

describe('findDocuments', () => {
  it('takes PDFs by content, whatever their type or name', async () => {
    const pdf = await samplePdf();
    const result = findDocuments([part(pdf, 'SCAN_0001', 'application/octet-stream'), part(await samplePdf(1), undefined, 'application/x-download')], LIMITS);
    expect(result.problems).toEqual([]);
    expect(result.value.map((d) => d.fileName)).toEqual(['SCAN_0001.pdf', 'document.pdf']);
    expect(result.value[0]!.bytes).toBe(pdf);
  });

  it('refuses a .pdf that is not a PDF, naming it', () => {
    expect(findDocuments([part(DOCX, 'contract.pdf')], LIMITS).problems).toEqual(['contract.pdf is not a PDF file: save or export the document as PDF and attach that']);
    expect(findDocuments([part(DOCX, undefined)], LIMITS).problems[0]).toMatch(/^the PDF attachment is not a PDF file/);
  });

  it('ignores images and other files, and names them when no PDF is left', () => {
    const result = findDocuments([part(PNG, 'image001.png', 'image/png', true), part(DOCX, 'Contract.docx', 'application/msword')], LIMITS);
    expect(result.problems).toEqual(['attach the document to be signed as a PDF file (the mail has no PDF, only Contract.docx)']);
  });

  it('gives the other files beside a PDF, not inline images nor the mail\'s own signature, to be named as not sent', async () => {
    const result = findDocuments([
      part(await samplePdf(), 'contract.pdf'), part(DOCX, 'appendix.docx', 'application/msword'),
      part(PNG, 'image001.png', 'image/png', true), part(Buffer.from('0\u0082'), 'smime.p7s', 'application/pkcs7-signature'),
    ], LIMITS);
    expect(result.problems).toEqual([]);
    expect(result.others).toEqual(['appendix.docx']);
    // The same list names what a mail without a PDF has: not its own signature.
    expect(findDocuments([part(Buffer.from('0\u0082'), 'smime.p7s', 'application/pkcs7-signature')], LIMITS).problems).toEqual(['attach the document to be signed as a PDF file']);
  });

  it('names at most five of the other files, each on a bounded line, and counts the rest', () => {
    const many = Array.from({ length: 900 }, (_, i) => part(DOCX, `${'n'.repeat(150)}${i}.bin`, 'application/octet-stream'));
    const [problem] = findDocuments(many, LIMITS).problems;
    expect(problem).toMatch(/^attach the document to be signed as a PDF file \(the mail has no PDF, only n+…, n+…, n+…, n+…, n+… and 895 more\)$/);
    expect(problem!.length).toBeLessThan(600);
  });

  it('explains winmail.dat', () => {
    expect(findDocuments([part(DOCX, 'winmail.dat', 'application/ms-tnef')], LIMITS).problems[0]).toMatch(/winmail\.dat: send the mail as HTML or plain text/);
  });

  it('signs the same file attached twice once', async () => {
    const result = findDocuments([part(await samplePdf(), 'a.pdf'), part(await samplePdf(), 'a copy.pdf')], LIMITS);
    expect(result.value.map((d) => d.fileName)).toEqual(['a.pdf']);
  });

  it('de-duplicates names of different files', async () => {
    const result = findDocuments([part(await samplePdf(), 'Contract.pdf'), part(await samplePdf(1), 'contract.PDF')], LIMITS);
    expect(result.value.map((d) => d.fileName)).toEqual(['Contract.pdf', 'contract (2).pdf']);
  });

  it('refuses a PDF over the size limit, in MB', async () => {
    const pdf = await samplePdf();
    const result = findDocuments([part(pdf, 'big.pdf')], { max_pdf_bytes: 1000, max_documents: 10 });
    expect(result.problems).toEqual([`big.pdf is ${Math.round((pdf.length / 1048576) * 10) / 10} MB but a PDF may be at most 0 MB: reduce its size (e.g. lower image quality) or split it`]);
    expect(findDocuments([part(pdf, 'big.pdf')], { max_pdf_bytes: 20 * 1048576, max_documents: 10 }).problems).toEqual([]);
  });

  it('names the limit in MB for a real limit', async () => {
    const big = Buffer.concat([await samplePdf(), Buffer.alloc(3 * 1048576)]);
    expect(findDocuments([part(big, 'scan.pdf')], { max_pdf_bytes: 2 * 1048576, max_documents: 10 }).problems[0]).toMatch(/^scan\.pdf is 3 MB but a PDF may be at most 2 MB/);
  });

  it('refuses more documents than the limit', async () => {
    const parts = await Promise.all([1, 2, 3].map(async (n) => part(await samplePdf(n), `${n}.pdf`)));
    expect(findDocuments(parts, { max_pdf_bytes: LIMITS.max_pdf_bytes, max_documents: 2 }).problems).toEqual(['3 PDFs are attached but a request may have at most 2: send the others in another mail']);
  });

  it('asks for a PDF when there is nothing', () => {
    expect(findDocuments([], LIMITS).problems).toEqual(['attach the document to be signed as a PDF file']);
  });
});

describe('safePdfFileName', () => {
  it.each([
    ['Contract.pdf', 'Contract.pdf'],
    ['Contract.PDF', 'Contract.pdf'],
    ['../../etc/passwd.pdf', 'passwd.pdf'],
    ['C:\\Users\\ann\\Desktop\\Offer.pdf', 'Offer.pdf'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe.pdf'],
    ['a\u0000b\u0007c.pdf', 'abc.pdf'],
    ['line\r\nbreak.pdf', 'linebreak.pdf'],
    ['a:b|c?d*"e".pdf', 'a_b_c_d__e_.pdf'],
    ['  spaced   out  .pdf  ', 'spaced out.pdf'],
    ['Συμφωνία Ζωής.pdf', 'Συμφωνία Ζωής.pdf'],
    ['山田 契約書.pdf', '山田 契約書.pdf'],
    ['Zoe\u0308.pdf', 'Zoë.pdf'],
    ['\u2067isolated\u2069 \u200fmark\ufeff.pdf', 'isolated mark.pdf'],
    ['می\u200cخواهم.pdf', 'می\u200cخواهم.pdf'],
    ['report', 'report.pdf'],
    ['.pdf', 'document.pdf'],
    ['..', 'document.pdf'],
    [undefined, 'document.pdf'],
  ])('%j → %j', (name, safe) => {
    expect(safePdfFileName(name)).toBe(safe);
  });

  it('shortens long names without splitting a character', () => {
    const long = safePdfFileName(`${'😀'.repeat(200)}.pdf`);
    expect([...long]).toHaveLength(MAX_FILE_NAME_CHARS);
    expect(long.endsWith('😀.pdf')).toBe(true);
  });

  it('makes names unique, ignoring case, within the length limit', () => {
    const long = `${'x'.repeat(116)}.pdf`;
    expect(uniqueFileNames(['a.pdf', 'A.pdf', 'a.pdf', 'a (2).pdf'])).toEqual(['a.pdf', 'A (2).pdf', 'a (3).pdf', 'a (2) (2).pdf']);
    const [first, second] = uniqueFileNames([long, long]);
    expect(first).toBe(long);
    expect(second).toMatch(/^x+ \(2\)\.pdf$/);
    expect(second).toHaveLength(MAX_FILE_NAME_CHARS);
  });
});
