// The blob store when the disk will not take a file: it reports the kernel's error, stores
// nothing and leaves no temp file — never a truncated blob under a hash it does not match.
// Real kernel errors: /dev/full behind the temp file (ENOSPC), and a file-size limit on a
// child process, which makes the kernel accept only part of a write (a short write).
import { mkdtempSync, openSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore, sha256 } from '../../src/store/blobs.ts';
import { runNodeScript } from '../support/node-script.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'signrelay-blobs-'));
  dirs.push(dir);
  return dir;
}
/** Every file under the blob directory, temp files included. */
const filesIn = (store: BlobStore) => readdirSync(store.dir, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => e.name);

describe('BlobStore.put on a full disk', () => {
  it('throws ENOSPC, stores nothing and leaves no temp file; stores the bytes once the disk has room', () => {
    const dir = dataDir();
    let full = true;
    // The temp file is a link to /dev/full, whose every write the kernel refuses with ENOSPC.
    const store = new BlobStore(dir, {
      openForWrite: (path) => {
        if (full) symlinkSync('/dev/full', path);
        return openSync(path, 'w', 0o600);
      },
    });
    const bytes = Buffer.alloc(100_000, 7);
    expect(() => store.put(bytes)).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    expect(filesIn(store)).toEqual([]);
    expect(store.has(sha256(bytes))).toBe(false);
    full = false;
    expect(store.put(bytes)).toBe(sha256(bytes));
    expect(sha256(store.get(sha256(bytes)))).toBe(sha256(bytes));
  });

  it('does not store the part of a file the kernel took before refusing the rest', async () => {
    const dir = dataDir();
    // A 16 KiB file-size limit (SIGXFSZ ignored): the kernel takes 16 KiB of the write, then EFBIG.
    const script = `
      import { readdirSync } from 'node:fs';
      import { BlobStore } from './src/store/blobs.ts';
      const store = new BlobStore(${JSON.stringify(dir)});
      let outcome;
      try { store.put(Buffer.alloc(200_000, 7)); outcome = 'stored'; } catch (err) { outcome = err.code; }
      console.log(JSON.stringify({ outcome, files: readdirSync(store.dir, { recursive: true }).filter((f) => f.endsWith('.pdf') || f.endsWith('.tmp')) }));`;
    const stdout = await runNodeScript(script, { shellPrefix: "trap '' XFSZ; ulimit -f 16" });
    expect(JSON.parse(stdout)).toEqual({ outcome: 'EFBIG', files: [] });
  });
});

/** The bytes in chunks of `size`, yielded one by one as a download's arrive; `fail` thrown after `failAfter` chunks. */
async function* chunked(bytes: Uint8Array, size: number, fail?: { after: number; error: Error }): AsyncGenerator<Uint8Array> {
  for (let at = 0, n = 0; at < bytes.length; at += size, n++) {
    if (fail && n === fail.after) throw fail.error;
    yield bytes.subarray(at, at + size);
  }
}

describe('BlobStore.putStream', () => {
  it('stores the chunks as they come, under the same name put gives the whole bytes, once', async () => {
    const store = new BlobStore(dataDir());
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const hash = await store.putStream(chunked(bytes, 64 * 1024));
    expect(hash).toBe(sha256(bytes));
    expect(store.get(hash).equals(bytes)).toBe(true);
    expect(store.file(hash)).toEqual({ path: store.pathOf(hash), size: bytes.length, expected: { sha256: hash, altered: expect.any(Function) } });
    expect(await store.putStream(chunked(bytes, 1000))).toBe(hash);
    expect(store.put(bytes)).toBe(hash);
    expect(filesIn(store)).toEqual([`${hash}.pdf`]);
  });

  it('stores nothing and leaves no temp file when the chunks fail on the way, and throws their error', async () => {
    const store = new BlobStore(dataDir());
    const bytes = Buffer.alloc(300_000, 3);
    const dropped = new Error('the connection dropped');
    await expect(store.putStream(chunked(bytes, 64 * 1024, { after: 2, error: dropped }))).rejects.toBe(dropped);
    expect(filesIn(store)).toEqual([]);
  });

  it('on a full disk throws ENOSPC and leaves no temp file', async () => {
    const store = new BlobStore(dataDir(), { openForWrite: (path) => (symlinkSync('/dev/full', path), openSync(path, 'w', 0o600)) });
    await expect(store.putStream(chunked(Buffer.alloc(100_000, 7), 10_000))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(filesIn(store)).toEqual([]);
  });
});

describe('BlobStore.file of a file that is gone', () => {
  it('is a permanent failure naming the file and how it can go (not ENOENT, tried twelve times)', () => {
    const store = new BlobStore(mkdtempSync(join(tmpdir(), 'signrelay-blob-gone-')));
    const hash = store.put(Buffer.from('%PDF-1.7\n'));
    expect(store.file(hash).size).toBe(9);
    rmSync(store.pathOf(hash));
    expect(() => store.file(hash)).toThrow(expect.objectContaining({
      kind: 'permanent', code: 'blob_missing',
      message: `${store.pathOf(hash)} is missing from the data dir's blobs/ (deleted by hand, or signrelay.db restored from a backup without the blobs/ copied after it)`,
    }));
  });
});

describe('BlobStore.file of a file that holds other bytes than its name says', () => {
  it('is checked as it is sent (streamed-bodies.ts): its error is permanent, names the file, what it holds, and says it as the caller tells it', () => {
    const store = new BlobStore(mkdtempSync(join(tmpdir(), 'signrelay-blob-altered-')));
    const hash = store.put(Buffer.from('%PDF-1.7\n'));
    const told: string[] = [];
    const file = store.file(hash, (problem, what) => (told.push(what), `the stamped PDF ${problem}: do this`));
    expect(file.expected.sha256).toBe(hash);
    expect(file.expected.altered({ sha256: 'ab'.repeat(32), bytes: 12 })).toEqual(expect.objectContaining({
      kind: 'permanent', code: 'blob_altered',
      message: `the stamped PDF ${store.pathOf(hash)} is not the file signrelay stored under that name: it holds 12 bytes with SHA-256 ${'ab'.repeat(32)} (the disk or the data dir's blobs/ is damaged, another blobs/ was restored, or someone changed the file): do this`,
    }));
    expect(told).toEqual(['altered']);
  });
});
