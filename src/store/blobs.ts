// PDF files in the data directory, named by their sha256 (content-addressed: writing the
// same bytes twice only marks the file as just written, so the sweep of files no request
// names, which spares a day's writes, never takes one about to be committed). Written atomically: temp file, fsync, rename, fsync dir —
// a crash leaves either the whole file or none.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { join } from 'node:path';
import { SignrelayError } from '../errors.ts';
import { keepOwner } from './open-database.ts';

export interface BlobStoreOptions {
  /** Opens a new temp file for writing (tests put a full device behind it). */
  openForWrite?: (path: string) => number;
}

/**
 * A stored file, to send as it is read (src/http/streamed-bodies.ts): never held whole. Its
 * bytes are hashed as they are sent and checked against its name (`expected`): a file changed
 * on disk fails the call instead of going out as the recorded copy (audit review L3).
 */
export interface StoredFile {
  path: string;
  size: number;
  expected: { sha256: string; altered(found: { sha256: string; bytes: number }): SignrelayError };
}

/** What is wrong with a stored file: gone, or holding other bytes than its name says. */
export type BlobProblem = 'missing' | 'altered';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class BlobStore {
  readonly dir: string;
  readonly #openForWrite: (path: string) => number;

  readonly #dataDir: string;

  constructor(dataDir: string, options: BlobStoreOptions = {}) {
    this.#dataDir = dataDir;
    this.dir = join(dataDir, 'blobs');
    this.#openForWrite = options.openForWrite ?? ((path) => openSync(path, 'w', 0o600));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    keepOwner(dataDir, [this.dir]);
  }

  pathOf(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a sha256: ${hash}`);
    return join(this.dir, hash.slice(0, 2), `${hash}.pdf`);
  }

  /** Stores the bytes and returns their sha256. */
  put(bytes: Uint8Array): string {
    const hash = sha256(bytes);
    if (this.#refresh(hash)) return hash;
    const temp = this.#tempFile(join(this.dir, hash.slice(0, 2)), hash);
    const fd = this.#openForWrite(temp);
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } catch (err) {
      discard(fd, temp);
      throw err;
    }
    closeSync(fd);
    this.#commit(temp, hash);
    return hash;
  }

  /**
   * Stores what `chunks` yields as it comes — a download is written and hashed as it
   * arrives, never held whole — and returns its sha256. When `chunks` throws (a dropped
   * connection, a check of the content), nothing is stored and its error is thrown.
   */
  async putStream(chunks: AsyncIterable<Uint8Array>): Promise<string> {
    const temp = this.#tempFile(this.dir, 'incoming');
    const hasher = createHash('sha256');
    const fd = this.#openForWrite(temp);
    try {
      for await (const chunk of chunks) {
        hasher.update(chunk);
        writeAll(fd, chunk);
      }
      fsyncSync(fd);
    } catch (err) {
      discard(fd, temp);
      throw err;
    }
    closeSync(fd);
    const hash = hasher.digest('hex');
    if (this.#refresh(hash)) rmSync(temp, { force: true });
    else this.#commit(temp, hash);
    return hash;
  }

  get(hash: string): Buffer {
    return readFileSync(this.pathOf(hash));
  }

  /**
   * The stored file, to be read as it is sent (an upload, an attachment): never held whole. A
   * file the database names that is gone is no blip to retry twelve times (lifecycle review
   * M1, M2): a permanent failure (blob_missing) saying so. One that holds other bytes than its
   * hash fails the call that sends it (blob_altered, streamed-bodies.ts). `tell` says it as the
   * caller knows the file, with what can be done.
   */
  file(hash: string, tell: (problem: string, what: BlobProblem) => string = (problem) => problem): StoredFile {
    const path = this.pathOf(hash);
    const found = statSync(path, { throwIfNoEntry: false });
    if (!found) {
      throw new SignrelayError('permanent', 'blob_missing', tell(`${path} is missing from the data dir's blobs/ (deleted by hand, or signrelay.db restored from a backup without the blobs/ copied after it)`, 'missing'));
    }
    const altered = ({ sha256: actual, bytes }: { sha256: string; bytes: number }) => new SignrelayError('permanent', 'blob_altered', tell(
      `${path} is not the file signrelay stored under that name: it holds ${bytes} bytes with SHA-256 ${actual} (the disk or the data dir's blobs/ is damaged, another blobs/ was restored, or someone changed the file)`, 'altered'));
    return { path, size: found.size, expected: { sha256: hash, altered } };
  }

  /**
   * Reads a stored file whole and throws its `altered` error when it does not hold what its
   * name says: for a file handed on by path (a mail's attachment), not sent through a checked
   * body (streamed-bodies.ts) that would stop it on the way.
   */
  async check(file: StoredFile): Promise<void> {
    const hasher = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(file.path) as AsyncIterable<Buffer>) {
      hasher.update(chunk);
      bytes += chunk.length;
    }
    const found = hasher.digest('hex');
    if (found !== file.expected.sha256) throw file.expected.altered({ sha256: found, bytes });
  }

  has(hash: string): boolean {
    return existsSync(this.pathOf(hash));
  }

  /**
   * Removes the temp files of writes whose process died (not touched since `before`): a
   * crash in the middle of a download leaves one as large as the file. Returns how many.
   */
  removeAbandonedTemps(before: Date): number {
    let removed = 0;
    for (const entry of readdirSync(this.dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.tmp')) continue;
      const path = join(entry.parentPath, entry.name);
      const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
      if (modified === undefined || modified >= before.getTime()) continue;
      rmSync(path, { force: true });
      removed++;
    }
    return removed;
  }

  /**
   * Removes the stored files `named` lacks that were last written between `from` and
   * `before` (lifecycle review L1): a crash between storing and committing, a commit that
   * failed, an older database restored beside a newer blobs/ — nothing else would ever delete
   * them. A file written since `before` may belong to a commit on its way; one written before
   * `from` (the database's making) is not the database's to judge. The daemon's other work
   * goes on between batches. Returns how many.
   */
  async removeUnnamed(named: ReadonlySet<string>, window: { from: Date; before: Date }, signal?: AbortSignal): Promise<number> {
    let removed = 0;
    let seen = 0;
    for (const entry of readdirSync(this.dir, { recursive: true, withFileTypes: true })) {
      if (++seen % 500 === 0) await setImmediatePromise();
      if (signal?.aborted) break;
      const hash = STORED_NAME.exec(entry.name)?.[1];
      if (!entry.isFile() || !hash || named.has(hash) || entry.parentPath !== join(this.dir, hash.slice(0, 2))) continue;
      const path = this.pathOf(hash);
      const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
      if (modified === undefined || modified < window.from.getTime() || modified >= window.before.getTime()) continue;
      rmSync(path, { force: true });
      removed++;
    }
    return removed;
  }

  /** Whether the hash is stored; if so, marks it as just written (see removeUnnamed). */
  #refresh(hash: string): boolean {
    const path = this.pathOf(hash);
    if (!existsSync(path)) return false;
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // A file of another owner (EPERM): the bytes are there all the same.
    }
    return true;
  }

  #tempFile(dir: string, name: string): string {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  }

  /** Moves a written temp file to its hash's name and makes the rename durable. */
  #commit(temp: string, hash: string): void {
    const target = this.pathOf(hash);
    const dir = join(this.dir, hash.slice(0, 2));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    renameSync(temp, target);
    // A command run as root (`signrelay run`, `stamp`) must not leave the service files it cannot write.
    keepOwner(this.#dataDir, [dir, target]);
    const dirFd = openSync(dir, 'r');
    try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
  }
}

/** A stored file's name: its sha256 and `.pdf` (temp files start with a dot). */
const STORED_NAME = /^([0-9a-f]{64})\.pdf$/;

/** A write failed (ENOSPC: a full disk): the temp file goes, so no truncated blob is left behind. */
function discard(fd: number, temp: string): void {
  closeSync(fd);
  rmSync(temp, { force: true });
}

/**
 * A nearly full disk accepts part of a write without an error: write the rest, and the
 * disk's ENOSPC comes with the next call instead of a truncated blob.
 */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written);
}
