// signrelay as a user installs it: `npm pack` builds dist/ and packs only what runs; the
// tarball installs with `npm install -g` into a fresh prefix, and the installed `signrelay`
// answers --help, runs the demo end to end, and `run` gives a clear answer about its
// configuration — all from JavaScript in dist/, without the TypeScript sources.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'signrelay-package-'));
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
let tarball: string;
let files: string[];
const signrelay = join(dir, 'prefix', 'bin', 'signrelay');
const run = (args: string[]) => spawnSync(signrelay, args, { cwd: dir, encoding: 'utf8', timeout: 240_000, env: { ...process.env, SIGNRELAY_CONFIG: '' } });

beforeAll(() => {
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], ROOT).replace(/^[^[]*/, '')) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, packed[0]!.filename);
  files = packed[0]!.files.map((f) => f.path);
  // --prefer-offline: the dependencies come from npm's cache, where the checkout's `npm ci` put
  // them, instead of asking the registry about each of ~100 packages (13 → 6 s here); what is
  // not cached is still fetched.
  npm(['install', '-g', '--prefix', join(dir, 'prefix'), '--no-audit', '--no-fund', '--prefer-offline', tarball], dir);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the installed package', () => {
  it('holds the built JavaScript and what it reads, not the sources or the tests', () => {
    expect(readdirSync(dir)).toContain(tarball.split('/').at(-1));
    expect(files).toEqual(expect.arrayContaining(['bin/signrelay.mjs', 'dist/cli.js', 'dist/pdf/pdf-worker.js', 'dist/store/migrations/0001_init.sql', 'config/signrelay.example.yaml', 'fixtures/pdf/sample-contract.pdf', 'deploy/servicenow/signrelay-update-set.xml', 'package.json', 'README.md']));
    expect(files.filter((f) => /^(src|test|bench)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
  });

  it('answers --help', () => {
    const result = run(['--help']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^usage: signrelay <command>/);
    expect(result.stdout).toContain('demo');
  });

  it('runs the demo end to end', () => {
    const result = run(['demo']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('sent for signing');
    expect(result.stdout).toMatch(/Done in [\d.]+ s\./);
  }, 300_000);

  it('`run` without a configuration says which file it looked for and what to do', () => {
    const result = run(['run', '--config', join(dir, 'missing.yaml')]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(join(dir, 'missing.yaml'));
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
