// How much a PDF's compressed streams unpack to, measured before any parser sees them: a
// Flate stream of zeros unpacks 1000:1 (twice-deflated, a million to one), and pdf.js and
// pdf-lib unpack a stream whole, into typed arrays that a worker's heap limit does not
// cover. So every stream whose data is a zlib stream (whatever its filter entry says — a
// filter name can hide behind an indirect reference) is inflated here, chunk by chunk,
// counting and discarding, until the budget is spent. Nested zlib layers
// ([/FlateDecode /FlateDecode]) are followed too.
//
// Not counted: images and embedded files, which neither parser unpacks (text extraction
// skips images, pdf-lib copies streams as they are) — a scanned contract may well unpack to
// hundreds of MB of pixels. A bomb that only claims to be an image, and filters not followed
// here (LZW, ASCII85 before Flate), meet the worker's allocation cap (cap-allocations.ts).
import { constants, createInflate, inflateSync } from 'node:zlib';

/**
 * What a PDF's compressed streams may unpack to in all, before any parser reads it. The
 * text layer, fonts and objects of even a 500-page contract unpack to a few tens of MB
 * (images are not counted); a zip bomb unpacks to gigabytes.
 */
export const MAX_INFLATED_BYTES = 128 * 1024 * 1024;

/** How many zlib layers inside each other are followed. */
const MAX_LAYERS = 4;
/**
 * Streams up to this size are inflated in one synchronous call (at most ~1032 times this
 * much output, deflate's limit): a zlib stream object per stream is too dear for files with
 * thousands of small streams. Larger ones are counted chunk by chunk.
 */
const SYNC_INPUT_BYTES = 8 * 1024;
const CHUNK_BYTES = 256 * 1024;

const STREAM_KEYWORD = Buffer.from('stream', 'latin1');
const OBJ_KEYWORD = Buffer.from('obj', 'latin1');
/** How far before `stream` its object's dictionary is looked for. */
const DICTIONARY_WINDOW = 64 * 1024;
const NEVER_UNPACKED_RE = /\/Subtype\s*\/Image\b|\/Type\s*\/EmbeddedFile\b/;
const END_KEYWORD = Buffer.from('endstream', 'latin1');

/**
 * The bytes the PDF's zlib streams unpack to, summed; counting stops as soon as the sum
 * passes `budget` (the answer is then budget + something).
 */
export async function measureInflatedSize(pdf: Uint8Array, budget: number): Promise<number> {
  const bytes = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  let total = 0;
  for (const { dictionary, data } of streams(bytes)) {
    if (!isZlibHeader(data) || NEVER_UNPACKED_RE.test(dictionary)) continue;
    total += await inflatedLength(data, budget - total, MAX_LAYERS);
    if (total > budget) break;
  }
  return total;
}

/**
 * Every `stream … endstream` in the file, found by keyword (as a repairing parser would),
 * with the text of its object before the keyword (its dictionary).
 */
function* streams(bytes: Buffer): Generator<{ dictionary: string; data: Buffer }> {
  for (let at = bytes.indexOf(STREAM_KEYWORD); at >= 0; at = bytes.indexOf(STREAM_KEYWORD, at + 1)) {
    if (at >= 3 && bytes.toString('latin1', at - 3, at) === 'end') continue;
    let start = at + STREAM_KEYWORD.length;
    if (bytes[start] === 0x0d) start++;
    if (bytes[start] === 0x0a) start++;
    if (start === at + STREAM_KEYWORD.length) continue; // "stream" inside a name or string, not the keyword
    const end = bytes.indexOf(END_KEYWORD, start);
    const windowStart = Math.max(0, at - DICTIONARY_WINDOW);
    const obj = bytes.subarray(windowStart, at).lastIndexOf(OBJ_KEYWORD);
    yield { dictionary: bytes.toString('latin1', obj < 0 ? windowStart : windowStart + obj, at), data: bytes.subarray(start, end < 0 ? bytes.length : end) };
    if (end < 0) return;
    at = end + END_KEYWORD.length - 1;
  }
}

/** RFC 1950: compression method 8 (deflate), window ≤ 32 KiB, header check bits. */
function isZlibHeader(data: Uint8Array): boolean {
  if (data.length < 2) return false;
  const cmf = data[0]!;
  const flg = data[1]!;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

/**
 * The inflated length of `data` plus that of any zlib layer inside it, counted without
 * keeping the output. Stops early once over `budget`. A stream that is corrupt or cut off
 * counts what it unpacked before the damage, as the parsers would use that much.
 */
async function inflatedLength(data: Uint8Array, budget: number, layers: number): Promise<number> {
  if (data.length <= SYNC_INPUT_BYTES) {
    let output: Buffer | undefined;
    try {
      output = inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: budget + 1 });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return budget + 1;
      // Corrupt data: counted below, chunk by chunk, up to the damage.
    }
    if (output) {
      const nested = layers > 1 && isZlibHeader(output) ? await inflatedLength(output, budget - output.length, layers - 1) : 0;
      return output.length + nested;
    }
  }
  const counter = inflateCounter(budget, layers);
  counter.write(data);
  counter.end();
  return counter.length;
}

interface InflateCounter {
  /** False when the counter wants no more input until it emits 'drain'. */
  write(chunk: Uint8Array): boolean;
  end(): void;
  onDrain(listener: () => void): void;
  length: Promise<number>;
}

function inflateCounter(budget: number, layers: number): InflateCounter {
  const inflate = createInflate({ finishFlush: constants.Z_SYNC_FLUSH, chunkSize: CHUNK_BYTES });
  let counted = 0;
  let first = true;
  let nested: InflateCounter | undefined;
  const length = new Promise<number>((resolve) => {
    let done = false;
    const finish = async () => {
      if (done) return;
      done = true;
      nested?.end();
      resolve(counted + (nested ? await nested.length : 0));
    };
    inflate.on('data', (chunk: Buffer) => {
      if (done) return;
      if (first) {
        first = false;
        // Only the start of a nested layer needs to be seen to follow it: the rest streams through.
        if (layers > 1 && isZlibHeader(chunk)) nested = inflateCounter(budget, layers - 1);
      }
      counted += chunk.length;
      if (counted > budget) {
        inflate.destroy();
        void finish();
        return;
      }
      if (nested && !nested.write(chunk)) {
        // Never buffer a whole layer in memory: wait for the inner one to catch up.
        inflate.pause();
        nested.onDrain(() => inflate.resume());
      }
    });
    inflate.on('end', () => void finish());
    inflate.on('error', () => void finish());
    inflate.on('close', () => void finish());
  });
  return {
    write: (chunk) => (inflate.destroyed ? true : inflate.write(chunk)),
    end: () => {
      if (!inflate.destroyed) inflate.end();
    },
    onDrain: (listener) => {
      if (inflate.destroyed) {
        listener();
        return;
      }
      // A counter that stops (over budget, corrupt data) never drains: closing counts as drained.
      let called = false;
      const once = () => {
        if (!called) listener();
        called = true;
      };
      inflate.once('drain', once);
      inflate.once('close', once);
    },
    length,
  };
}
