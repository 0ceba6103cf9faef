// Failures of the data directory itself — the database locked by another process, the disk
// full or read-only, an I/O error — turned into one clear, transient SignrelayError that
// names storage.data_dir and what to do. Such a failure is nobody's input: the work it hit
// waits and is retried (a mail stays in its folder, a job keeps its attempts). Pure.
import { dirname } from 'node:path';
import { SignrelayError, isSignrelayError } from '../errors.ts';
import type Database from 'better-sqlite3';

/** Where the failure happened: the data dir, and how long the database waits for a lock. */
export interface StorageContext {
  dataDir: string;
  busyTimeoutMs: number;
}

interface StorageProblem {
  code: string;
  /** What is wrong and what to do, after "storage.data_dir DIR". */
  says(context: StorageContext): string;
}

const PROBLEMS: Array<[RegExp, StorageProblem]> = [
  [/^SQLITE_(BUSY|LOCKED)/, { code: 'storage_busy', says: (c) => `is locked: another process held a write lock on signrelay.db for longer than the ${c.busyTimeoutMs / 1000} s signrelay waits for it (a second signrelay, a backup, an sqlite3 shell?)` }],
  [/^(SQLITE_FULL|ENOSPC|EDQUOT)$/, { code: 'storage_full', says: () => 'is full: free space on its filesystem' }],
  [/^(SQLITE_READONLY|EROFS)/, { code: 'storage_read_only', says: () => 'cannot be written: check that its filesystem is mounted read-write and owned by the signrelay user' }],
  [/^(SQLITE_IOERR|EIO$)/, { code: 'storage_io_error', says: () => 'had an I/O error: check the disk (dmesg)' }],
  [/^(SQLITE_CANTOPEN|EMFILE|ENFILE)$/, { code: 'storage_cannot_open', says: () => 'has a file that cannot be opened: too many open files (raise LimitNOFILE), or a file was removed' }],
  [/^(SQLITE_CORRUPT|SQLITE_NOTADB)/, { code: 'storage_damaged', says: () => 'holds a damaged database (signrelay.db): stop signrelay, and restore the file from a backup (docs/operations.md, Backup)' }],
  [/^(EACCES|EPERM)$/, { code: 'storage_permission', says: (c) => `has a file or directory this user may not write (a command run as root made it?): give it back to the signrelay user (chown -R signrelay: ${c.dataDir})` }],
];

/** How deep a wrapped error's causes are looked through (a wrapper's message, the file system's code). */
const MAX_CAUSES = 4;

function problemOf(err: unknown): { code: string; problem: StorageProblem; error: unknown } | undefined {
  // A SignrelayError already says whose failure it is; a plain wrapper is looked through.
  for (let at = err, depth = 0; at != null && depth <= MAX_CAUSES && !isSignrelayError(at); at = (at as { cause?: unknown }).cause, depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    const problem = PROBLEMS.find(([pattern]) => pattern.test(code))?.[1];
    if (problem) return { code, problem, error: at };
  }
  return undefined;
}

/** Which failure of the data dir `err` is ('storage_busy', 'storage_damaged', …), or undefined when it is none. */
export function storageProblemCode(err: unknown): string | undefined {
  return problemOf(err)?.problem.code;
}

/** Whether `err` is SQLite's refusal of a lock another connection holds (SQLITE_BUSY, SQLITE_LOCKED). */
export function isLockBusy(err: unknown): boolean {
  return storageProblemCode(err) === 'storage_busy';
}

/** Whether `err` (as thrown by SQLite or the file system) is a failure of the data dir. */
export function isStorageFailure(err: unknown): boolean {
  return problemOf(err) !== undefined;
}

/** The storage failure `err` is, as a SignrelayError; undefined when it is something else. `then`: what happens now ('' to leave it to the caller). */
export function storageFailure(err: unknown, context: StorageContext, then = 'The work waits and is retried.'): SignrelayError | undefined {
  const found = problemOf(err);
  if (!found) return undefined;
  const { code, problem, error } = found;
  const detail = error instanceof Error ? error.message : String(error);
  // Node's own messages start with the code already ("ENOSPC: no space left on device, write").
  const cause = detail.startsWith(code) ? detail : `${code}: ${detail}`;
  return new SignrelayError('transient', problem.code,
    `storage.data_dir ${context.dataDir} ${problem.says(context)} (${cause})${then ? `. ${then}` : ''}`, { cause: err });
}

/** The storage context of an open database (its file lives in the data dir). */
export function storageContextOf(db: Database.Database): StorageContext {
  return { dataDir: dirname(db.name), busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })) };
}

export const STORAGE_FAILURE_CODES: ReadonlySet<string> = new Set(PROBLEMS.map(([, p]) => p.code));
