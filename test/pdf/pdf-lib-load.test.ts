// pdf-lib loading as signrelay has it (src/pdf/pdf-lib-load.ts): each stream's bytes a view of
// the file instead of a copy — and nothing pdf-lib does with a document, stamping included,
// writes into the file it was read from.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PDFRawStream } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { loadPdfDocument } from '../../src/pdf/pdf-lib-load.ts';
import { stampPdfInProcess } from '../../src/pdf/stamp-pdf.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';

const realWorld = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/real-world/${name}`, import.meta.url)));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';

function rawStreams(doc: Awaited<ReturnType<typeof loadPdfDocument>>): PDFRawStream[] {
  return doc.context.enumerateIndirectObjects().map(([, object]) => object).filter((object) => object instanceof PDFRawStream);
}

describe('loadPdfDocument', () => {
  it('reads each stream as a view of the file, not a copy', async () => {
    const bytes = realWorld('hyperref-doc.pdf');
    const streams = rawStreams(await loadPdfDocument(bytes));
    expect(streams.length).toBeGreaterThan(10);
    for (const stream of streams) expect(stream.contents.buffer).toBe(bytes.buffer);
  });

  it('stamps a file with object streams without writing into it, and the stamp reads as before', async () => {
    const bytes = realWorld('hyperref-doc.pdf');
    const before = sha256(bytes);
    const input: StampInput = {
      token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C',
      signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }],
      request: { fileName: 'hyperref-doc.pdf', subject: 'Please sign RITM0010001', record: 'RITM0010001', due: '2026-12-24', requester: 'pat@corp.example', route: 'default' },
      stamping: configSchema.shape.stamping.parse(undefined),
      now: new Date('2026-02-01T10:00:00Z'),
    };
    const stamped = await stampPdfInProcess(bytes, input);
    expect(sha256(bytes)).toBe(before);
    const pages = await extractPdfText(stamped);
    const original = await extractPdfText(bytes);
    // The document's own pages read as they did, and the signature page carries the tags.
    expect(pages.slice(0, original.length)).toEqual(original);
    expect(pages.slice(original.length).join('\n')).toContain('[!Sign.1,Ann,Lee,ann.lee@corp.example]');
  });
});
