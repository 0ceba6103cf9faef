// A configuration the daemon would refuse — a typo in a route, just after a reload was refused
// for it — stopped `status`, `requests` and `show`, which need only the data dir (operator
// review L6): the moment the operator asks how the daemon is. They now read the data dir the
// file names and say on stderr that the file has problems; a problem in what they need
// (storage, limits, credentials) still stops them with the whole list.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRequestsCommand } from '../../src/commands/requests.ts';
import { runShowCommand } from '../../src/commands/show.ts';
import { runStatusCommand } from '../../src/commands/status.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { minimalConfigYaml, tempDir, type TempDir } from './helpers.ts';

let dir: TempDir;
let dataDir: string;
beforeAll(async () => {
  dir = await tempDir('reading-invalid-');
  dataDir = join(dir.path, 'data');
  openDatabase(dataDir).close();
});
afterAll(async () => {
  await dir?.remove();
});

function capture() {
  const out = { stdout: '', stderr: '' };
  const stream = (key: 'stdout' | 'stderr') => new Writable({ write(chunk, _e, done) { out[key] += String(chunk); done(); } });
  return { out, io: { stdout: stream('stdout'), stderr: stream('stderr') } as never };
}

describe('the reading commands on a configuration with a typo outside what they read', () => {
  let config: string;
  beforeAll(async () => {
    config = await dir.file('typo.yaml', minimalConfigYaml('routes: {default: {sigers: []}}', dataDir));
  });

  it('status reads the data dir and says the file has problems, not which daemon state it made up', async () => {
    const { out, io } = capture();
    await runStatusCommand(['--config', config], io);
    expect(out.stdout).toContain('daemon:    not running');
    expect(out.stderr).toBe(`signrelay: ${config} has a problem; the daemon refuses to start or reload with it (\`signrelay check\` names them). Read from the data dir it names, ${dataDir}\n`);
  });

  it('requests and show read it too', async () => {
    const requests = capture();
    expect(await runRequestsCommand(['--config', config], requests.io)).toBe(0);
    expect(requests.out.stderr).toContain('has a problem; the daemon refuses to start or reload with it');
    await expect(runShowCommand(['--config', config, 'nosuchrequest'], capture().io)).rejects.toThrow(/nosuchrequest/);
  });
});

describe('a problem in what they read', () => {
  it('stops them with the whole list, as before', async () => {
    const config = await dir.file('bad-storage.yaml', minimalConfigYaml('routes: {default: {sigers: []}}', dataDir).replace(`data_dir: ${dataDir}`, `data_dirr: ${dataDir}`));
    await expect(runStatusCommand(['--config', config], capture().io)).rejects.toThrow(/has 2 problems:[\s\S]*routes\.default[\s\S]*storage/);
  });
});
