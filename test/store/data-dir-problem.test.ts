// What an operator is told when the data directory cannot be used: the fix that goes with the
// cause — the wrong user (the usual mistake: `signrelay status` without sudo -u signrelay), a
// read-only file system (a data_dir outside the unit's StateDirectory under ProtectSystem=
// strict), a file where a directory should be — not "create it" for all of them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isSignrelayError } from '../../src/errors.ts';
import { openStateForWrite, openStateReadOnly } from '../../src/cli-io/open-state.ts';
import type { Config } from '../../src/config/schema.ts';
import { dataDirProblem, openDatabase } from '../../src/store/open-database.ts';
import { NEWEST_SCHEMA, schemaOf, writeOlderDatabase } from '../support/older-database.ts';

const dir = mkdtempSync(join(tmpdir(), 'signrelay-datadir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const error = (code: string) => Object.assign(new Error(code), { code });
/** What `open` throws (undefined: nothing). */
function thrown(open: () => unknown): unknown {
  try {
    open();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('dataDirProblem', () => {
  it('the wrong user: run it as the service\'s user, with both uids', () => {
    expect(dataDirProblem(dir, error('EACCES'))).toBe(`storage.data_dir ${dir} cannot be used by this user (EACCES) (it belongs to uid ${process.getuid!()}; this is uid ${process.getuid!()}): run the command as the service's user (e.g. sudo -u signrelay signrelay …), or give this user the directory`);
    expect(dataDirProblem(join(dir, 'absent'), error('EPERM'))).toMatch(/cannot be used by this user \(EPERM\): run the command as the service's user/);
  });

  it('a full disk (a start, or a restart, with no space left): free space, not "create it"', () => {
    expect(dataDirProblem('/srv/signrelay', error('ENOSPC'))).toBe('storage.data_dir /srv/signrelay is full (ENOSPC): free space on its filesystem');
  });

  it('a read-only file system: the unit\'s writable directory, or ReadWritePaths=', () => {
    expect(dataDirProblem('/srv/signrelay', error('EROFS'))).toBe('storage.data_dir /srv/signrelay is on a read-only file system (EROFS): under signrelay.service only /var/lib/signrelay is writable (ProtectSystem=strict) — use it, or add ReadWritePaths=/srv/signrelay to the unit');
  });

  // Node's recursive mkdir says ENOENT for a read-only file system, and "create it" was the
  // advice (operator review L4). A real read-only mount, in a mount namespace of its own
  // (unshare: no change to the machine; a user namespace maps this user to root in it).
  it('a data dir to be made on a read-only file system is told as one, as openDatabase meets it', () => {
    const mount = join(dir, 'read-only');
    mkdirSync(mount);
    const dataDir = join(mount, 'signrelay', 'data');
    const script = `import('${pathToFileURL(join(process.cwd(), 'src/store/open-database.ts')).href}').then((m) => { ` +
      `try { m.openDatabase(${JSON.stringify(dataDir)}); console.log('opened'); } catch (e) { console.log(e.message); } })`;
    const answer = spawnSync('unshare', ['--map-root-user', '--mount', 'sh', '-c', `mount -t tmpfs -o ro tmpfs "$1" && exec "$2" -e "$3"`, 'sh', mount, process.execPath, script], { encoding: 'utf8' });
    expect(answer.stderr).toBe('');
    expect(answer.stdout.trim()).toBe(`storage.data_dir ${dataDir} is on a read-only file system (EROFS): under signrelay.service only /var/lib/signrelay is writable (ProtectSystem=strict) — use it, or add ReadWritePaths=${dataDir} to the unit`);
    expect(readdirSync(mount)).toEqual([]);
  });

  it('a data dir that is a symlink to a directory not there (a disk not mounted): not told as a file (diff review 18 L2)', () => {
    const dataDir = join(dir, 'symlinked');
    symlinkSync(join(dir, 'mnt', 'data'), dataDir);
    expect(dataDirProblem(dataDir, error('ENOENT'))).toBe(`storage.data_dir ${dataDir} cannot be created or used (ENOENT): create it and give the signrelay user write access`);
  });

  it('a file where the directory should be, as openDatabase meets it', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    for (const dataDir of [file, join(file, 'data')]) {
      const err = thrown(() => openDatabase(dataDir));
      expect(isSignrelayError(err) && err.code).toBe('data_dir_unwritable');
      expect((err as Error).message).toMatch(new RegExp(`^storage\\.data_dir ${dataDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is, or lies under, a file, not a directory \\((ENOTDIR|EEXIST)\\): name a directory$`));
    }
  });

  it('a data directory that is itself a file, whatever error the call gave (access() says EACCES, mkdir() EEXIST)', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    for (const code of ['EACCES', 'EEXIST']) expect(dataDirProblem(file, error(code))).toBe(`storage.data_dir ${file} is, or lies under, a file, not a directory (ENOTDIR): name a directory`);
    const config = { storage: { data_dir: file } } as Config;
    for (const open of [openStateReadOnly, openStateForWrite]) expect((thrown(() => open(config)) as Error).message).toBe(dataDirProblem(file, error('EACCES')));
  });

  it('is what operator commands say too, not "no database", when the data directory cannot be reached', () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const config = { storage: { data_dir: join(file, 'data') } } as Config;
    for (const open of [openStateReadOnly, openStateForWrite]) {
      const err = thrown(() => open(config));
      expect(isSignrelayError(err) && err.code).toBe('database_unreadable');
      expect((err as Error).message).toBe(`storage.data_dir ${join(file, 'data')} is, or lies under, a file, not a directory (ENOTDIR): name a directory`);
    }
  });
});

describe('a database from an older signrelay (the daemon not yet restarted after an upgrade)', () => {
  it('is told to the operator commands that read it, with the fix, not as a missing column', () => {
    const dataDir = join(dir, 'older');
    openDatabase(dataDir).close();
    const db = openDatabase(dataDir);
    db.prepare('DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)').run();
    db.close();
    const err = thrown(() => openStateReadOnly({ storage: { data_dir: dataDir } } as Config));
    expect(isSignrelayError(err) && err.code).toBe('database_old');
    expect((err as Error).message).toBe(`the database in ${dataDir} is from an older signrelay (1 upgrade to apply): restart the daemon on this version (it upgrades the database at start), then run the command again`);
  });
});

describe('a database from an older signrelay, and the operator commands that write', () => {
  it('is not upgraded by them (the old daemon may still run on it): refused with the fix, its schema left as it was', () => {
    const dataDir = join(dir, 'older-for-write');
    const file = join(dataDir, 'signrelay.db');
    writeOlderDatabase(file);
    for (const open of [() => openStateForWrite({ storage: { data_dir: dataDir } } as Config), () => openDatabase(dataDir, { upgrade: false })]) {
      const err = thrown(open);
      expect(isSignrelayError(err) && err.code).toBe('database_old');
      expect((err as Error).message).toMatch(/restart the daemon on this version \(it upgrades the database at start\), then run the command again$/);
    }
    expect(schemaOf(file)).toBe(NEWEST_SCHEMA - 1);
    // The daemon's start upgrades it; a new database is made whole by anyone.
    openDatabase(dataDir).close();
    expect(schemaOf(file)).toBe(NEWEST_SCHEMA);
    openDatabase(join(dir, 'new-for-write'), { upgrade: false }).close();
    expect(schemaOf(join(dir, 'new-for-write', 'signrelay.db'))).toBe(NEWEST_SCHEMA);
  });
});

describe('a data directory that lost its database', () => {
  it('is refused at open when a daemon ran there, not given an empty database; a first start is not', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'signrelay-first-'));
    openDatabase(fresh).close(); // a first start: nothing there yet
    const ran = mkdtempSync(join(tmpdir(), 'signrelay-ran-'));
    writeFileSync(join(ran, 'credential-fingerprint.key'), Buffer.alloc(32)); // made by a daemon's first start, after its database
    expect(() => openDatabase(ran)).toThrow(expect.objectContaining({
      code: 'database_missing',
      message: `the database ${join(ran, 'signrelay.db')} (in storage.data_dir) is missing, though ${join(ran, 'credential-fingerprint.key')} shows a signrelay ran here: restore signrelay.db from a backup (to start afresh on purpose, move the blobs directory, credential-fingerprint.key and history-mark.json away first)`,
    }));
    expect(existsSync(join(ran, 'signrelay.db'))).toBe(false);
  });
});
