// Another process (an sqlite3 shell left at `BEGIN IMMEDIATE;`, a backup) holds signrelay.db's
// write lock for longer than status lets the daemon's report age. The daemon is not hung — its
// writes wait for the lock — and status says so, as it names a full disk, instead of "it may be
// hung", which had the operator restart a healthy daemon (operator review L1). The test plays the
// daemon: it holds the data dir's lock, its last report 60 s old.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runStatusCommand } from '../../src/commands/status.ts';
import { lockDataDir, type DataDirLock } from '../../src/store/data-dir-lock.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { writeServiceStatus } from '../../src/store/service-status.ts';
import { minimalConfigYaml, runOperator, tempDir, type TempDir } from './helpers.ts';

let dir: TempDir;
let configFile: string;
let daemonLock: DataDirLock;
let daemonDb: Database.Database;

beforeAll(async () => {
  dir = await tempDir('signrelay-status-locked-');
  const dataDir = join(dir.path, 'data');
  daemonLock = lockDataDir(dataDir);
  daemonDb = openDatabase(dataDir); // the daemon's connection, open as it runs
  const then = new Date(Date.now() - 60_000);
  writeServiceStatus(daemonDb, 'daemon', 'running', { pid: process.pid, startedAt: new Date(Date.now() - 3_600_000).toISOString(), version: '0.1.0' }, then);
  for (const w of ['requests', 'returns']) writeServiceStatus(daemonDb, w, 'idle', { heartbeatAt: then.toISOString(), reconnects: 0 }, then);
  configFile = await dir.file('signrelay.yaml', minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}}', dataDir));
});
afterAll(async () => {
  daemonDb?.close();
  daemonLock?.release();
  await dir?.remove();
});

it('a stale report with nobody holding the write lock: it may be hung', async () => {
  const r = await runOperator(runStatusCommand, [], configFile);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/✗ the daemon \(pid \d+\) has not reported for 6\d s: it may be hung; see its log/);
});

it('a stale report while another process holds the write lock: that is named, not a hang', async () => {
  const holder = new Database(join(dir.path, 'data', 'signrelay.db'));
  holder.exec('BEGIN IMMEDIATE');
  try {
    const r = await runOperator(runStatusCommand, [], configFile);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ the daemon \(pid \d+\) has not reported for 6\d s: another process holds the write lock on signrelay\.db \(an sqlite3 shell, a backup\?\) — the daemon's work waits until it is let go/);
    expect(r.stdout).not.toMatch(/hung/);
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
});
