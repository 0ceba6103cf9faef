// The token outside the return address: upload file names and PDF metadata, written and
// read back, with the fallbacks the completion path relies on.
import { readFileSync } from 'node:fs';
import { PDFDict, PDFDocument, PDFName, PDFString } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { readTokenFromPdf } from '../../src/pdf/pdf-tasks.ts';
import { pagesToRead } from '../../src/pdf/extract-text.ts';
import { writeTokenMetadata } from '../../src/pdf/pdf-token.ts';
import { stampedFileName, tokenFromFileName } from '../../src/pdf/token-places.ts';
import { assemblePdf, streamObject } from '../hostile/make-hostile-pdf.ts';
import { makePdf } from './make-pdf.ts';

const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const OTHER = 'aaaaabbbbbcccccddddd';

async function withMetadata(edit: (doc: PDFDocument) => void): Promise<Uint8Array> {
  const doc = await PDFDocument.load(await makePdf());
  edit(doc);
  return doc.save();
}

describe('stampedFileName', () => {
  it.each([
    ['contract.pdf', `contract--signrelay-${TOKEN}.pdf`],
    ['Contract.PDF', `Contract--signrelay-${TOKEN}.pdf`],
    ['Vertrag Müller (final).pdf', `Vertrag-Muller-final--signrelay-${TOKEN}.pdf`],
    ['../../etc/passwd', `passwd--signrelay-${TOKEN}.pdf`],
    ['C:\\Users\\ann\\offer v2.pdf', `offer-v2--signrelay-${TOKEN}.pdf`],
    ['契約書.pdf', `document--signrelay-${TOKEN}.pdf`],
    ['.pdf', `document--signrelay-${TOKEN}.pdf`],
    ['a--b.pdf', `a-b--signrelay-${TOKEN}.pdf`],
    [`contract--signrelay-${OTHER}.pdf`, `contract--signrelay-${TOKEN}.pdf`],
    [`${'x'.repeat(300)}.pdf`, `${'x'.repeat(80)}--signrelay-${TOKEN}.pdf`],
  ])('%j → %j', (original, expected) => {
    const name = stampedFileName(original, TOKEN);
    expect(name).toBe(expected);
    expect(name).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(tokenFromFileName(name)).toBe(TOKEN);
  });
});

describe('tokenFromFileName', () => {
  it.each<[string, string | undefined]>([
    [`contract--signrelay-${TOKEN}.pdf`, TOKEN],
    [`contract--signrelay-${TOKEN}_signed.pdf`, TOKEN],
    [`Signed - contract--signrelay-${TOKEN.toUpperCase()}.PDF`, TOKEN],
    [`contract--signrelay-${TOKEN}x.pdf`, undefined],
    [`contract--signrelay-${TOKEN.slice(1)}.pdf`, undefined],
    ['contract.pdf', undefined],
  ])('%j → %s', (name, expected) => {
    expect(tokenFromFileName(name)).toBe(expected);
  });
});

describe('readTokenFromPdf', () => {
  it('reads the token written into the metadata', async () => {
    expect(await readTokenFromPdf(await withMetadata((doc) => writeTokenMetadata(doc, TOKEN)))).toBe(TOKEN);
  });

  it('reads the custom key alone, and the keyword alone', async () => {
    const key = await withMetadata((doc) => doc.context.lookup(doc.context.trailerInfo.Info, PDFDict).set(PDFName.of('SignrelayToken'), PDFString.of(TOKEN)));
    const keyword = await withMetadata((doc) => doc.setKeywords(['x', `signrelay-token:${TOKEN}`]));
    expect(await readTokenFromPdf(key)).toBe(TOKEN);
    expect(await readTokenFromPdf(keyword)).toBe(TOKEN);
  });

  it('replaces an older token and keeps other keywords', async () => {
    const bytes = await withMetadata((doc) => {
      doc.setKeywords(['contract', `signrelay-token:${OTHER}`]);
      writeTokenMetadata(doc, TOKEN);
    });
    expect(await readTokenFromPdf(bytes)).toBe(TOKEN);
    expect((await PDFDocument.load(bytes)).getKeywords()).toBe(`contract signrelay-token:${TOKEN}`);
  });

  it('falls back to the return address in the text when the metadata was lost', async () => {
    const bytes = await makePdf({ pages: [['Signed.', `[!Recipient.C,signrelay,Returns,returns+${TOKEN}@corp.example]`]] });
    expect(await readTokenFromPdf(bytes)).toBe(TOKEN);
  });

  it('reads only the first and last pages\' text, where a page signrelay stamped is', async () => {
    const tagged = `[!Recipient.C,signrelay,Returns,returns+${TOKEN}@corp.example]`;
    const pages = (at: number) => Array.from({ length: 12 }, (_, i) => (i === at ? ['Signed.', tagged] : [`Page ${i + 1}.`]));
    expect(await readTokenFromPdf(await makePdf({ pages: pages(11) }))).toBe(TOKEN);
    expect(await readTokenFromPdf(await makePdf({ pages: pages(0) }))).toBe(TOKEN);
    expect(await readTokenFromPdf(await makePdf({ pages: pages(5) }))).toBeUndefined();
    // …and the page stamping.overlay draws on, counted as it is configured.
    expect(await readTokenFromPdf(await makePdf({ pages: pages(5) }), {}, 6)).toBe(TOKEN);
    expect(await readTokenFromPdf(await makePdf({ pages: pages(5) }), {}, -7)).toBe(TOKEN);
  });

  it.each([
    [12, {}, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
    [12, { endPages: 4 }, [1, 2, 3, 4, 9, 10, 11, 12]],
    [12, { endPages: 4, alsoPage: 6 }, [1, 2, 3, 4, 6, 9, 10, 11, 12]],
    [12, { endPages: 4, alsoPage: -1 }, [1, 2, 3, 4, 9, 10, 11, 12]],
    [12, { endPages: 0, alsoPage: 40 }, []],
    [5, { endPages: 4 }, [1, 2, 3, 4, 5]],
    [1_000_000, { endPages: 2, alsoPage: 500_000 }, [1, 2, 500_000, 999_999, 1_000_000]],
  ])('pages read of %i with %j: %j', (count, options, expected) => {
    expect([...pagesToRead(count, options)]).toEqual(expected);
  });

  it('reads a page tree that names one page a million times by its ends, within the worker\'s limits', async () => {
    // 2 KB of PDF: read whole, it ran until the worker's time limit (and again for each such PDF of a mail).
    expect(await readTokenFromPdf(millionPagePdf(`Reference ${TOKEN}`), { timeoutMs: 10_000 })).toBe(TOKEN);
  });

  it('returns undefined for an unstamped PDF, a damaged one and a non-PDF', async () => {
    const contract = new Uint8Array(readFileSync(new URL('../../fixtures/pdf/sample-contract.pdf', import.meta.url)));
    expect(await readTokenFromPdf(contract)).toBeUndefined();
    expect(await readTokenFromPdf(contract.subarray(0, 1000))).toBeUndefined();
    expect(await readTokenFromPdf(new TextEncoder().encode('not a pdf'))).toBeUndefined();
  });
});

/** A page tree of 1,000 × 1,000 references to one page that shows `text`. */
function millionPagePdf(text: string): Uint8Array {
  const leafKids = Array.from({ length: 1000 }, () => '4 0 R').join(' ');
  const rootKids = Array.from({ length: 1000 }, () => '3 0 R').join(' ');
  return assemblePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Count 1000000 /Kids [${rootKids}] >>`,
    `<< /Type /Pages /Parent 2 0 R /Count 1000 /Kids [${leafKids}] >>`,
    '<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>',
    streamObject('', Buffer.from(`BT /F1 11 Tf 60 700 Td (${text}) Tj ET`, 'latin1')),
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]);
}
