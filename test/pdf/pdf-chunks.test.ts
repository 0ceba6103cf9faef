// pdfChunks: a download passes on only once its first bytes are a PDF's, decided as
// isPdfContent decides whole files, however the bytes were split into chunks.
import { describe, expect, it } from 'vitest';
import { pdfChunks } from '../../src/pdf/is-pdf.ts';

async function* split(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** What the consumer got before the end or the error, and the error. */
async function consume(chunks: AsyncIterable<Uint8Array>): Promise<{ got: Buffer; error?: unknown }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of chunks) parts.push(chunk);
    return { got: Buffer.concat(parts) };
  } catch (error) {
    return { got: Buffer.concat(parts), error };
  }
}

const notPdf = new Error('not a PDF');
const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5000, 0x20), Buffer.from('\n%%EOF\n')]);

describe('pdfChunks', () => {
  it.each([1, 7, 1023, 1024, 4096, 100_000])('passes a PDF on whole, in chunks of %i bytes', async (size) => {
    expect(await consume(pdfChunks(split(pdf, size), () => notPdf))).toEqual({ got: pdf });
  });

  it('passes a PDF shorter than the bytes it sniffs, and one whose header follows some junk', async () => {
    const short = Buffer.from('%PDF-1.4\n%%EOF\n');
    expect(await consume(pdfChunks(split(short, 3), () => notPdf))).toEqual({ got: short });
    const late = Buffer.concat([Buffer.alloc(500, 0x0a), pdf]);
    expect(await consume(pdfChunks(split(late, 100), () => notPdf))).toEqual({ got: late });
  });

  it.each([
    ['an HTML page', Buffer.from(`<!DOCTYPE html><html>${' '.repeat(3000)}</html>`)],
    ['a header past the first 1024 bytes', Buffer.concat([Buffer.alloc(1024, 0x20), pdf])],
    ['a short text', Buffer.from('not found')],
    ['nothing', Buffer.alloc(0)],
  ])('refuses %s before it passes on a byte', async (_what, bytes) => {
    expect(await consume(pdfChunks(split(bytes, 256), () => notPdf))).toEqual({ got: Buffer.alloc(0), error: notPdf });
  });
});
