// One daemon per data directory, held by the operating system's lock: refused while another
// process holds it (named by its pid), free the moment that process ends however it ends,
// never held by two processes that start together after a crash left a pid file behind.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wakeDaemon } from '../../src/service/wake-daemon.ts';
import { lockDataDir, lockHolder } from '../../src/store/data-dir-lock.ts';
import { waitFor } from '../support/wait-for.ts';

const LOCK_MODULE = join(import.meta.dirname, '../../src/store/data-dir-lock.ts');
const NOBODY = 65534;

/** A process (its command line says signrelay) that takes the lock when `goAt` comes, says whether it got it, and holds it until killed. */
function holder(dir: string, goAt = 0) {
  const script = `
    const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
    while (Date.now() < ${goAt}) {}
    try { lockDataDir(${JSON.stringify(dir)}); console.log('got'); } catch (err) { console.log('refused: ' + err.message); }
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, 'signrelay', 'run'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const said = new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  const end = async (signal: NodeJS.Signals = 'SIGTERM') => {
    child.kill(signal);
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  };
  return { child, said, end };
}

const pidInFile = (dir: string) => Number(readFileSync(join(dir, 'signrelay.pid'), 'utf8').trim().split(' ')[0]);

describe('the data directory lock', () => {
  it('is refused while another process holds it, naming it, and free once that process is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    const other = holder(dir);
    try {
      expect(await other.said).toBe('got');
      expect(lockHolder(dir)).toBe(other.child.pid);
      expect(() => lockDataDir(dir)).toThrow(`another signrelay (pid ${other.child.pid}) is using storage.data_dir ${dir}: stop it first`);
    } finally {
      await other.end('SIGKILL'); // a crash: its pid file stays behind
    }
    expect(pidInFile(dir)).toBe(other.child.pid);
    expect(lockHolder(dir)).toBeUndefined();
    const lock = lockDataDir(dir);
    expect(pidInFile(dir)).toBe(process.pid);
    expect(lockHolder(dir)).toBe(process.pid); // named by its pid and the lock file it has open, whatever its command line
    // The pid alone, as a signrelay of the pid-file days reads it: one started by mistake beside this one sees it running.
    expect(Number(readFileSync(join(dir, 'signrelay.pid'), 'utf8').trim())).toBe(process.pid);
    lock.release();
    expect(existsSync(join(dir, 'signrelay.pid'))).toBe(false);
    lockDataDir(dir).release(); // taken again after a release, in the same process (a reload)
  });

  it('is held by exactly one of several processes starting together after a crash left its pid file', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'sr-lock-race-'));
      writeFileSync(join(dir, 'signrelay.pid'), '999999\n'); // a crashed daemon's
      const goAt = Date.now() + 500;
      const racers = [holder(dir, goAt), holder(dir, goAt), holder(dir, goAt)];
      try {
        const said = await Promise.all(racers.map((r) => r.said));
        expect(said.filter((s) => s === 'got')).toHaveLength(1);
        expect(said.filter((s) => s.startsWith('refused: another signrelay'))).toHaveLength(2);
      } finally {
        await Promise.all(racers.map((r) => r.end()));
      }
    }
  });

  it('is not refused by another start\'s passing hold on the lock file (two starts at once must not refuse each other)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    lockDataDir(dir).release(); // the lock file exists
    // What another starting process holds for a moment on its way to the exclusive lock: SQLite's shared lock.
    const script = `
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(${JSON.stringify(join(dir, 'signrelay.lock'))});
      db.pragma('locking_mode = EXCLUSIVE');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      console.log('shared');
      setTimeout(() => { db.close(); console.log('let go'); }, 100);
      setTimeout(() => {}, 1000);`;
    const other = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: join(import.meta.dirname, '../..') });
    try {
      await new Promise((resolve) => other.stdout.once('data', resolve));
      const lock = lockDataDir(dir);
      expect(pidInFile(dir)).toBe(process.pid);
      lock.release();
    } finally {
      other.kill();
      await new Promise((r) => other.once('exit', r));
    }
  });

  it('is refused while a signrelay of the pid-file days still runs (an upgrade): its pid file is its lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    // A daemon of those days: signrelay by its command line, this data dir's database open.
    const database = join(dir, 'signrelay.db');
    writeFileSync(database, '');
    const older = spawn(process.execPath, ['-e', `require('fs').openSync(${JSON.stringify(database)}, 'r'); console.log('open'); setTimeout(() => {}, 30000)`, 'signrelay', 'run'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => older.stdout!.once('data', resolve));
    try {
      writeFileSync(join(dir, 'signrelay.pid'), `${older.pid}\n`);
      expect(lockHolder(dir)).toBe(older.pid);
      expect(() => lockDataDir(dir)).toThrow(`another signrelay (pid ${older.pid}) is using storage.data_dir ${dir}: stop it first`);
      // The same data dir reached through a symlink is the same database.
      const link = join(mkdtempSync(join(tmpdir(), 'sr-link-')), 'data');
      symlinkSync(dir, link);
      expect(lockHolder(link)).toBe(older.pid);
      expect(() => lockDataDir(link)).toThrow(`another signrelay (pid ${older.pid}) is using storage.data_dir ${link}: stop it first`);
    } finally {
      older.kill();
      await new Promise((r) => older.once('exit', r));
    }
    lockDataDir(dir).release(); // and taken once it ended
  });

  it('takes a pid file of those days naming a signrelay process without this database open for a reused pid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    const worker = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'signrelay', 'pdf-worker']);
    const exit = new Promise<NodeJS.Signals | null>((resolve) => worker.once('exit', (_code, signal) => resolve(signal)));
    try {
      writeFileSync(join(dir, 'signrelay.pid'), `${worker.pid}\n`); // left by a daemon of those days, SIGKILLed
      expect(lockHolder(dir)).toBeUndefined();
      expect(wakeDaemon(dir)).toBeUndefined();
      lockDataDir(dir).release();
      expect(worker.exitCode).toBeNull();
    } finally {
      worker.kill();
      expect(await exit).toBe('SIGTERM');
    }
  });

  it('that cannot be taken says why, with the fix, not a stack trace; a data dir not made yet is made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    mkdirSync(join(dir, 'signrelay.lock')); // not a file
    expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ kind: 'config', code: 'data_dir_unwritable', message: expect.stringMatching(/^cannot take the lock .*signrelay\.lock: storage\.data_dir .* cannot be created or used \(SQLITE_CANTOPEN\)/) }));
    const fresh = join(dir, 'not', 'made', 'yet');
    lockDataDir(fresh).release();
    expect(existsSync(join(fresh, 'signrelay.lock'))).toBe(true);
  });

  it('is not blocked by a pid file naming a live process that is not signrelay (a pid reused after a reboot)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    const unrelated = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(join(dir, 'signrelay.pid'), `${unrelated.pid}\n`);
      expect(lockHolder(dir)).toBeUndefined();
      const lock = lockDataDir(dir);
      expect(pidInFile(dir)).toBe(process.pid);
      lock.release();
    } finally {
      unrelated.kill();
      await new Promise((r) => unrelated.once('exit', r));
    }
  });
  it('after a crash, is not blocked by its pid reused by another signrelay process, which is not woken either', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    const crashed = holder(dir);
    expect(await crashed.said).toBe('got');
    await crashed.end('SIGKILL');
    // Its pid now belongs to another instance's PDF worker, say: what the pid file says then.
    const unrelated = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'signrelay', 'pdf-worker']);
    const exit = new Promise<NodeJS.Signals | null>((resolve) => unrelated.once('exit', (_code, signal) => resolve(signal)));
    try {
      writeFileSync(join(dir, 'signrelay.pid'), `${unrelated.pid}\n`);
      expect(lockHolder(dir)).toBeUndefined();
      expect(wakeDaemon(dir)).toBeUndefined(); // no SIGUSR2 to it, and `retry` does not claim a daemon
      const lock = lockDataDir(dir);
      expect(pidInFile(dir)).toBe(process.pid);
      lock.release();
      expect(unrelated.exitCode).toBeNull();
    } finally {
      unrelated.kill();
      expect(await exit).toBe('SIGTERM');
    }
  });
});

describe('the data directory lock and a pid file of the builds of 2026-12-05 ("PID STARTTIME")', () => {
  it('names its holder by the first field, and the holder by the lock it has open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    const other = holder(dir);
    try {
      expect(await other.said).toBe('got');
      writeFileSync(join(dir, 'signrelay.pid'), `${other.child.pid} 123456\n`);
      expect(lockHolder(dir)).toBe(other.child.pid);
    } finally {
      await other.end('SIGKILL');
    }
    expect(lockHolder(dir)).toBeUndefined();
  });
});

describe('the data directory lock seen by root that may not look into the daemon (a container\'s root, without CAP_SYS_PTRACE)', () => {
  const ROOT = process.getuid?.() === 0;
  it(ROOT ? 'still names the daemon of the service\'s user, by its lock, and wakes it' : 'names the holder (as root, also one that may not be looked into)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    let node = process.execPath;
    if (ROOT) {
      chownSync(dir, NOBODY, NOBODY);
      // A Node binary `nobody` may run (the one here may sit in root's 0700 home).
      node = join(mkdtempSync(join(tmpdir(), 'sr-node-')), 'node');
      try {
        linkSync(process.execPath, node);
      } catch {
        copyFileSync(process.execPath, node);
      }
      chmodSync(dirname(node), 0o755);
    }
    const script = `
      const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
      lockDataDir(${JSON.stringify(dir)});
      process.on('SIGUSR2', () => console.log('woken'));
      console.log('got');
      setInterval(() => {}, 1000);`;
    const daemon = ROOT
      ? spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', node, '--input-type=module', '-e', script, 'signrelay', 'run'], { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(node, ['--input-type=module', '-e', script, 'signrelay', 'run'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    daemon.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
    try {
      await waitFor(() => lines.includes('got'), { what: 'the lock taken' });
      const pid = pidInFile(dir);
      const reader = ROOT ? ['setpriv', '--bounding-set=-sys_ptrace', '--inh-caps=-sys_ptrace', process.execPath] : [process.execPath];
      const seen = spawnSync(reader[0]!, [...reader.slice(1), '--input-type=module', '-e', `
        const { lockHolder } = await import(${JSON.stringify(LOCK_MODULE)});
        const { wakeDaemon } = await import(${JSON.stringify(join(import.meta.dirname, '../../src/service/wake-daemon.ts'))});
        console.log(JSON.stringify({ holder: lockHolder(${JSON.stringify(dir)}) ?? null, woke: wakeDaemon(${JSON.stringify(dir)}) ?? null }));`], { encoding: 'utf8' });
      expect(seen.stderr).toBe('');
      expect(JSON.parse(seen.stdout)).toEqual({ holder: pid, woke: pid });
      await waitFor(() => lines.includes('woken'), { what: 'the SIGUSR2 wake-up received' });
    } finally {
      daemon.kill('SIGKILL');
      await new Promise((r) => daemon.once('exit', r));
    }
    // Gone: its lock let go with it, it is named no more.
    expect(spawnSync(process.execPath, ['--input-type=module', '-e', `const { lockHolder } = await import(${JSON.stringify(LOCK_MODULE)}); console.log(String(lockHolder(${JSON.stringify(dir)})));`], { encoding: 'utf8' }).stdout.trim()).toBe('undefined');
  });
});

describe('the data directory lock on a full disk', () => {
  it('is taken though its pid file cannot be written, with a warning saying the disk is full; a read-only disk still refuses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    const refuse = (code: string) => () => {
      throw Object.assign(new Error(`${code}: no`), { code });
    };
    const lock = lockDataDir(dir, { writeFile: refuse('ENOSPC') });
    expect(lock.warning).toBe(`${join(dir, 'signrelay.pid')} could not be written: storage.data_dir ${dir} is full (ENOSPC): free space on its filesystem; signrelay runs, and its work waits for space`);
    expect(() => lockDataDir(dir)).toThrow(/another signrelay .*is using storage\.data_dir/); // the lock holds all the same
    lock.release();
    expect(() => lockDataDir(dir, { writeFile: refuse('EROFS') })).toThrow(/cannot write .*signrelay\.pid: storage\.data_dir .* is on a read-only file system/);
    lockDataDir(dir).release(); // let go after the refusal
  });

  it('kept across a start that waited for space, writes its pid file once there is room — and never lets go of the lock trying (diff review 16)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-lock-'));
    let refused: string | undefined = 'ENOSPC';
    const writeFile: typeof writeFileSync = (...args) => {
      if (refused) throw Object.assign(new Error(`${refused}: no`), { code: refused });
      return writeFileSync(...args);
    };
    const lock = lockDataDir(dir, { writeFile });
    expect(lock.warning).toMatch(/signrelay\.pid could not be written: .* is full \(ENOSPC\)/);
    expect(lockHolder(dir)).toBeUndefined(); // no pid file: nobody named
    // Still no room, or another failure now: the warning stands, the lock is held.
    lock.writePidFileAgain!();
    refused = 'EROFS';
    lock.writePidFileAgain!();
    expect(lock.warning).toMatch(/signrelay\.pid could not be written: .* read-only file system/);
    expect(() => lockDataDir(dir)).toThrow(/another signrelay .*is using storage\.data_dir/);
    // Room again: written, named, the warning gone.
    refused = undefined;
    lock.writePidFileAgain!();
    expect(lock.warning).toBeUndefined();
    expect(lockHolder(dir)).toBe(process.pid);
    lock.release();
    expect(existsSync(join(dir, 'signrelay.pid'))).toBe(false);
  });
});
