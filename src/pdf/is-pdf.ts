// Whether bytes are a PDF as PDF readers decide it: `%PDF-` somewhere in the first 1024
// bytes (a header after some junk is still read), whatever the file is called or declared as.
const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
const PDF_SNIFF_BYTES = 1024;

export function isPdfContent(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PDF_SNIFF_BYTES)).includes(PDF_MAGIC);
}
