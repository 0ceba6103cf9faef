import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/store/data-dir-lock.ts';

describe('the data directory lock', () => {
  it('is taken once, refused while its holder runs, and released', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    // Another live signrelay holds it (its command line says so).
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'signrelay', 'run']);
    try {
      writeFileSync(join(dir, 'signrelay.pid'), `${other.pid}\n`);
      expect(() => lockDataDir(dir)).toThrow(`another signrelay (pid ${other.pid}) is using storage.data_dir`);
    } finally {
      other.kill();
      await new Promise((r) => other.once('exit', r));
    }
    // Its holder is gone: the stale file is taken over.
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, 'signrelay.pid'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(existsSync(join(dir, 'signrelay.pid'))).toBe(false);
  });

  it('is taken over from a pid file naming a live process that is not signrelay (a pid reused after a reboot)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    const unrelated = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(join(dir, 'signrelay.pid'), `${unrelated.pid}\n`);
      const lock = lockDataDir(dir);
      expect(readFileSync(join(dir, 'signrelay.pid'), 'utf8').trim()).toBe(String(process.pid));
      lock.release();
    } finally {
      unrelated.kill();
      await new Promise((r) => unrelated.once('exit', r));
    }
  });
});
