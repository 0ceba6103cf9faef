// Whether bytes are a PDF as PDF readers decide it: `%PDF-` somewhere in the first 1024
// bytes (a header after some junk is still read), whatever the file is called or declared as.
const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
const PDF_SNIFF_BYTES = 1024;

export function isPdfContent(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PDF_SNIFF_BYTES)).includes(PDF_MAGIC);
}

/**
 * The chunks as they come, once their first bytes passed the same test: `notPdf()` is
 * thrown before anything is passed on when they do not (an empty answer included).
 */
export async function* pdfChunks(chunks: AsyncIterable<Uint8Array>, notPdf: () => Error): AsyncGenerator<Uint8Array> {
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let checked = false;
  for await (const chunk of chunks) {
    if (checked) {
      yield chunk;
      continue;
    }
    head.push(chunk);
    headBytes += chunk.byteLength;
    if (headBytes < PDF_SNIFF_BYTES) continue;
    checked = true;
    if (!isPdfContent(Buffer.concat(head))) throw notPdf();
    yield* head.splice(0);
  }
  if (checked) return;
  if (!isPdfContent(Buffer.concat(head))) throw notPdf();
  yield* head;
}
