// A real full disk for the disk-full tests: a small tmpfs mounted for the test (we run as
// root), filled up with a filler file until the kernel answers ENOSPC. Where mounting is not
// permitted (an unprivileged CI container), `mountTmpfs` says so and the tests use their
// other honest way (see disk-full.test.ts).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Mounts a tmpfs of `sizeBytes` on `dir` (created); false when this machine does not permit it. */
export function mountTmpfs(dir: string, sizeBytes: number): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function unmountTmpfs(dir: string): void {
  execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
}

/** Writes a filler file in `dir` until the filesystem is full; removing it frees the space. */
export function fillUp(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  try {
    for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
      for (;;) {
        try {
          if (writeSync(fd, chunk, 0, size) < size) break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

export function removeFiller(file: string): void {
  rmSync(file, { force: true });
}
