// The token outside the return address: upload file names and PDF metadata, written and
// read back, with the fallbacks the completion path relies on.
import { readFileSync } from 'node:fs';
import { PDFDict, PDFDocument, PDFName, PDFString } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { readTokenFromPdf } from '../../src/pdf/pdf-tasks.ts';
import { writeTokenMetadata } from '../../src/pdf/pdf-token.ts';
import { stampedFileName, tokenFromFileName } from '../../src/pdf/token-places.ts';
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

  it('returns undefined for an unstamped PDF, a damaged one and a non-PDF', async () => {
    const contract = new Uint8Array(readFileSync(new URL('../../fixtures/pdf/sample-contract.pdf', import.meta.url)));
    expect(await readTokenFromPdf(contract)).toBeUndefined();
    expect(await readTokenFromPdf(contract.subarray(0, 1000))).toBeUndefined();
    expect(await readTokenFromPdf(new TextEncoder().encode('not a pdf'))).toBeUndefined();
  });
});
