// Chunks of a download gathered into one buffer. Kept in a list and joined at the end, a
// 20 MB part is held twice at the end (the list and the joined copy) and leaves the list's
// 20 MB for the collector; copied into a buffer of the size the part can reach, it is held
// once. A part larger than it said it could be (a server's wrong size) is still gathered whole.

export interface GatheredBytes {
  add(chunk: Uint8Array): void;
  /** What was added, in order (a view of the buffer). */
  bytes(): Buffer;
}

/** `expected`: the most bytes that should come (undefined: not known). */
export function gatherBytes(expected: number | undefined): GatheredBytes {
  // Zero-filled: the unused end of the buffer travels with the view, and must hold nothing.
  let buffer = Buffer.alloc(expected ?? 0);
  let length = 0;
  const overflow: Uint8Array[] = [];
  return {
    add(chunk) {
      if (overflow.length === 0 && length + chunk.byteLength <= buffer.length) {
        buffer.set(chunk, length);
      } else {
        overflow.push(chunk);
      }
      length += chunk.byteLength;
    },
    bytes() {
      if (overflow.length > 0) {
        buffer = Buffer.concat([buffer.subarray(0, length - overflow.reduce((sum, chunk) => sum + chunk.byteLength, 0)), ...overflow]);
        overflow.length = 0;
      }
      return buffer.subarray(0, length);
    },
  };
}
