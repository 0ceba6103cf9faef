// What neither reader read passed as read (fuzz review M1, L1). The appearance check drew at
// most 10,000 annotation appearances and skipped the rest in silence; poppler gives up a page
// with more than 10,000 annotations — prints nothing of it, its text included — and exits 0;
// pdf.js's text has no annotations: a Stamp after 10,000 blank ones carried a recipient tag
// past every check. And the second reader was only asked for extra tags, never for ours: a
// file whose objects it cannot follow left it reading none of what signrelay drew.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { preparePdf } from '../../src/pdf/pdf-tasks.ts';
import { checkPopplerPages } from '../../src/pdf/stamp-pdf.ts';
import { assemblePdf, streamObject } from '../hostile/make-hostile-pdf.ts';
import { LIMITS, stampInput, textStream } from '../pdf/stamp-input.ts';

const input = stampInput();
const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
const text = textStream;

/** A page whose /Annots lists annotation 5 `blank` times, then a Stamp (6) whose appearance reads a recipient tag. */
function annotatedPdf(blank: number, filler: 'Square' | 'Link'): Buffer {
  return assemblePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${FONT} >> >> /Contents 4 0 R /Annots [${'5 0 R '.repeat(blank)}6 0 R] >>`,
    text('The agreement.'),
    filler === 'Square' ? '<< /Type /Annot /Subtype /Square /Rect [0 0 1 1] /AP << /N 7 0 R >> >>' : '<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] >>',
    '<< /Type /Annot /Subtype /Stamp /Rect [72 500 400 520] /AP << /N 8 0 R >> >>',
    streamObject('/Type /XObject /Subtype /Form /BBox [0 0 1 1]', Buffer.from('')),
    streamObject(`/Type /XObject /Subtype /Form /BBox [0 0 328 20] /Resources << /Font << /F1 ${FONT} >> >>`, Buffer.from('BT /F1 10 Tf 2 5 Td ([!Recipient.C,Eve,Evil,eve@evil.example]) Tj ET')),
  ]);
}

describe('what a reader did not read is not taken as read', () => {
  it('a tag in an appearance after 100 blank annotations is found (the check works)', async () => {
    await expect(preparePdf(annotatedPdf(100, 'Square'), LIMITS, input)).rejects.toMatchObject({ code: 'stamped_tags_mismatch' });
  });

  it('a tag in the 10,001st appearance: refused, not skipped', async () => {
    await expect(preparePdf(annotatedPdf(10_000, 'Square'), LIMITS, input)).rejects.toMatchObject({
      kind: 'input', code: expect.stringMatching(/^(stamped_tags_mismatch|pdf_content_uncheckable)$/),
    });
  }, 60_000);

  it('more than 50,000 annotation appearances: refused as content that cannot be checked, not drawn in part', async () => {
    await expect(preparePdf(annotatedPdf(50_000, 'Square'), LIMITS, input)).rejects.toMatchObject({
      kind: 'input', code: 'pdf_content_uncheckable', message: expect.stringContaining('it has more than 50,000 annotation appearances'),
    });
  }, 120_000);

  // Four appearance streams a box: a cap of 10,000 refused it (diff review 23 M2).
  it('a form of 2,550 checkboxes (10,200 appearance streams) is stamped, not refused', async () => {
    const boxes = 2_550;
    const box = (i: number) => `<< /Type /Annot /Subtype /Widget /FT /Btn /T (q${i}) /Rect [40 ${20 + (i % 51) * 15} 50 ${30 + (i % 51) * 15}] /AS /Off /AP << /N << /On 5 0 R /Off 6 0 R >> /D << /On 5 0 R /Off 6 0 R >> >> >>`;
    const bytes = assemblePdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${FONT} >> >> /Contents 4 0 R /Annots [${Array.from({ length: boxes }, (_, i) => `${7 + i} 0 R`).join(' ')}] >>`,
      text('Health questionnaire.'),
      streamObject('/Type /XObject /Subtype /Form /BBox [0 0 10 10]', Buffer.from('0 0 m 10 10 l S')),
      streamObject('/Type /XObject /Subtype /Form /BBox [0 0 10 10]', Buffer.from('')),
      ...Array.from({ length: boxes }, (_, i) => box(i)),
    ]);
    const prepared = await preparePdf(bytes, LIMITS, input);
    expect(prepared.stamped!.length).toBeGreaterThan(bytes.length);
  }, 120_000);

  it('a page poppler gives up (more than 10,000 annotations, links that show nothing): refused, its text was not read twice', async () => {
    await expect(preparePdf(annotatedPdf(10_000, 'Link'), LIMITS, input)).rejects.toMatchObject({
      kind: 'input', code: 'pdf_content_uncheckable', message: expect.stringContaining('a second PDF reader (poppler) could not read one of its pages'),
    });
  }, 60_000);

  it('a file the second reader cannot follow to signrelay\'s own tags (an object number past 2^31) is refused, not sent', async () => {
    const bytes = readFileSync(new URL('../../fixtures/hostile/huge-object-number.pdf', import.meta.url));
    await expect(preparePdf(bytes, LIMITS, input)).rejects.toMatchObject({ kind: 'input' });
  });
});

describe('poppler\'s reading covers every page', () => {
  // Besides its message: a page it left out has no form feed (a future poppler may word it otherwise).
  it('fewer form feeds than pages is a refusal; as many or more (a glyph mapped to one) is not', () => {
    expect(() => checkPopplerPages('page one\f\f', 3, 'contract.pdf')).toThrow(expect.objectContaining({ code: 'pdf_content_uncheckable', message: expect.stringContaining('a second PDF reader (poppler) read 2 of its 3 pages') }));
    expect(() => checkPopplerPages('a\fb\fc\f', 3, 'contract.pdf')).not.toThrow();
    expect(() => checkPopplerPages('a\f\fb\fc\f', 3, 'contract.pdf')).not.toThrow();
  });
});
