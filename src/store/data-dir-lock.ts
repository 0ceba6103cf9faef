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
import { chmodSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignrelayError } from '../errors.ts';
import { procStatFields } from '../proc-stat.ts';
import { dataDirProblem, ensureDataDir, keepOwner } from './open-database.ts';

export interface DataDirLock {
  release(): void;
  /** Said when the lock was taken but its pid file could not be written (a full disk): the daemon runs, and waits for space like any write. */
  warning?: string | undefined;
}

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
  // running after an upgrade must not get a second daemon beside it. A pid file this lock's
  // daemons wrote names a process that held the lock we now have: it is gone.
  const older = readPidFile(pidFile);
  if (older?.startTime === undefined && older !== undefined && isRunning(older, dataDir) && older.pid !== process.pid) {
    lock.close();
    throw new SignrelayError('config', 'data_dir_in_use',
      `another signrelay (pid ${older.pid}) is using storage.data_dir ${dataDir}: stop it first, or give this one its own data_dir`);
  }
  let pidWarning: string | undefined;
  const written = `${pidFile}.${process.pid}`;
  try {
    // Written whole under another name, then renamed: a reader never sees half of it. With
    // the process's start time: after a crash the pid may be reused by another process.
    write(written, `${process.pid} ${startTimeOf(process.pid) ?? ''}`.trim() + '\n', { mode: 0o600 });
    renameSync(written, pidFile);
    // Root's `signrelay run` must not leave the service a lock file it cannot open.
    keepOwner(dataDir, [lockFile, pidFile]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      // A full disk: the pid file only names the holder (the lock is the guard), and a daemon
      // that exits here is restarted into the same refusal until systemd gives up — it starts,
      // and its work waits for space as it would had the disk filled while it ran.
      rmSync(written, { force: true });
      pidWarning = `${pidFile} could not be written: ${dataDirProblem(dataDir, err)}; signrelay runs, and its work waits for space`;
    } else {
      // A read-only disk, another user's file: the lock is let go (a reload's restart of the
      // previous configuration must be able to take it) and the cause named, not thrown raw.
      lock.close();
      throw new SignrelayError('config', 'data_dir_unwritable', `cannot write ${pidFile}: ${dataDirProblem(dataDir, err)}`, { cause: err });
    }
  }
  held.add(lock);
  return {
    warning: pidWarning,
    release() {
      try {
        if (readPidFile(pidFile)?.pid === process.pid) unlinkSync(pidFile);
      } catch {
        // Already gone: nothing to remove.
      }
      held.delete(lock);
      lock.close();
    },
  };
}

interface PidFile {
  pid: number;
  /** The process's start time (/proc/PID/stat), absent in a pid file of the pid-file days. */
  startTime?: string | undefined;
}

function readPidFile(pidFile: string): PidFile | undefined {
  let fields: string[];
  try {
    fields = readFileSync(pidFile, 'utf8').trim().split(/\s+/);
  } catch {
    return undefined;
  }
  const pid = Number(fields[0]);
  return Number.isInteger(pid) && pid > 0 ? { pid, startTime: fields[1] } : undefined;
}

/** The pid of the running process that holds the data dir, if one does (for `status` and the operator commands' wake-up). */
export function lockHolder(dataDir: string): number | undefined {
  const holder = readPidFile(join(dataDir, 'signrelay.pid'));
  return holder && isRunning(holder, dataDir) ? holder.pid : undefined;
}

/** When the process started, in clock ticks since boot (field 22 of /proc/PID/stat): with the pid, it names one process. */
function startTimeOf(pid: number): string | undefined {
  try {
    return procStatFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether the pid file's process still runs. After a crash or a reboot its pid may belong to
 * an unrelated process — another instance's PDF worker, root's process (kill(pid, 0) says
 * EPERM) — which must not be taken for the daemon, nor signalled: the process is the same
 * only if it started when the one that wrote the file did. A pid file of the pid-file days
 * has no start time: its process must be signrelay by its command line and have this data
 * directory's database open.
 */
function isRunning(holder: PidFile, dataDir: string): boolean {
  if (holder.startTime !== undefined) return startTimeOf(holder.pid) === holder.startTime;
  try {
    if (!/signrelay|src\/cli\.ts/.test(readFileSync(`/proc/${holder.pid}/cmdline`, 'utf8'))) return false;
    // The same file by device and inode: the kernel names it by its resolved path, and the
    // data dir may be reached through a symlink or a relative path.
    const database = statSync(join(dataDir, 'signrelay.db'));
    const fds = `/proc/${holder.pid}/fd`;
    return readdirSync(fds).some((fd) => {
      try {
        const open = statSync(join(fds, fd));
        return open.dev === database.dev && open.ino === database.ino;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
