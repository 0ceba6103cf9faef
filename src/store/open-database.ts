// Opens the SQLite database in the data directory (WAL, foreign keys, busy timeout) and
// applies the numbered migrations in src/store/migrations/ that it has not seen yet, each
// in its own transaction. The data dir is private to the service (0700, files 0600).
import Database from 'better-sqlite3';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SignrelayError } from '../errors.ts';
import { makeDirectories } from '../make-directories.ts';
import { FINGERPRINT_KEY_FILE } from './fingerprint-key.ts';
import { storageContextOf, storageFailure } from './storage-failure.ts';
import { MIGRATIONS_DIR, shippedMigrations, shippedSchema } from './schema-version.ts';
import { HISTORY_MARK_FILE } from './history-mark.ts';

export type Db = Database.Database;

/** How long a write waits for another process's write lock before it fails (storage_busy). */
export const BUSY_TIMEOUT_MS = 5_000;

/** The data directory, made if missing and private (0700); what keeps it from being used, said with its fix. */
export function ensureDataDir(dataDir: string): void {
  try {
    // The directories above it are ordinary ones (0755): made 0700 too, they kept the
    // service's user out of a StateDirectory= systemd later made inside them (`check`, run
    // as root before the first start, makes them).
    try {
      makeDirectories(dirname(dataDir), 0o755);
    } catch {
      // The data dir's own mkdir below says why, for the data dir the setting names.
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
  } catch (err) {
    throw new SignrelayError('config', 'data_dir_unwritable', dataDirProblem(dataDir, err), { cause: err });
  }
}

/** The file each open database was opened on (device and inode): databaseMoved compares. */
const openedFiles = new WeakMap<Db, { dev: number; ino: number }>();

export interface OpenOptions {
  busyTimeoutMs?: number | undefined;
  /**
   * false: an existing database of an older signrelay is refused (olderDatabaseError), not
   * upgraded — an operator command of a newly installed version must not migrate the database
   * under the old daemon still running on it (its next reload would be refused, and going back
   * to it impossible). Only the daemon's start upgrades; a new database is made whole either way.
   */
  upgrade?: boolean;
}

export function openDatabase(dataDir: string, options: OpenOptions = {}): Db {
  ensureDataDir(dataDir);
  const file = join(dataDir, 'signrelay.db');
  refuseLostDatabase(dataDir, file);
  const existed = existsSync(file);
  try {
    const db = new Database(file);
    chmodSync(file, 0o600);
    const { dev, ino } = statSync(file);
    openedFiles.set(db, { dev, ino });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    refuseNewerSchema(db, file);
    if (existed && options.upgrade === false) {
      const pending = pendingMigrations(db);
      if (pending.length > 0) {
        db.close();
        throw olderDatabaseError(dataDir, pending.length);
      }
    }
    migrate(db);
    keepOwner(dataDir, [file, `${file}-wal`, `${file}-shm`]);
    return db;
  } catch (err) {
    if (err instanceof SignrelayError) throw err;
    // A migration waits for the write lock as any write does; held longer, that is the cause.
    const busy = storageFailure(err, { dataDir, busyTimeoutMs: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS }, '');
    if (busy?.code === 'storage_busy') throw busy;
    // SQLite says "disk I/O error" when it cannot make its -shm file on a full disk.
    if (dataDirIsFull(dataDir)) throw new SignrelayError('config', 'data_dir_full', `the database ${file} cannot be opened: ${dataDirProblem(dataDir, { code: 'ENOSPC' })} (${(err as Error).message})`, { cause: err });
    throw new SignrelayError('config', 'database_unusable',
      `the database ${file} (in storage.data_dir) cannot be opened: ${(err as Error).message}. Check that it is a signrelay database, owned by the signrelay user and on a writable disk`, { cause: err });
  }
}

/** Less than this free for this user counts as full: SQLite's -shm file alone needs 32 KiB. */
export const NEARLY_FULL_BYTES = 1024 * 1024;

/** The bytes free for this user on the filesystem of `path` (the data dir, the temp directory); null when it cannot be looked at. */
export function freeBytesAt(path: string): number | null {
  try {
    const { bavail, bsize } = statfsSync(path);
    return bavail * bsize;
  } catch {
    return null;
  }
}

/** Whether the data directory's filesystem has (almost) no room left for this user (under 1 MiB). */
export function dataDirIsFull(dataDir: string): boolean {
  const free = freeBytesAt(dataDir);
  return free !== null && free < NEARLY_FULL_BYTES;
}

/** Why the data directory cannot be made or used, with the fix that goes with the cause. */
export function dataDirProblem(dataDir: string, err: unknown): string {
  let code = (err as NodeJS.ErrnoException).code;
  const where = `storage.data_dir ${dataDir}`;
  if (code === 'ENOENT') code = firstMissingCause(dataDir) ?? code;
  // A file where the directory should be reads as EACCES to access() and EEXIST to mkdir().
  try {
    if (!statSync(dataDir).isDirectory()) code = 'ENOTDIR';
  } catch {
    // not there, or not to be looked at: the error says which
  }
  if (code === 'EPERM' || code === 'EACCES') {
    let owner = '';
    try {
      owner = ` (it belongs to uid ${statSync(dataDir).uid}; this is uid ${process.getuid?.() ?? '?'})`;
    } catch {
      // not there, or not even to be looked at: the parent is the one refused
    }
    return `${where} cannot be used by this user (${code})${owner}: run the command as the service's user (e.g. sudo -u signrelay signrelay …), or give this user the directory`;
  }
  if (code === 'EROFS') {
    return `${where} is on a read-only file system (EROFS): under signrelay.service only /var/lib/signrelay is writable (ProtectSystem=strict) — use it, or add ReadWritePaths=${dataDir} to the unit`;
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') return `${where} is, or lies under, a file, not a directory (${code}): name a directory`;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `${where} is full (${code}): free space on its filesystem`;
  return `${where} cannot be created or used (${code}): create it and give the signrelay user write access`;
}

/**
 * Node's recursive mkdir says ENOENT whatever stopped it — a read-only file system (EROFS), a
 * directory this user may not write to: the first missing directory, made alone, says which.
 * Made, it is removed again (the error being explained stands; the probe leaves nothing).
 */
function firstMissingCause(dir: string): string | undefined {
  let missing = resolve(dir);
  while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
  try {
    mkdirSync(missing);
    rmdirSync(missing);
    return undefined;
  } catch (err) {
    // EEXIST: something is there after all (a symlink to a disk not mounted): ENOENT says that better.
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EEXIST' ? undefined : code;
  }
}

/**
 * An operator command run as root (`retry`, `cancel`, `check`, `authorize`) on the service's
 * data dir must not leave root-owned database files behind (SQLite creates `-wal`/`-shm`):
 * the daemon, running as the dir's owner, could then no longer open them. They are handed
 * to the data dir's owner.
 */
export function keepOwner(dataDir: string, paths: string[]): void {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = statSync(dataDir);
  if (uid === 0) return;
  for (const path of paths) {
    if (existsSync(path)) chownSync(path, uid, gid);
  }
}

/** An in-memory database with the real migrations, for tests and `explain`. */
export function openMemoryDatabase(): Db {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

export function migrate(db: Db): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  let count = 0;
  for (const file of pendingMigrations(db)) {
    const version = Number(file.slice(0, 4));
    const sql = readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8');
    // Under the write lock, and only if nobody applied it meanwhile: two processes opening an
    // older database at once (a start beside an operator command) both saw it pending.
    const applied = db.transaction(() => {
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version)) return false;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, file, new Date().toISOString());
      return true;
    }).immediate();
    if (applied) count++;
  }
  return count;
}

/**
 * A data directory that a daemon ran on — the PDFs of earlier requests are there, or the
 * credential key a daemon makes at its first start, after its database — but no database
 * lost its database (removed, or moved away while signrelay ran): a fresh one made silently
 * would know none of the requests out for signing (their signed copies then Unmatched) and
 * none of the stored OAuth tokens.
 */
export function refuseLostDatabase(dataDir: string, file: string): void {
  if (existsSync(file)) return;
  const blobs = join(dataDir, 'blobs');
  let kept = false;
  try {
    kept = readdirSync(blobs, { withFileTypes: true }).some((entry) => entry.isDirectory() && /^[0-9a-f]{2}$/.test(entry.name) && readdirSync(join(blobs, entry.name)).length > 0);
  } catch {
    // No blob store: a first start, or none kept.
  }
  const key = join(dataDir, FINGERPRINT_KEY_FILE);
  if (!kept && !existsSync(key)) return;
  throw new SignrelayError('config', 'database_missing',
    `the database ${file} (in storage.data_dir) is missing, though ${kept ? `the PDFs of earlier requests are in ${blobs}` : `${key} shows a signrelay ran here`}: restore signrelay.db from a backup (to start afresh on purpose, move the blobs directory, ${FINGERPRINT_KEY_FILE} and ${HISTORY_MARK_FILE} away first)`);
}

/**
 * Whether the database's file is still the one it was opened on: removed, or replaced (a
 * backup "restored" over it with mv), SQLite goes on writing into the old file, which is
 * gone at the next start. What happened, or null.
 */
export function databaseMoved(db: Db): string | null {
  const opened = openedFiles.get(db);
  if (!opened) return null;
  try {
    const { dev, ino } = statSync(db.name);
    return dev === opened.dev && ino === opened.ino ? null : 'was replaced by another file';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'was removed or moved away' : null;
  }
}

/**
 * A database a newer signrelay migrated (a rollback to an older package) is refused: this
 * one would run on tables it does not know, and its own writes might not be what the newer
 * schema means.
 */
function refuseNewerSchema(db: Db, file: string): void {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  if (!hasTable) return;
  const newest = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  const known = shippedSchema();
  if (newest <= known) return;
  throw new SignrelayError('config', 'database_newer',
    `the database ${file} (in storage.data_dir) was migrated by a newer signrelay (schema ${newest}; this one knows up to ${known}): run that version again, or restore a backup of the database from before the upgrade`);
}

/** A database an older signrelay left, to be upgraded by this version's daemon before an operator command uses it. */
export function olderDatabaseError(dataDir: string, pending: number): SignrelayError {
  return new SignrelayError('config', 'database_old',
    `the database in ${dataDir} is from an older signrelay (${pending} upgrade${pending === 1 ? '' : 's'} to apply): restart the daemon on this version (it upgrades the database at start), then run the command again`);
}

/** The migrations this signrelay has that the database has not had yet (by file name, in order); the database is not written. */
export function pendingMigrations(db: Db): string[] {
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  return shippedMigrations().filter((file) => !applied.has(Number(file.slice(0, 4))));
}

/** Why the database does not take a write lock now (a full disk, a stuck lock), or null when it does. For health checks. */
export function writeLockProblem(db: Db): string | null {
  const err = writeLockError(db);
  return err === null ? null : err instanceof Error ? err.message : String(err);
}

/** What taking a write lock on the database failed with (SQLite's error, its code kept), or null. */
export function writeLockError(db: Db): unknown {
  try {
    db.prepare('BEGIN IMMEDIATE').run();
    db.prepare('ROLLBACK').run();
    return null;
  } catch (err) {
    return err;
  }
}

/**
 * Why the database cannot be written now — another process's write lock (after the busy
 * timeout), a full disk — as the storage failure it is, `then` saying what happens now; or
 * undefined when it takes a write lock.
 */
export function writeLockFailure(db: Db, then: string): SignrelayError | undefined {
  return storageFailure(writeLockError(db), storageContextOf(db), then);
}

/**
 * Whether another process holds the write lock of the database in `dataDir` now: tried without
 * waiting, on a connection of its own — only while the daemon has the database open (its -wal
 * and -shm files exist), so that nothing is made under another user's data dir. False when it
 * cannot be known (not this user's to open read-write).
 */
export function writeLockHeldElsewhere(dataDir: string): boolean {
  const file = join(dataDir, 'signrelay.db');
  if (!existsSync(`${file}-wal`) || !existsSync(`${file}-shm`)) return false;
  let db: Db | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 0 });
    return writeLockFailure(db, '')?.code === 'storage_busy';
  } catch {
    return false;
  } finally {
    db?.close();
  }
}
