// Large byte arrays between the daemon and a PDF worker go as files (spill-bytes.ts): in a
// message, each array of SPILL_MIN_BYTES or more is written out and stands as its file's
// name, smaller ones and everything else stay as they are, and reading back gives the same
// bytes; one task's files are removed without touching another's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { largestBytes, SPILL_MIN_BYTES, spillBytes, spillDirectory, unspillBytes } from '../../src/pdf/spill-bytes.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spill-test-'));
  dirs.push(dir);
  return dir;
}
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('spilling byte arrays to files', () => {
  it('writes out the large arrays of a message, keeps the rest, and reads them back the same', () => {
    const dir = tempDir();
    const message = {
      op: 'verify-signed', bytes: bytes(SPILL_MIN_BYTES, 1), small: bytes(SPILL_MIN_BYTES - 1, 2),
      sent: { original: bytes(SPILL_MIN_BYTES + 5, 3), token: 'k7q2' }, list: [bytes(SPILL_MIN_BYTES * 2, 4), 'text', 7, null],
      // Text that names the marker is text, and an object with more keys is no marker.
      note: 'spilledBytes', lookalike: { spilledBytes: '/etc/passwd', other: 1 },
    };
    const spilled = spillBytes(message, () => dir, 'task-7-in');
    expect(spilled).toEqual({
      ...message,
      bytes: { spilledBytes: join(dir, 'task-7-in-0') }, sent: { original: { spilledBytes: join(dir, 'task-7-in-1') }, token: 'k7q2' },
      list: [{ spilledBytes: join(dir, 'task-7-in-2') }, 'text', 7, null],
    });
    expect(spilled.small).toBe(message.small);
    expect(readdirSync(dir).sort()).toEqual(['task-7-in-0', 'task-7-in-1', 'task-7-in-2']);
    // Structured clone (the IPC channel) carries the spilled message; read back, it is the message.
    const back = unspillBytes(structuredClone(spilled));
    expect(back).toEqual(message);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
  });

  it('leaves a message without large arrays as it is and writes nothing', () => {
    const dir = tempDir();
    const message = { op: 'token', bytes: bytes(10, 1) };
    expect(spillBytes(message, () => dir, 'task-1-in')).toEqual(message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('knows the largest array of a message, however deep', () => {
    expect(largestBytes({ a: bytes(3, 0), b: { c: [bytes(9, 0)] }, d: 'x' })).toBe(9);
    expect(largestBytes({ d: 'x' })).toBe(0);
  });

  it('removes one task\'s files only, and the whole directory when closed', () => {
    const spill = spillDirectory();
    const dir = spill.path();
    dirs.push(dir);
    expect(spill.path()).toBe(dir);
    spillBytes({ bytes: bytes(SPILL_MIN_BYTES, 1) }, spill.path, 'task-1-in');
    spillBytes({ bytes: bytes(SPILL_MIN_BYTES, 1) }, spill.path, 'task-10-in');
    spill.remove('task-1');
    expect(readdirSync(dir)).toEqual(['task-10-in-0']);
    spill.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('removes the directories of daemons no longer running, and makes its own again when it is gone', () => {
    const root = tempDir();
    // A process that has ended: its PID is free (and not taken again within this test).
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const live = process.ppid;
    for (const name of [`signrelay-pdf-${dead}-aaaaaa`, `signrelay-pdf-${live}-bbbbbb`, 'signrelay-pdf-notapid', 'other']) {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'task-1-in-0'), 'x');
    }
    const spill = spillDirectory(root);
    const dir = spill.path();
    expect(dir.startsWith(join(root, `signrelay-pdf-${process.pid}-`))).toBe(true);
    expect(readdirSync(root).sort()).toEqual([`signrelay-pdf-${live}-bbbbbb`, 'signrelay-pdf-notapid', 'other', dir.slice(root.length + 1)].sort());

    rmSync(dir, { recursive: true });
    spill.remove('task-1');
    const again = spill.path();
    expect(existsSync(again)).toBe(true);
    spill.close();
    expect(existsSync(again)).toBe(false);
  });
});
