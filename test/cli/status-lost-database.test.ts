// The database moved away from a data directory a daemon ran on (its PDFs are there, or the
// credential key a first start makes): the operator commands say what the daemon says when
// it refuses to start — restore it from a backup — not that no daemon ever ran there.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRequestsCommand } from '../../src/commands/requests.ts';
import { runStatusCommand } from '../../src/commands/status.ts';
import { minimalConfigYaml, tempDir, type TempDir } from './helpers.ts';

let dir: TempDir;
const sink = () => new Writable({ write(_chunk, _e, done) { done(); } });
const io = () => ({ stdout: sink(), stderr: sink() }) as never;

beforeAll(async () => {
  dir = await tempDir('lost-db-');
});
afterAll(async () => {
  await dir?.remove();
});

describe('an operator command on a data dir whose database is gone', () => {
  it('with the PDFs of earlier requests there: says to restore the database from a backup', async () => {
    const dataDir = join(dir.path, 'with-blobs');
    mkdirSync(join(dataDir, 'blobs', 'ab'), { recursive: true });
    writeFileSync(join(dataDir, 'blobs', 'ab', `ab${'0'.repeat(62)}.pdf`), '%PDF-1.7\n');
    const config = await dir.file('blobs.yaml', minimalConfigYaml('routes: {default: {}}', dataDir));
    for (const run of [runStatusCommand, runRequestsCommand]) {
      await expect(run(['--config', config], io())).rejects.toThrow(/signrelay\.db \(in storage\.data_dir\) is missing, though the PDFs of earlier requests are in .*: restore signrelay\.db from a backup/);
    }
  });

  it('never used by a daemon: says the daemon has not run with this configuration yet', async () => {
    const config = await dir.file('fresh.yaml', minimalConfigYaml('routes: {default: {}}', join(dir.path, 'fresh')));
    await expect(runStatusCommand(['--config', config], io())).rejects.toThrow(/the daemon has not run with this configuration yet/);
  });
});
