// The storage item of `signrelay check`: the data directory exists (or can be created),
// belongs to us and is writable, and the database in it (if any) takes a write lock.
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataDirProblem, writeLockError } from '../store/open-database.ts';
import { isLockBusy, storageProblemCode } from '../store/storage-failure.ts';
import type { CheckItem } from './checklist.ts';
import { serviceUnit } from '../service-unit.ts';

/** `keepsTokens`: the provider's check keeps the OAuth token it renews in the data dir, making it now if it is missing. */
export function storageCheckItem(dataDir: string, keepsTokens = false): CheckItem {
  return {
    title: 'data directory',
    async run() {
      const setting = 'storage.data_dir';
      if (!existsSync(dataDir)) {
        // The directory that would hold it: the nearest one that exists (its parents may not yet).
        let parent = dirname(dataDir);
        while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
        const missing = parent === dirname(dataDir) ? '' : ' (and the directories above it, mode 0755)';
        try {
          accessSync(parent, constants.W_OK | constants.X_OK);
          const now = keepsTokens
            ? `; the Secured Signing check below makes it now, to keep the OAuth token it renews — as uid ${process.getuid?.() ?? '?'}: run check as the service's user, or let ${serviceUnit()}.service's StateDirectory= give it to that user at start`
            : '';
          return { ok: true, detail: `${dataDir} does not exist yet; signrelay creates it (mode 0700)${missing} at start${now}` };
        } catch {
          return { ok: false, detail: `${dataDir} does not exist and ${parent}, where it would be made, is not writable by this user`, fix: `create ${dataDir} owned by the signrelay user (the systemd unit's StateDirectory= does), or change ${setting}` };
        }
      }
      try {
        accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
      } catch (err) {
        // The same words the daemon and the operator commands use, with the fix for the cause.
        return { ok: false, detail: dataDirProblem(dataDir, err) };
      }
      const mode = statSync(dataDir).mode & 0o777;
      const file = join(dataDir, 'signrelay.db');
      const blobs = join(dataDir, 'blobs');
      try {
        if (existsSync(blobs)) accessSync(blobs, constants.W_OK | constants.X_OK);
      } catch {
        // A command run as root before the files were given back (store/blobs.ts does now).
        return { ok: false, detail: `${blobs} is not writable by this user: PDFs cannot be stored`, fix: `give it back to the signrelay user: chown -R signrelay: ${dataDir}` };
      }
      if (existsSync(file)) {
        let failure: unknown = null;
        let damage: string | null = null;
        try {
          const db = new Database(file, { fileMustExist: true, timeout: 5_000 });
          try {
            failure = writeLockError(db);
            // A damaged page is found here, not by the first request mail that meets it.
            if (failure === null) {
              const found = String(db.pragma('quick_check(3)', { simple: true }));
              if (found !== 'ok') damage = found;
            }
          } finally {
            db.close();
          }
        } catch (err) {
          failure = err;
        }
        if (damage !== null || storageProblemCode(failure) === 'storage_damaged') {
          return { ok: false, detail: `the database ${file} is damaged (${damage ?? (failure instanceof Error ? failure.message : String(failure))})`, fix: `stop signrelay and restore ${file} from a backup (docs/operations.md, Backup)` };
        }
        if (failure !== null) {
          // By SQLite's code, as the daemon tells storage failures apart (storage-failure.ts).
          const fix = isLockBusy(failure)
            ? 'another process holds a write lock on it (a backup, an sqlite3 shell?): let it finish, then check again'
            : 'check the disk space and the file\'s owner (the signrelay user)';
          return { ok: false, detail: `the database ${file} cannot be written: ${failure instanceof Error ? failure.message : String(failure)}`, fix };
        }
      }
      return {
        ok: true,
        detail: `${dataDir} is writable${mode === 0o700 ? '' : ` (mode ${mode.toString(8)}; signrelay sets 0700 at start)`}${existsSync(file) ? ', database writable' : ', no database yet'}`,
      };
    },
  };
}
