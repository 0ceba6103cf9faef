// One daemon per data directory: two processes on one database would both run every due
// job (two uploads, two sends). The lock is the operating system's: an exclusive SQLite lock
// (fcntl) on `signrelay.lock`, held for the daemon's life and dropped by the kernel when its
// process ends however it ends — so a crash leaves nothing to take over, and two daemons
// starting at the same moment cannot both get it. (A pid file taken with O_EXCL and taken
// over when its process was gone let two daemons both start after a crash: each read the
// dead pid, and the second removed the file the first had just made.) `signrelay.pid` says
// who holds it, for `status` and the operator commands' wake-up (and keeps a signrelay of
// the pid-file days that still runs after an upgrade from being joined by a second daemon).
import Database from 'better-sqlite3';
import { chmodSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignrelayError } from '../errors.ts';
import { dataDirProblem, ensureDataDir, keepOwner } from './open-database.ts';

export interface DataDirLock {
  release(): void;
}

/** The locks this process holds: a lock's connection must outlive whoever dropped its handle (a collected connection is closed, and its lock with it). */
const held = new Set<Database.Database>();

/**
 * Taken before the database is opened, so a daemon refused here (another one runs) has not
 * migrated the running one's database first.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  ensureDataDir(dataDir);
  const lockFile = join(dataDir, 'signrelay.lock');
  const pidFile = join(dataDir, 'signrelay.pid');
  let lock: Database.Database | undefined;
  try {
    lock = new Database(lockFile, { timeout: 0 });
    lock.pragma('journal_mode = MEMORY'); // it holds no data: no -journal file beside it
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    lock?.close();
    if (/SQLITE_BUSY|SQLITE_LOCKED/.test(String((err as { code?: unknown }).code))) {
      const holder = lockHolder(dataDir);
      throw new SignrelayError('config', 'data_dir_in_use',
        `another signrelay${holder === undefined ? '' : ` (pid ${holder})`} is using storage.data_dir ${dataDir}: stop it first, or give this one its own data_dir`);
    }
    // Not the service's user, a lock file another user owns, a full or read-only disk.
    throw new SignrelayError('config', 'data_dir_unwritable', `cannot take the lock ${lockFile}: ${dataDirProblem(dataDir, err)}`, { cause: err });
  }
  try {
    chmodSync(lockFile, 0o600); // no other user's process may open it
  } catch {
    // Another user's file we may write to: its owner set its mode.
  }
  // A signrelay from before this lock (up to 2026-12-05) holds only the pid file: one still
  // running after an upgrade must not get a second daemon beside it.
  const older = lockHolder(dataDir);
  if (older !== undefined && older !== process.pid) {
    lock.close();
    throw new SignrelayError('config', 'data_dir_in_use',
      `another signrelay (pid ${older}) is using storage.data_dir ${dataDir}: stop it first, or give this one its own data_dir`);
  }
  try {
    // Written whole under another name, then renamed: a reader never sees half of it.
    const written = `${pidFile}.${process.pid}`;
    writeFileSync(written, `${process.pid}\n`, { mode: 0o600 });
    renameSync(written, pidFile);
    // Root's `signrelay run` must not leave the service a lock file it cannot open.
    keepOwner(dataDir, [lockFile, pidFile]);
  } catch (err) {
    // A full disk, a read-only one: the lock is let go (a reload's restart of the previous
    // configuration must be able to take it) and the cause named, not thrown raw.
    lock.close();
    throw new SignrelayError('config', 'data_dir_unwritable', `cannot write ${pidFile}: ${dataDirProblem(dataDir, err)}`, { cause: err });
  }
  held.add(lock);
  return {
    release() {
      try {
        if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) unlinkSync(pidFile);
      } catch {
        // Already gone: nothing to remove.
      }
      held.delete(lock);
      lock.close();
    },
  };
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
 * to an unrelated process (root's, even: kill(pid, 0) then says EPERM), which must not be
 * taken for the daemon: its command line must be signrelay's.
 */
function isRunning(pid: number): boolean {
  try {
    return /signrelay|src\/cli\.ts/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}
