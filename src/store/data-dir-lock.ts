// One daemon per data directory: two processes on one database would both run every due
// job (two uploads, two sends). A pid file taken with O_EXCL; a file left by a process
// that no longer runs (a crash, SIGKILL) is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SignrelayError } from '../errors.ts';

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, 'signrelay.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release() {
          try {
            if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
        throw new SignrelayError('config', 'data_dir_in_use',
          `another signrelay (pid ${holder}) is using storage.data_dir ${dataDir}: stop it first, or give this one its own data_dir`);
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  throw new SignrelayError('config', 'data_dir_in_use', `cannot take the lock ${file} in storage.data_dir`);
}

/** The pid of the running process that holds the data dir, if one does (for `status`). */
export function lockHolder(dataDir: string): number | undefined {
  let holder: number;
  try {
    holder = Number(readFileSync(join(dataDir, 'signrelay.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(holder) && holder > 0 && isRunning(holder) ? holder : undefined;
}

/**
 * Whether `pid` is a live signrelay. After a crash or a reboot the pid in the file may belong
 * to an unrelated process (root's, even: kill(pid, 0) then says EPERM), which must not keep
 * the daemon from starting: its command line must be signrelay's.
 */
function isRunning(pid: number): boolean {
  try {
    return /signrelay|src\/cli\.ts/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}
