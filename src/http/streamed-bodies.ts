// Large bodies that pass through the daemon without being held whole: a file on disk sent
// as it is read, and an answer's body taken as it arrives. For a 20 MB signed copy that is
// 20–40 MB less at the peak, and less time: undici sends a file-backed Blob 64 KiB at a
// time through a web stream, and gathers an answer into one buffer before it is stored.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/** A file on disk to send as a request's body (a blob store file). */
export interface FileOnDisk {
  path: string;
  size: number;
  /**
   * What the file must hold (a blob store file is named by its SHA-256): its bytes are hashed
   * as they are read, and the last of them is held back until the hash is known. A file that
   * differs is never sent whole — the body ends in an error, the service has less than the
   * Content-Length it was told, stores nothing — and the call fails with `altered`'s error
   * (RequestBody.failure). A changed file went to the signers while the request's recorded
   * hash said otherwise (audit review L3).
   */
  expected?: { sha256: string; altered(found: { sha256: string; bytes: number }): Error };
}

/** What a request sends: bytes in memory, or a file read as it is sent. */
export type Payload = Uint8Array | FileOnDisk;

const READ_CHUNK_BYTES = 1024 * 1024;

/** A request's body for fetch, and its length (sent as Content-Length, never chunked). */
export interface RequestBody {
  body: RequestInit['body'];
  length: number;
  duplex?: 'half';
  /**
   * Closes the file it reads, once the call is over. A service that answers before reading
   * the body (a 401 for an expired token, a 413) leaves it open otherwise: undici does not
   * cancel a request's body when the answer comes first, and each such call kept a file
   * descriptor of the daemon's.
   */
  close(): void;
  /** The error that stopped the body: its file was not what it must hold (FileOnDisk.expected). The call fails with it. */
  failure(): Error | undefined;
}

/** A file is opened anew for each call, so a retried call sends it whole again. */
export function payloadBody(payload: Payload): RequestBody {
  if (payload instanceof Uint8Array) return { body: payload as Uint8Array<ArrayBuffer>, length: payload.byteLength, close: () => undefined, failure: () => undefined };
  const read = readFile(payload);
  const body = Readable.from(read.chunks, { objectMode: false });
  return {
    body: Readable.toWeb(body) as ReadableStream<Uint8Array>, length: payload.size, duplex: 'half', failure: read.failure,
    close: () => {
      body.destroy();
      read.file.destroy();
    },
  };
}

/**
 * Throws the error that stopped a call's body — its file was not what it must hold — if one
 * did: in place of the network failure that ended the call (the service never got the whole
 * file), and after an answer, which a service may give before it read the body's end.
 */
export function throwIfAltered(body: RequestBody | undefined): void {
  const failure = body?.failure();
  if (failure) throw failure;
}

/** A file's chunks as it is read, checked against what it must hold when that is known (FileOnDisk.expected). */
function readFile(payload: FileOnDisk): { file: ReadStream; chunks: AsyncGenerator<Uint8Array>; failure: () => Error | undefined } {
  const file = createReadStream(payload.path, { highWaterMark: READ_CHUNK_BYTES });
  let failure: Error | undefined;
  const { expected } = payload;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (!expected) {
      yield* file;
      return;
    }
    const hasher = createHash('sha256');
    let bytes = 0;
    let held: Uint8Array | undefined;
    for await (const chunk of file as AsyncIterable<Buffer>) {
      hasher.update(chunk);
      bytes += chunk.byteLength;
      // Grown since its size was taken: nothing more goes out, the rest is only hashed.
      if (bytes > payload.size) continue;
      if (held) yield held;
      held = chunk;
    }
    const sha256 = hasher.digest('hex');
    if (bytes !== payload.size || sha256 !== expected.sha256) {
      failure = expected.altered({ sha256, bytes });
      throw failure;
    }
    if (held) yield held;
  }
  return { file, chunks: chunks(), failure: () => failure };
}

/** One file of a multipart/form-data upload. */
export interface FilePart {
  field: string;
  fileName: string;
  contentType: string;
  payload: Payload;
}

/**
 * A multipart/form-data body of one file, as FormData sends it, with the file read as it is
 * sent and the whole length told up front. (FormData takes a file only as a Blob, and
 * undici reads a file-backed Blob 64 KiB at a time through a web stream: ~0.45 s of the
 * daemon's CPU for a 20 MB upload.) Built anew for each call, so a retried call sends it
 * whole again. The names are escaped as FormData escapes them: `"`, CR and LF
 * percent-encoded, so no name can end its header line or its quoted string.
 */
export function multipartBody(part: FilePart): RequestBody & { contentType: string } {
  const boundary = `----signrelay-${randomBytes(16).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(part.field)}"; filename="${escapeName(part.fileName)}"\r\n`
    + `Content-Type: ${part.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const { payload } = part;
  const read = payload instanceof Uint8Array ? null : readFile(payload);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield head;
    if (payload instanceof Uint8Array) yield payload;
    else yield* read!.chunks;
    yield tail;
  }
  const size = payload instanceof Uint8Array ? payload.byteLength : payload.size;
  const body = Readable.from(chunks(), { objectMode: false });
  return {
    body: Readable.toWeb(body) as ReadableStream<Uint8Array>,
    length: head.length + size + tail.length,
    duplex: 'half',
    contentType: `multipart/form-data; boundary=${boundary}`,
    failure: () => read?.failure(),
    close: () => {
      body.destroy();
      read?.file.destroy();
    },
  };
}

const escapeName = (name: string): string => name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');

/**
 * An answer's body as it arrives. A failure while it arrives (the connection dropped, the
 * call's timeout, which covers the body) is thrown as `classify` makes it; a consumer that
 * stops early (its own check failed, the disk is full) cancels the rest of the body.
 */
export async function* answerChunks(body: ReadableStream<Uint8Array> | null, classify: (err: unknown) => Error): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read().catch((err: unknown) => {
        done = true;
        throw classify(err);
      });
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The chunks as they come; at their end, `empty()` is thrown when none held a byte (an API's empty 200). */
export async function* nonEmpty(chunks: AsyncIterable<Uint8Array>, empty: () => Error): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.byteLength;
    yield chunk;
  }
  if (bytes === 0) throw empty();
}

/**
 * The most of an answer's body read into memory, when it is not a download streamed to disk:
 * an API's JSON (a status, a token, a record) is kilobytes, an error page a few more. An
 * answer is the remote side's to shape, and read whole a 300 MB one took the daemon 1.2 GB
 * (and past V8's longest string, ServiceNow's failed as "could not reach").
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** An answer's body, read up to `maxBytes`; past that the rest is not read (cancelled: answerChunks), and `tooLarge` says so. A failure while it arrives is thrown as it came. */
export async function readAnswer(response: Response, maxBytes = MAX_ANSWER_BYTES): Promise<{ bytes: Uint8Array; tooLarge: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of answerChunks(response.body, (err) => (err instanceof Error ? err : new Error(String(err))))) {
    if (size + chunk.byteLength > maxBytes) {
      chunks.push(chunk.subarray(0, maxBytes - size));
      return { bytes: Buffer.concat(chunks, maxBytes), tooLarge: true };
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), tooLarge: false };
}

/** What a too-large answer is, in a bad response's words. */
export const answerTooLarge = (maxBytes = MAX_ANSWER_BYTES) => `the answer is larger than ${Math.round(maxBytes / (1024 * 1024))} MB, more than any answer of this API: not read`;

/** The chunks as they come, until more than `maxBytes` came: then `tooLarge()` is thrown (and the rest of the body is cancelled by its reader). */
export async function* boundedChunks(chunks: AsyncIterable<Uint8Array>, maxBytes: number, tooLarge: () => Error): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.byteLength;
    if (bytes > maxBytes) throw tooLarge();
    yield chunk;
  }
}
