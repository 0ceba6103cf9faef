// `signrelay run` with a configuration it cannot use: it must exit non-zero at once, name
// the file or every bad setting by its path, print no stack trace, and start nothing. The
// first case runs the command line as a child process (the exit code reaching the shell);
// the rest run the same dispatch in process (test/cli/in-process.ts), as a child would
// prove nothing more about a configuration that is refused before anything starts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bareEnv, linesOf, minimalConfigYaml, runCli, STACK_FRAME, tempDir, type CliResult, type TempDir } from './helpers.ts';
import { runInProcess } from './in-process.ts';

let dir: TempDir;

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await dir?.remove();
});

function expectConfigFailure(r: CliResult): void {
  expect(r.code).toBe(1);
  expect(r.signal).toBeNull();
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^signrelay: /);
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stderr).not.toContain('unexpected error');
}

describe('signrelay run: a configuration file that cannot be read', () => {
  it('--config naming a missing file', async () => {
    const missing = join(dir.path, 'missing.yaml');
    const r = await runCli(['run', '--config', missing]);
    expectConfigFailure(r);
    expect(linesOf(r.stderr)).toEqual([`signrelay: cannot read the configuration ${missing}: the file does not exist. Pass --config FILE or set SIGNRELAY_CONFIG.`]);
  });

  it('SIGNRELAY_CONFIG naming a missing file', async () => {
    const missing = join(dir.path, 'from-env.yaml');
    const r = await runInProcess(['run'], { env: bareEnv({ SIGNRELAY_CONFIG: missing }) });
    expectConfigFailure(r);
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`cannot read the configuration ${missing}: the file does not exist`);
  });

  it('--config wins over SIGNRELAY_CONFIG', async () => {
    const flag = join(dir.path, 'flag.yaml');
    const r = await runInProcess(['run', '--config', flag], { env: bareEnv({ SIGNRELAY_CONFIG: join(dir.path, 'env.yaml') }) });
    expectConfigFailure(r);
    expect(r.stderr).toContain(`configuration ${flag}:`);
    expect(r.stderr).not.toContain('env.yaml');
  });

  it('prints a message\'s controls escaped (what it quotes — a path, a server\'s words — cannot retitle or clear the terminal), its lines kept (variants review L2)', async () => {
    const missing = join(dir.path, '\x1b]0;pwned\x07\x1b[2J\rsigned.yaml');
    const r = await runInProcess(['run', '--config', missing]);
    expectConfigFailure(r);
    expect(r.stderr).not.toMatch(/[\x07\x1b\r]/);
    expect(linesOf(r.stderr)).toEqual([`signrelay: cannot read the configuration ${join(dir.path, '\\x1b]0;pwned\\x07\\x1b[2J\\rsigned.yaml')}: the file does not exist. Pass --config FILE or set SIGNRELAY_CONFIG.`]);
  });

  it('a file that is not YAML names the line', async () => {
    const file = await dir.file('broken.yaml', 'mailboxes:\n  requests: {host: [unclosed\n');
    const r = await runInProcess(['run', '--config', file]);
    expectConfigFailure(r);
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^signrelay: ${file}: not valid YAML at line \\d+: `));
  });
});

describe('signrelay run: bad settings', () => {
  it('names every bad setting by its path, all at once, and starts nothing', async () => {
    const dataDir = join(dir.path, 'data-never-created');
    const yaml = minimalConfigYaml('routes:\n  default: {}\nlimits: {max_mail_bytes: -1}\n', dataDir)
      .replace('api_secret: not-used', 'api_secret: "${SIGNRELAY_TEST_UNSET_SECRET}"');
    const file = await dir.file('bad-settings.yaml', yaml);
    const r = await runInProcess(['run', '--config', file]);
    expectConfigFailure(r);
    expect(linesOf(r.stderr)).toEqual([
      `signrelay: ${file} has 2 problems:`,
      '  provider.api_secret: environment variable SIGNRELAY_TEST_UNSET_SECRET is not set (export it — signrelay check --env-file FILE reads the EnvironmentFile= of the service — or refer to a file: {credential: NAME} or {file: PATH})',
      '  limits.max_mail_bytes: expected a positive integer',
    ]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a missing required section and an unknown setting', async () => {
    const file = await dir.file('incomplete.yaml', minimalConfigYaml('routes:\n  default: {colour: blue}\n')
      .replace(/^smtp: .*\n/m, ''));
    const r = await runInProcess(['run', '--config', file]);
    expectConfigFailure(r);
    expect(r.stderr).toContain(`${file} has 2 problems:`);
    expect(r.stderr).toMatch(/^ {2}smtp: required setting is missing$/m);
    expect(r.stderr).toMatch(/^ {2}routes\.default: unknown setting colour /m);
  });

  it('a storage.data_dir that cannot be created: one line naming the setting', async () => {
    const notADir = await dir.file('plain-file', '');
    const file = await dir.file('bad-data-dir.yaml', minimalConfigYaml('routes:\n  default: {}\n', join(notADir, 'data'))
      .replace('imap.test.example', '127.0.0.1'));
    const r = await runInProcess(['run', '--config', file]);
    expectConfigFailure(r);
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^signrelay: storage\.data_dir \S+\/plain-file\/data is, or lies under, a file, not a directory \(ENOTDIR\): name a directory$/m);
  });

  it('a ${VAR} secret exported in the environment resolves: only the real problem is left, and the value is not printed', async () => {
    const file = await dir.file('env-secret.yaml', minimalConfigYaml('routes:\n  default: {}\nlimits: {max_mail_bytes: 0}\n')
      .replace('api_secret: not-used', 'api_secret: "${SIGNRELAY_TEST_SECRET}"'));
    const r = await runInProcess(['run', '--config', file], { env: bareEnv({ SIGNRELAY_TEST_SECRET: 'set-in-env-1234' }) });
    expectConfigFailure(r);
    expect(linesOf(r.stderr)).toEqual([`signrelay: ${file} has a problem:`, '  limits.max_mail_bytes: expected a positive integer']);
    expect(r.stderr).not.toContain('set-in-env-1234');
  });
});
