// One PDF, two readings: pdf.js follows the cross-reference table, pdf-lib (which writes the
// stamped file) parses the file object by object and keeps the last copy of an object
// defined twice. A page whose content object is defined twice — harmless text where the table
// points, a [!Recipient…] tag further down — reads clean to inspection, but the stamped file
// would carry the tag: a second completion recipient chosen by the sender. Such a file is
// refused before it is stamped, as changed after it was saved (xref-disagreement.ts,
// changed-after-save.test.ts), through the worker pool as the daemon does it; the stamped
// bytes are read back besides, for what that check cannot judge (the entries of a
// cross-reference stream, which pdf-lib does not decode).
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { inspectPdf, preparePdf, stampPdf } from '../../src/pdf/pdf-tasks.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';

const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const FORGED = '[!Recipient.C,Eve,Evil,eve@attacker.example]';

/** A one-page PDF whose content object 4 is defined twice; the table points at the first. */
function twoReadingsPdf(): Buffer {
  const stream = (text: string) => {
    const body = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
    return `<< /Length ${body.length} >>\nstream\n${body}\nendstream`;
  };
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    stream('A harmless contract.'),
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  // The second object 4: no table entry points here.
  out += `4 0 obj\n${stream(FORGED.replace(/[()\\]/g, '\\$&'))}\nendobj\n`;
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const LIMITS = { maxPages: 500, maxPdfBytes: 20 * 1024 * 1024, fileName: 'contract.pdf' };
const input = (ownText: StampInput['ownText']): StampInput => ({
  token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C', ownText,
  signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }],
  request: { fileName: 'contract.pdf' }, stamping: configSchema.shape.stamping.parse(undefined),
});

describe('a PDF that reads one way to pdf.js and another to pdf-lib', () => {
  it('reads clean to inspection (the table\'s copy of the page)', async () => {
    const facts = await inspectPdf(twoReadingsPdf(), LIMITS);
    expect(facts).toMatchObject({ pages: 1, tags: [] });
    expect((await extractPdfText(twoReadingsPdf())).join('\n')).not.toContain('[!');
  });

  it('is refused at stamping, before a forged recipient can be sent', async () => {
    const bytes = twoReadingsPdf();
    const facts = await inspectPdf(bytes, LIMITS);
    await expect(stampPdf(bytes, input(facts))).rejects.toMatchObject({ kind: 'input', code: 'pdf_changed_after_save' });
  });

  it('is refused by the intake, which stamps before it reads', async () => {
    await expect(preparePdf(twoReadingsPdf(), LIMITS, input(undefined))).rejects.toMatchObject({ kind: 'input', code: 'pdf_changed_after_save' });
  });
});
