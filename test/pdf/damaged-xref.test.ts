// A PDF whose cross-reference data is wrong — the offset after `startxref` pointing into the
// middle of the file, the classic table's entries off by some bytes, a cross-reference stream
// that no longer says it is one — opens in every viewer, and signrelay signs it like any
// other (also one whose startxref is -1): pdf.js rebuilds the table when it does not fit, and pdf-lib never reads it (it parses
// the file object by object). So no repair step (e.g. qpdf) is needed for these files — tried
// by hand, qpdf 11.3 gave up on the two stream cases (exit 2). Inspected and stamped through
// the worker pool, as the daemon does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { withoutNegativeStartxref } from '../../src/pdf/pdf-lib-load.ts';
import { inspectPdf, stampPdf } from '../../src/pdf/pdf-tasks.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';

const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const read = (path: string) => readFileSync(new URL(`../../fixtures/${path}`, import.meta.url)).toString('latin1');
const LIMITS = { maxPages: 500, maxPdfBytes: 20 * 1024 * 1024, fileName: 'contract.pdf' };

const input = (ownText: StampInput['ownText']): StampInput => ({
  token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C', ownText,
  signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }],
  request: { fileName: 'contract.pdf' }, stamping: configSchema.shape.stamping.parse(undefined),
});

const moveStartxref = (text: string, by: number) => text.replace(/startxref\s+(\d+)(\s+%%EOF\s*)$/, (_m, n: string, eof: string) => `startxref\n${Number(n) + by}${eof}`);

const CASES: Array<[string, string, (text: string) => string, number]> = [
  ['a classic table, startxref 137 bytes off', 'pdf/sample-contract.pdf', (t) => moveStartxref(t, 137), 2],
  ['a classic table whose every entry is 7 bytes off', 'pdf/sample-contract.pdf', (t) => t.replace(/\n(\d{10}) 00000 n/g, (_m, off: string) => `\n${String(Number(off) + 7).padStart(10, '0')} 00000 n`), 2],
  ['a cross-reference stream, startxref 300 bytes early', 'real-world/lppl.pdf', (t) => moveStartxref(t, -300), 8],
  ['a cross-reference stream that no longer says /Type /XRef', 'real-world/lppl.pdf', (t) => t.replace(/\/Type\s*\/XRef/, '/Type /XRXX'), 8],
  // An older TeX tool's: every reader opens it; pdf-lib failed to parse the number.
  ['startxref -1', 'pdf/sample-contract.pdf', (t) => t.replace(/startxref\s+\d+(\s+%%EOF\s*)$/, 'startxref\n-1$1'), 2],
];

describe('a PDF with broken cross-reference data', () => {
  it.each(CASES)('is inspected and stamped: %s', async (_name, path, damage, pages) => {
    const original = read(path);
    const damaged = damage(original);
    expect(damaged).not.toBe(original);
    const bytes = Buffer.from(damaged, 'latin1');
    const facts = await inspectPdf(bytes, LIMITS);
    expect(facts.pages).toBe(pages);
    const stamped = await stampPdf(bytes, input(facts));
    const text = await extractPdfText(stamped);
    expect(text.length).toBe(pages + 1); // the signature page
    expect(text.at(-1)).toContain('[!Sign.1,Ann,Lee,ann.lee@corp.example]');
    expect(text.at(-1)).toContain(`returns+${TOKEN}@corp.example`);
  });
});

describe('startxref -1', () => {
  it('is blanked only where it is a trailer\'s (at a line\'s start, its number and %%EOF after it), never in a page\'s text', () => {
    const file = Buffer.from('%PDF-1.4\n1 0 obj (startxref -250.00 EUR) endobj\nstartxref -7 % not the end\nstartxref\n-1\n%%EOF\n', 'latin1');
    const out = Buffer.from(withoutNegativeStartxref(new Uint8Array(file))).toString('latin1');
    expect(out).toBe('%PDF-1.4\n1 0 obj (startxref -250.00 EUR) endobj\nstartxref -7 % not the end\nstartxref\n 1\n%%EOF\n');
    const clean = new Uint8Array(Buffer.from('%PDF-1.4\nstartxref\n9\n%%EOF\n', 'latin1'));
    expect(withoutNegativeStartxref(clean)).toBe(clean);
    // In a stream, the words as a trailer writes them: the file's own trailer comes after, and decides.
    const inStream = new Uint8Array(Buffer.from('%PDF-1.4\n1 0 obj << >> stream\nstartxref -250\n%%EOF\nendstream endobj\nstartxref\n9\n%%EOF\n', 'latin1'));
    expect(withoutNegativeStartxref(inStream)).toBe(inStream);
  });
});
