// PDF files in the data directory, named by their sha256 (content-addressed: writing the
// same bytes twice is a no-op). Written atomically: temp file, fsync, rename, fsync dir —
// a crash leaves either the whole file or none.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openAsBlob, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface BlobStoreOptions {
  /** Opens a new temp file for writing (tests put a full device behind it). */
  openForWrite?: (path: string) => number;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class BlobStore {
  readonly dir: string;
  readonly #openForWrite: (path: string) => number;

  constructor(dataDir: string, options: BlobStoreOptions = {}) {
    this.dir = join(dataDir, 'blobs');
    this.#openForWrite = options.openForWrite ?? ((path) => openSync(path, 'w', 0o600));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  pathOf(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a sha256: ${hash}`);
    return join(this.dir, hash.slice(0, 2), `${hash}.pdf`);
  }

  /** Stores the bytes and returns their sha256. */
  put(bytes: Uint8Array): string {
    const hash = sha256(bytes);
    const target = this.pathOf(hash);
    if (existsSync(target)) return hash;
    const dir = join(this.dir, hash.slice(0, 2));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `.${hash}.${randomBytes(4).toString('hex')}.tmp`);
    const fd = this.#openForWrite(temp);
    try {
      // A nearly full disk accepts part of a write without an error: write the rest, and
      // the disk's ENOSPC comes with the next call instead of a truncated blob.
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } catch (err) {
      // A full disk (ENOSPC) lands here: leave nothing behind, and report the write's error.
      closeSync(fd);
      rmSync(temp, { force: true });
      throw err;
    }
    closeSync(fd);
    renameSync(temp, target);
    const dirFd = openSync(dir, 'r');
    try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
    return hash;
  }

  get(hash: string): Buffer {
    return readFileSync(this.pathOf(hash));
  }

  /** The file as a Blob, read only as it is consumed (an upload sends it as it reads it): never held whole. */
  openBlob(hash: string): Promise<Blob> {
    return openAsBlob(this.pathOf(hash));
  }

  has(hash: string): boolean {
    return existsSync(this.pathOf(hash));
  }
}
