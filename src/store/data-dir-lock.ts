// One daemon per data directory: two processes on one database would both run every due
// job (two uploads, two sends). The lock is the operating system's: an exclusive SQLite lock
// (fcntl) on `signrelay.lock`, held for the daemon's life and dropped by the kernel when its
// process ends however it ends — so a crash leaves nothing to take over, and two daemons
// starting at the same moment cannot both get it. (A pid file taken with O_EXCL and taken
// over when its process was gone let two daemons both start after a crash: each read the
// dead pid, and the second removed the file the first had just made.) `signrelay.pid` says
// who holds it, for `status` and the operator commands' wake-up (and keeps a signrelay of
// the pid-file days that still runs after an upgrade from being joined by a second daemon).
// It holds the pid alone, as those days' signrelay reads it (`Number(file.trim())`): a pid
// file it cannot read it takes for stale, removes, and starts beside the running daemon.
import Database from 'better-sqlite3';
import { chmodSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignrelayError } from '../errors.ts';
import { dataDirProblem, ensureDataDir, keepOwner } from './open-database.ts';
import { isLockBusy } from './storage-failure.ts';

export interface DataDirLock {
  release(): void;
  /** Said when the lock was taken but its pid file could not be written (a full disk): the daemon runs, and waits for space like any write. */
  readonly warning?: string | undefined;
  /** Tries the pid file again if it could not be written (a lock kept across a start that waited for space). */
  writePidFileAgain?(): void;
}

/** How long a start waits for the lock: long enough for a race of starts to settle, short beside a start. */
const LOCK_WAIT_MS = 250;

/** The locks this process holds: a lock's connection must outlive whoever dropped its handle (a collected connection is closed, and its lock with it). */
const held = new Set<Database.Database>();

/**
 * Taken before the database is opened, so a daemon refused here (another one runs) has not
 * migrated the running one's database first. (`writeFile`: tests put a full disk under the pid file.)
 */
export function lockDataDir(dataDir: string, options: { writeFile?: typeof writeFileSync } = {}): DataDirLock {
  const write = options.writeFile ?? writeFileSync;
  ensureDataDir(dataDir);
  const lockFile = join(dataDir, 'signrelay.lock');
  const pidFile = join(dataDir, 'signrelay.pid');
  let lock: Database.Database | undefined;
  try {
    // A short wait, not none: processes starting at the same moment each take SQLite's shared
    // lock on the way to the exclusive one, and with no wait at all every one of them could be
    // refused by the others' shared locks — none started. With it, SQLite refuses at once the
    // ones that would deadlock (they let go), and the first to reach for the exclusive lock
    // gets it; a daemon that holds it refuses a newcomer after the wait.
    lock = new Database(lockFile, { timeout: LOCK_WAIT_MS });
    lock.pragma('journal_mode = MEMORY'); // it holds no data: no -journal file beside it
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    lock?.close();
    if (isLockBusy(err)) {
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
  // running after an upgrade must not get a second daemon beside it. (A daemon of this lock
  // that wrote the file held the lock we now have: it is gone, and isRunning says so.)
  const older = readPidFile(pidFile);
  if (older !== undefined && older !== process.pid && isRunning(older, dataDir)) {
    lock.close();
    throw new SignrelayError('config', 'data_dir_in_use',
      `another signrelay (pid ${older}) is using storage.data_dir ${dataDir}: stop it first, or give this one its own data_dir`);
  }
  const taken = lock;
  const written = `${pidFile}.${process.pid}`;
  /** Writes the pid file: the warning when a full disk (`again`: anything) keeps it from being written, else undefined. */
  const writePidFile = (again = false): string | undefined => {
    try {
      // Written whole under another name, then renamed: a reader never sees half of it.
      write(written, `${process.pid}\n`, { mode: 0o600 });
      renameSync(written, pidFile);
      // Root's `signrelay run` must not leave the service a lock file it cannot open.
      keepOwner(dataDir, [lockFile, pidFile]);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT' || again) {
        // A full disk: the pid file only names the holder (the lock is the guard), and a daemon
        // that exits here is restarted into the same refusal until systemd gives up — it starts,
        // and its work waits for space as it would had the disk filled while it ran.
        try {
          rmSync(written, { force: true });
        } catch {
          // what is left of it is a file of its own name, read by nobody
        }
        return `${pidFile} could not be written: ${dataDirProblem(dataDir, err)}; signrelay runs, and its work waits for space`;
      }
      // A read-only disk, another user's file: the lock is let go (a reload's restart of the
      // previous configuration must be able to take it) and the cause named, not thrown raw.
      taken.close();
      throw new SignrelayError('config', 'data_dir_unwritable', `cannot write ${pidFile}: ${dataDirProblem(dataDir, err)}`, { cause: err });
    }
  };
  let pidWarning = writePidFile();
  held.add(taken);
  return {
    get warning() { return pidWarning; },
    writePidFileAgain() {
      // Kept across a start that waited for space: the file a full disk refused is written now.
      if (pidWarning === undefined) return;
      pidWarning = writePidFile(true); // the lock is held by a running start now: never let go here
    },
    release() {
      try {
        if (readPidFile(pidFile) === process.pid) unlinkSync(pidFile);
      } catch {
        // Already gone: nothing to remove.
      }
      held.delete(lock);
      lock.close();
    },
  };
}

/** The pid a pid file names (its first field: the builds of 2026-12-05 added their start time after it). */
function readPidFile(pidFile: string): number | undefined {
  let first: string | undefined;
  try {
    first = readFileSync(pidFile, 'utf8').trim().split(/\s+/)[0];
  } catch {
    return undefined;
  }
  const pid = Number(first);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The pid of the running process that holds the data dir, if one does (for `status` and the operator commands' wake-up). */
export function lockHolder(dataDir: string): number | undefined {
  const holder = readPidFile(join(dataDir, 'signrelay.pid'));
  return holder !== undefined && isRunning(holder, dataDir) ? holder : undefined;
}

/**
 * Whether the pid file's process is the daemon on this data dir. After a crash or a reboot its
 * pid may belong to an unrelated process — another instance's PDF worker, root's process —
 * which must not be taken for the daemon, nor signalled. The daemon has this data dir's
 * `signrelay.lock` open (from before it wrote the pid file, for its whole life); a daemon of
 * the pid-file days, which has no lock, is signrelay by its command line and has this data
 * dir's database open. Files are compared by device and inode: the kernel names them by their
 * resolved paths, and the data dir may be reached through a symlink or a relative path.
 */
function isRunning(pid: number, dataDir: string): boolean {
  const open = openFiles(pid);
  // Another user's process that this one may not look into (root without CAP_SYS_PTRACE, as in
  // a container): alive, and the lock held by someone — the pid file names whoever took it.
  if (open === 'hidden') return lockIsHeld(dataDir);
  if (open.size === 0) return false;
  const lock = fileKey(join(dataDir, 'signrelay.lock'));
  if (lock !== undefined && open.has(lock)) return true;
  const database = fileKey(join(dataDir, 'signrelay.db'));
  if (database === undefined || !open.has(database)) return false;
  try {
    return /signrelay|src\/cli\.ts/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

function fileKey(path: string): string | undefined {
  try {
    const { dev, ino } = statSync(path);
    return `${dev}:${ino}`;
  } catch {
    return undefined;
  }
}

/** The files a process has open, by device and inode: none when it is gone, 'hidden' when it lives but is not ours to look into. */
function openFiles(pid: number): Set<string> | 'hidden' {
  const fds = `/proc/${pid}/fd`;
  const denied = (err: unknown) => ['EACCES', 'EPERM'].includes(String((err as NodeJS.ErrnoException).code));
  const open = new Set<string>();
  try {
    for (const fd of readdirSync(fds)) {
      try {
        const { dev, ino } = statSync(join(fds, fd));
        open.add(`${dev}:${ino}`);
      } catch (err) {
        // The list may be read where the files it names may not be followed.
        if (denied(err)) return 'hidden';
      }
    }
  } catch (err) {
    return denied(err) ? 'hidden' : open;
  }
  return open;
}

/** Whether some process holds the data dir's lock: trying for it at once is refused (let go again if it was not). */
function lockIsHeld(dataDir: string): boolean {
  let probe: Database.Database | undefined;
  try {
    probe = new Database(join(dataDir, 'signrelay.lock'), { fileMustExist: true, timeout: 0 });
    probe.exec('BEGIN EXCLUSIVE');
    probe.exec('ROLLBACK');
    return false;
  } catch (err) {
    return isLockBusy(err);
  } finally {
    probe?.close();
  }
}
