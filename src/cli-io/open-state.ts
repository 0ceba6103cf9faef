// Opens the daemon's database for the operator commands (`status`, `requests`, `show`),
// which run beside the daemon as another process. Only storage.data_dir is needed, so
// secrets are not resolved (an operator's shell lacks the service's credentials). Reads
// open the database read-only; a missing or unreadable one gets a message with the fix.
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { configPath } from '../config/config-path.ts';
import { loadConfigFile, loadReadingConfig, type ReadingConfig } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';
import { isSignrelayError, SignrelayError } from '../errors.ts';
import { dataDirProblem, olderDatabaseError, openDatabase, pendingMigrations, refuseLostDatabase, type Db } from '../store/open-database.ts';
import { storageContextOf, storageFailure } from '../store/storage-failure.ts';
import { operatorCommand } from '../service-unit.ts';

export function loadOperatorConfig(flag: string | undefined): Config {
  return loadConfigFile(configPath(flag), { requireSecrets: false });
}

/**
 * The configuration of a command that only reads (status, requests, show): a configuration
 * the daemon would refuse still names the data dir, and the operator is told, on stderr, that
 * it has problems — a reload refused for a typo is when `status` is asked how the daemon is.
 */
export function loadReadingOperatorConfig(flag: string | undefined, stderr: { write(text: string): unknown }): ReadingConfig {
  const path = configPath(flag);
  const { config, problems } = loadReadingConfig(path);
  if (problems) {
    const what = problems.message.split('\n')[0]!.replace(/:$/, '');
    stderr.write(`signrelay: ${what}; the daemon refuses to start or reload with it (\`${operatorCommand('check')}\` names them). Read from the data dir it names, ${config.storage.data_dir}\n`);
  }
  return config;
}

/**
 * The daemon's database file, which must exist: an operator command never makes one (a
 * `retry` with the wrong --config made an empty data directory and said "no request").
 */
function existingDatabase(config: Pick<Config, 'storage'>): string {
  const dataDir = config.storage.data_dir;
  const file = join(dataDir, 'signrelay.db');
  // A data directory this user may not enter (or one under a directory it may not enter) hides
  // the database: that is the wrong user, not no database.
  try {
    accessSync(dataDir, constants.X_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SignrelayError('config', 'database_unreadable', dataDirProblem(dataDir, err), { cause: err });
  }
  // Lost (moved away, deleted) after a daemon ran here, not never made: say so, as the daemon does.
  refuseLostDatabase(dataDir, file);
  if (!existsSync(file)) {
    throw new SignrelayError('config', 'no_database',
      `there is no signrelay database in storage.data_dir ${dataDir}: the daemon has not run with this configuration yet (start it, or pass the --config it runs with)`);
  }
  return file;
}

/** The daemon's database for a command that writes to it (`retry`, `cancel`): the one the daemon made, never a new one. */
export function openStateForWrite(config: Config): Db {
  existingDatabase(config);
  return openDatabase(config.storage.data_dir, { upgrade: false });
}

/**
 * An operator command's change to the daemon's database, in one immediate transaction. A
 * database locked by another process (a backup, an sqlite3 shell), a full disk or an I/O
 * error is told as what it is, with nothing changed — not as a bug with a stack trace.
 */
export function changeState<T>(config: Config, change: (db: Db) => T): T {
  const db = openStateForWrite(config);
  try {
    return db.transaction(() => change(db)).immediate();
  } catch (err) {
    throw storageFailure(err, storageContextOf(db), 'Nothing was changed: run the command again once that is fixed.') ?? err;
  } finally {
    db.close();
  }
}

/**
 * An operator command's reading of the daemon's database (status, requests, show): a database
 * that fails under the reading itself — a damaged page, an I/O error — is told as what it is,
 * with the fix, as the daemon and `retry` tell it; not as a bug with SQLite's stack trace.
 */
export function readState<T>(config: Pick<Config, 'storage'>, read: (db: Db) => T): T {
  const db = openStateReadOnly(config);
  try {
    return read(db);
  } catch (err) {
    throw storageFailure(err, storageContextOf(db), '') ?? err;
  } finally {
    db.close();
  }
}

export function openStateReadOnly(config: Pick<Config, 'storage'>): Db {
  const dataDir = config.storage.data_dir;
  const file = existingDatabase(config);
  let db: Db | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.prepare('SELECT 1 FROM service_status LIMIT 1').get();
    // Read with this version's queries, a database of an older one fails on a missing column.
    const pending = pendingMigrations(db);
    if (pending.length > 0) throw olderDatabaseError(dataDir, pending.length);
    return db;
  } catch (err) {
    db?.close();
    if (isSignrelayError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'SQLITE_CANTOPEN' || code === 'EACCES' || /permission|readonly/i.test((err as Error).message)) {
      throw new SignrelayError('config', 'database_unreadable',
        `cannot read ${file}: run the command as the service's user (e.g. sudo -u signrelay signrelay …)`, { cause: err });
    }
    if (/no such table/.test((err as Error).message)) {
      throw new SignrelayError('config', 'database_old',
        `the database in ${dataDir} is from an older signrelay: start the daemon once (it upgrades the database), then try again`, { cause: err });
    }
    throw new SignrelayError('config', 'database_unusable', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
