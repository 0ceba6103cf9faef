// A command whose reader went away (`signrelay requests | head -1`, `check | grep -q ✗`) drops
// the rest of its output and exits with its own code: it died of an uncaught EPIPE with Node's
// stack trace and exit 1 — also `--version`, a healthy `status`, and a `retry` that had done
// its work (operator review M1). The daemon's log pipe breaking is said once, not for every
// line lost (L5).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/open-database.ts';
import { bareEnv, CLI, minimalConfigYaml, REPO, STACK_FRAME, tempDir, type TempDir } from './helpers.ts';

let dir: TempDir;
let configFile: string;

beforeAll(async () => {
  dir = await tempDir('signrelay-closed-pipe-');
  const dataDir = join(dir.path, 'data');
  openDatabase(dataDir).close();
  configFile = await dir.file('signrelay.yaml', minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}}', dataDir));
});
afterAll(async () => { await dir?.remove(); });

/** `COMMAND | true`: the reader is gone before the command writes; its own exit code. */
function intoClosedPipe(command: string[]) {
  const quoted = command.map((a) => `'${a}'`).join(' ');
  const r = spawnSync('bash', ['--norc', '-c', `${quoted} | true; exit \${PIPESTATUS[0]}`], { cwd: REPO, env: bareEnv(), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stderr: r.stderr };
}

it.each([
  [['--version'], 0],
  [['--help'], 0],
  [['requests', '--config', '<config>'], 0],
  [['status', '--config', '<config>'], 1], // not running: unhealthy, as it says — not a crash
])('signrelay %j | true: its own exit code, no stack trace', (args, code) => {
  const r = intoClosedPipe([process.execPath, CLI, ...args.map((a) => (a === '<config>' ? configFile : a))]);
  expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.code).toBe(code);
});

it('an output that fails otherwise (a full disk under > FILE): said once, exit 1 — the output is incomplete', () => {
  const quoted = [process.execPath, CLI, '--help'].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('bash', ['--norc', '-c', `${quoted} > /dev/full`], { cwd: REPO, env: bareEnv(), encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('signrelay: the output cannot be written (ENOSPC): it is incomplete\n');
  expect(r.status).toBe(1);
});

it('a log on a pipe that broke: said once, however many lines are lost', () => {
  const script = join(dir.path, 'log20.ts');
  writeFileSync(script, `
import { createLogger } from '${join(REPO, 'src/log.ts')}';
const logger = createLogger({ level: 'info', format: 'json', secrets: [] });
let n = 0;
const t = setInterval(() => { logger.info('line ' + n); if (++n === 20) { clearInterval(t); setTimeout(() => {}, 200); } }, 20);
`);
  const r = intoClosedPipe([process.execPath, script]);
  expect(r.stderr.split('\n').filter((l) => l.startsWith('signrelay: the log output failed (EPIPE)'))).toEqual([
    'signrelay: the log output failed (EPIPE): lines are dropped from now on (a restart opens it again)',
  ]);
  expect(r.code).toBe(0);
});
