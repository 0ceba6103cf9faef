// The suite's compile cache is emptied once it has grown past its bound, and kept below it.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { suiteCompileCache } from './compile-cache.ts';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function cacheWith(bytesPerFile: number, files: number): string {
  root = mkdtempSync(join(tmpdir(), 'compile-cache-test-'));
  const dir = join(root, 'cache');
  // Node's layout: a directory per Node version and flags, a file per module.
  mkdirSync(join(dir, 'v24-x64-abc-0'), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, 'v24-x64-abc-0', `entry-${i}`), Buffer.alloc(bytesPerFile));
  return dir;
}

it('keeps a cache within its bound, counting the files of every subdirectory', () => {
  const dir = cacheWith(1_000, 4);
  expect(suiteCompileCache(dir, 4_000)).toBe(dir);
  expect(existsSync(join(dir, 'v24-x64-abc-0', 'entry-3'))).toBe(true);
});

it('empties a cache grown past its bound', () => {
  const dir = cacheWith(1_000, 5);
  expect(suiteCompileCache(dir, 4_000)).toBe(dir);
  expect(existsSync(dir)).toBe(false);
});

it('takes a cache that does not exist yet as empty', () => {
  root = mkdtempSync(join(tmpdir(), 'compile-cache-test-'));
  expect(suiteCompileCache(join(root, 'none'), 0)).toBe(join(root, 'none'));
});
