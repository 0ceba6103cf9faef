// Chunks that arrive one by one (a provider's download), gathered for a test to compare.
export async function bytesOf(chunks: AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of await chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
