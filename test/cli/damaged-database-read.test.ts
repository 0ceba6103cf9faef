// A damaged signrelay.db (a bad sector, a torn copy) read by the operator's read commands:
// `requests` and `show` say what it is and what to do, as `retry`, `check` and the daemon do —
// they printed "unexpected error (a bug)" with SQLite's stack trace (operator review M4).
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/open-database.ts';
import { insertRequest } from '../../src/store/requests.ts';
import { minimalConfigYaml, STACK_FRAME, tempDir, type TempDir } from './helpers.ts';
import { runInProcess } from './in-process.ts';

let dir: TempDir;
let configFile: string;
let id: string;
let dataDir: string;

beforeAll(async () => {
  dir = await tempDir('signrelay-damaged-');
  dataDir = join(dir.path, 'data');
  const db = openDatabase(dataDir);
  id = insertRequest(db, {
    token: 'tok-damaged', state: 'received', route: 'default', provider: 'secured-signing', requester: 'ann@corp.example',
    subject: 'Contract', messageId: '<damaged@corp.example>', record: null, signers: [], dueDate: '2026-12-31', documents: [],
  }, new Date());
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  // The requests table's page overwritten: the file opens, the reading of it fails.
  const file = join(dataDir, 'signrelay.db');
  const probe = new Database(file, { readonly: true });
  const { rootpage } = probe.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'requests'").get() as { rootpage: number };
  const pageSize = probe.pragma('page_size', { simple: true }) as number;
  probe.close();
  const bytes = readFileSync(file);
  bytes.fill(0x07, (rootpage - 1) * pageSize, rootpage * pageSize);
  writeFileSync(file, bytes);
  configFile = await dir.file('signrelay.yaml', minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}}', dataDir));
});
afterAll(async () => { await dir?.remove(); });

it.each([[['requests']], [['show', '<id>']], [['retry', '<id>']]])('signrelay %j names the damage and the fix, no stack trace', async (command) => {
  const r = await runInProcess([...command.map((a) => (a === '<id>' ? id : a)), '--config', configFile]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`^signrelay: storage\\.data_dir ${dataDir} holds a damaged database \\(signrelay\\.db\\): stop signrelay, and restore the file from a backup \\(docs/operations\\.md, Backup\\)`));
  expect(r.stderr).not.toMatch(/a bug/);
  expect(r.stderr).not.toMatch(STACK_FRAME);
});
