// The commands that work without a configuration (explain, stamp) take the one an operator
// names — --config, --name (an instance's), or $SIGNRELAY_CONFIG — as every other command
// does; only when none is named do they use the example's (explain) or the schema's (stamp)
// settings. `explain MAIL --name hr` judged the mail by the example's routes (docs review M4).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES_MAIL, linesOf, REPO } from './helpers.ts';
import { runInProcess } from './in-process.ts';

const NOW = '2026-11-20T12:00:00Z';
const MAIL = join(FIXTURES_MAIL, 'gmail-hr-route.eml'); // to sign+hr@corp.example
const dir = mkdtempSync(join(tmpdir(), 'named-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The operator's own configuration: the example without its "hr" route, its own return address.
const own = join(dir, 'own.yaml');
writeFileSync(own, readFileSync(join(REPO, 'config/signrelay.example.yaml'), 'utf8')
  .replace(/\n {2}hr:\n(?: {4}.*\n)+/, '\n').replace('address: returns@corp.example', 'address: back@own.example'));
const env = (extra: NodeJS.ProcessEnv = {}) => ({ PATH: process.env.PATH, ...extra });

describe('explain', () => {
  it.each([
    ['--config', ['--config', own], env()],
    ['$SIGNRELAY_CONFIG (what --name sets)', [], env({ SIGNRELAY_CONFIG: own })],
  ])('judges by the configuration named by %s', async (_, args, environment) => {
    const r = await runInProcess(['explain', MAIL, ...args], { now: NOW, env: environment });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).reason).toMatch(/there is no route "hr"/);
  });

  it('without one, by the example\'s (which has the hr route)', async () => {
    const r = await runInProcess(['explain', MAIL], { now: NOW, env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).reason).not.toMatch(/there is no route/);
  });

  it('--name of an instance that does not exist is refused, as by every other command', async () => {
    const r = await runInProcess(['explain', MAIL, '--name', 'nosuchinstance'], { now: NOW, env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read the configuration \/etc\/signrelay\/nosuchinstance\.yaml/);
  });
});

describe('stamp', () => {
  it('stamps with the return address of the configuration $SIGNRELAY_CONFIG names', async () => {
    const out = join(dir, 'stamped.pdf');
    const r = await runInProcess(['stamp', join(REPO, 'fixtures/pdf/sample-contract.pdf'), '-o', out, '--signer', 'Ann Lee <ann.lee@corp.example>'], { env: env({ SIGNRELAY_CONFIG: own }) });
    expect(r.code, r.stderr).toBe(0);
    expect(linesOf(r.stdout).find((l) => l.startsWith('tag: [!Recipient'))).toMatch(/back\+[a-z2-7]{20}@own\.example\]$/);
  });
});
