// An object defined again after a PDF was saved, where its cross-reference table does not
// lead: every viewer (pdf.js, poppler, Acrobat) follows the table and shows the first
// definition, pdf-lib — which writes the stamped copy — keeps the last. The requester read
// "EUR 1,000", and the copy signed and filed on the record said "EUR 100,000", or named
// another signer (fuzz review M3). Refused before stamping (xref-disagreement.ts); an
// incremental update with its own table — a form saved by Acrobat — is stamped as every
// reader reads it. Prepared through the worker pool, as the daemon's intake does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { preparePdf } from '../../src/pdf/pdf-tasks.ts';
import { xrefDisagreement, type FileSection } from '../../src/pdf/xref-disagreement.ts';
import { assemblePdf, streamObject } from '../hostile/make-hostile-pdf.ts';
import { pdftotext } from './pdftotext.ts';
import { ANN, HELVETICA, LIMITS, stampInput, textStream, TOKEN } from './stamp-input.ts';

const input = stampInput;
const FONT = HELVETICA;
const text = textStream;

function contract(words: string): Buffer {
  return assemblePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] ${FONT} /Contents 4 0 R >>`,
    text(words),
  ]);
}

/** The offset the file's last startxref names. */
const lastXref = (pdf: Buffer) => Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(pdf.toString('latin1'))![1]);

/**
 * `base` with object `number` defined again after its end; then, per `tail`: nothing, a
 * `startxref` naming the old table, or an update's own table, trailer and startxref (legitimate).
 */
function redefined(base: Buffer, number: number, body: Buffer, tail: 'nothing' | 'old startxref' | 'own table'): Buffer {
  const object = Buffer.concat([Buffer.from(`${number} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
  const after = tail === 'nothing' ? ''
    : tail === 'old startxref' ? `startxref\n${lastXref(base)}\n%%EOF\n`
      : `xref\n0 1\n0000000000 65535 f \n${number} 1\n${String(base.length).padStart(10, '0')} 00000 n \n` +
        `trailer\n<< /Size 5 /Root 1 0 R /Prev ${lastXref(base)} >>\nstartxref\n${base.length + object.length}\n%%EOF\n`;
  return Buffer.concat([base, object, Buffer.from(after, 'latin1')]);
}

const REFUSAL = {
  kind: 'input', code: 'pdf_changed_after_save',
  message: 'contract.pdf was changed after it was saved, in a way PDF readers disagree on: what your PDF viewer shows may not be what the signers would get. ' +
    'Open it, save or print it to PDF again, check that it reads as you expect, and send that',
};

describe('an object defined again where the cross-reference table does not lead: refused', () => {
  it.each([
    ['after the end (%%EOF), nothing after it', 'nothing'],
    ['followed by a startxref naming the old table', 'old startxref'],
  ] as const)('the page\'s text, %s', async (_name, tail) => {
    const bytes = redefined(contract('The buyer pays EUR 1,000.'), 4, text('The buyer pays EUR 100,000.'), tail);
    // What the requester sees in a viewer.
    expect(await pdftotext(bytes, [])).toContain('EUR 1,000.');
    expect((await extractPdfText(bytes)).join('\n')).toContain('EUR 1,000.');
    for (const signers of [[ANN], []]) await expect(preparePdf(bytes, LIMITS, input(signers))).rejects.toMatchObject(REFUSAL);
  });

  it('the signer a requester who names none would have taken from the document', async () => {
    const bytes = redefined(contract('[!Sign.1,Bruno,Diaz,bruno.diaz@northwind.example]'), 4, text('[!Sign.1,Eve,Evil,eve@evil.example]'), 'nothing');
    expect(await pdftotext(bytes, [])).toContain('bruno.diaz@northwind.example');
    await expect(preparePdf(bytes, LIMITS, input([]))).rejects.toMatchObject(REFUSAL);
  });

  it('a redefinition whose stream holds a startxref of its own (pdf-lib reads it as the stream\'s data)', async () => {
    const base = contract('The buyer pays EUR 1,000.');
    const words = `The buyer pays EUR 100,000.) Tj ET\n% startxref\n% ${lastXref(base)}\n% %%EOF\nBT (`;
    const bytes = redefined(base, 4, text(words), 'nothing');
    await expect(preparePdf(bytes, LIMITS, input())).rejects.toMatchObject(REFUSAL);
  });

  it('in a file with a cross-reference stream (fixtures/real-world/lppl.pdf), after its end', async () => {
    const base = readFileSync(new URL('../../fixtures/real-world/lppl.pdf', import.meta.url));
    const bytes = Buffer.concat([base, Buffer.from('1 0 obj\n<< /Type /Catalog /Pages 99 0 R >>\nendobj\n', 'latin1')]);
    await expect(preparePdf(bytes, LIMITS, input())).rejects.toMatchObject(REFUSAL);
  });
});

describe('an incremental update with its own table (as Acrobat saves a form)', () => {
  it('is stamped, and the copy sent reads as every viewer reads the file', async () => {
    const bytes = redefined(contract('The buyer pays EUR 1,000.'), 4, text('The buyer pays EUR 100,000.'), 'own table');
    expect(await pdftotext(bytes, [])).toContain('EUR 100,000.');
    const prepared = await preparePdf(bytes, LIMITS, input());
    expect(await pdftotext(prepared.stamped!, [])).toContain('EUR 100,000.');
  });
});

describe('xrefDisagreement', () => {
  const object = (number: number, offset: number): FileSection => ({ kind: 'object', number, generation: 0, offset });
  const table = (entries: Record<string, number>): FileSection => ({ kind: 'xref', offsets: () => new Map(Object.entries(entries)) });
  const STARTXREF: FileSection = { kind: 'startxref' };
  it.each([
    ['one section', [object(1, 15), object(2, 60), table({ '1 0': 15, '2 0': 60 }), STARTXREF], true, undefined],
    ['an update with its table', [object(1, 15), table({ '1 0': 15 }), STARTXREF, object(1, 200), table({ '1 0': 200 }), STARTXREF], true, undefined],
    ['its table a few bytes off', [object(1, 15), table({ '1 0': 15 }), STARTXREF, object(1, 200), table({ '1 0': 197 }), STARTXREF], true, undefined],
    ['no startxref at all (readers rebuild the table, taking the last)', [object(1, 15), object(1, 200)], true, undefined],
    ['an object after the last startxref', [object(1, 15), table({ '1 0': 15 }), STARTXREF, object(1, 200)], false, 'object 1 0 is defined after the file\'s last startxref'],
    ['defined again where the newest table names the first', [object(1, 15), object(1, 200), table({ '1 0': 15 }), STARTXREF], true, 'object 1 0 is defined again after the definition the cross-reference table names'],
    ['the same, with a cross-reference stream (its entries unread)', [object(1, 15), object(1, 200), table({ '1 0': 15 }), STARTXREF], false, undefined],
    ['defined again, named by no table', [object(1, 15), object(2, 100), object(2, 200), table({ '1 0': 15 }), STARTXREF], true, undefined],
  ] as const)('%s', (_name, sections, tablesOnly, why) => {
    expect(xrefDisagreement(sections, { tablesOnly })).toBe(why);
  });
});
