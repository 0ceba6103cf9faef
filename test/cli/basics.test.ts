// The command line itself, run as `node src/cli.ts …`: help, usage errors, the version —
// what reaches the shell. Each command's own --help and option errors come from the same
// dispatch, run in process (in-process.ts): 24 child processes would prove nothing more.
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { linesOf, REPO, runCli, STACK_FRAME } from './helpers.ts';
import { runInProcess } from './in-process.ts';

const COMMANDS = ['run', 'stamp', 'explain', 'sandbox', 'init', 'authorize', 'check', 'status', 'requests', 'show', 'retry', 'cancel'];

describe('signrelay (no command)', () => {
  it('--help lists every command on stdout and exits 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const r = await runCli([flag]);
      expect(r, flag).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^usage: signrelay <command> \[options\]\n/);
      for (const command of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${command}\\s+\\S`, 'm'));
    }
  });

  it('no arguments: the usage on stderr, exit 2', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^usage: signrelay <command>/);
    for (const command of COMMANDS) expect(r.stderr).toMatch(new RegExp(`^  ${command}\\s`, 'm'));
  });

  it('an unknown command: one line naming it, then the usage, on stderr; exit 2', async () => {
    const r = await runCli(['frobnicate', '--config', 'x.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const [first, blank, usage] = linesOf(r.stderr);
    expect(first).toBe('signrelay: unknown command "frobnicate"');
    expect(blank).toBe('');
    expect(usage).toBe('usage: signrelay <command> [options]');
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('--version prints the version from package.json and the database schema the build migrates to (builds are told apart by it)', async () => {
    const pkg = JSON.parse(await readFile(`${REPO}package.json`, 'utf8')) as { version: string };
    const newest = Math.max(...(await readdir(`${REPO}src/store/migrations`)).filter((f) => /^\d{4}_/.test(f)).map((f) => Number(f.slice(0, 4))));
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r).toEqual({ code: 0, signal: null, stdout: `signrelay ${pkg.version} (database schema ${newest})\n`, stderr: '' });
    }
  });
});

describe('each command', () => {
  it.each(COMMANDS)('%s --help prints its own usage and exits 0', async (command) => {
    const r = await runInProcess([command, '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^usage: signrelay ${command}\\b`));
  });

  it.each(COMMANDS)('%s with an unknown option: one line on stderr, exit 2, no stack trace', async (command) => {
    const r = await runInProcess([command, '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^signrelay ${command}: Unknown option '--no-such-option'.*\\(see --help\\)\\n$`));
  });

  it('run with a stray argument: one line on stderr, exit 2', async () => {
    const r = await runInProcess(['run', 'signrelay.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^signrelay run: Unexpected argument 'signrelay\.yaml'.*\(see --help\)\n$/);
  });
});
