// `retry` and `cancel` while another process holds a write lock on the daemon's database (a
// backup, an sqlite3 shell): what is wrong and that nothing was changed — not "a bug" with a
// stack trace. Each waits the database's busy timeout (5 s) before it gives up.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/open-database.ts';
import { minimalConfigYaml, STACK_FRAME, tempDir, type TempDir } from './helpers.ts';
import { runInProcess } from './in-process.ts';

let dir: TempDir;
let configFile: string;
let holder: Database.Database;

beforeAll(async () => {
  dir = await tempDir('signrelay-locked-');
  const dataDir = join(dir.path, 'data');
  openDatabase(dataDir).close();
  configFile = await dir.file('signrelay.yaml', minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}}', dataDir));
  holder = new Database(join(dataDir, 'signrelay.db'));
  holder.exec('BEGIN EXCLUSIVE');
});
afterAll(async () => {
  holder?.close();
  await dir?.remove();
});

it.each([['retry'], ['cancel']])('%s: the lock named, nothing changed, no stack trace', async (command) => {
  const r = await runInProcess([command, 'r_000000000001', '--config', configFile]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^signrelay: storage\.data_dir \S+ is locked: another process held a write lock on signrelay\.db .*\(a second signrelay, a backup, an sqlite3 shell\?\) \(SQLITE_BUSY: database is locked\)\. Nothing was changed: run the command again once that is fixed\.\n$/);
  expect(r.stderr).not.toMatch(STACK_FRAME);
});
