// The service-user item of `check` run by root: npm installing under a umask of 027 or 077
// wrote files only root could read, `check` as root was all ✓ and the service failed at start
// with "Permission denied" (install review M3). The item judges each path by its mode against
// the service user's uid and groups. These tests build the tree in the run's temp directory,
// which is this user's own (0700): the account judged is this user, so the owner's bits are
// the ones that decide, and a file "installed under umask 077" is one whose owner bits say no.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allows, lookupAccount, runningPaths, serviceUserCheckItem, serviceUserResults, type Account, type ServiceUserPaths } from '../../src/checks/check-service-user.ts';

describe('allows: the bits that apply to the account', () => {
  const service: Account = { name: 'signrelay', uid: 998, gids: [998] };
  const file = (mode: number, uid = 0, gid = 0) => ({ mode: 0o100000 | mode, uid, gid });

  it('a root-owned file written under umask 077 or 027 cannot be read by the service user; under 022 it can', () => {
    expect(allows(service, file(0o600), 'read')).toBe(false);
    expect(allows(service, file(0o640), 'read')).toBe(false);
    expect(allows(service, file(0o644), 'read')).toBe(true);
  });

  it('the group bits apply to a group the user is in, the owner bits to its own files — and only those', () => {
    expect(allows(service, file(0o640, 0, 998), 'read')).toBe(true); // the configuration as init writes it
    expect(allows({ ...service, gids: [998, 50] }, file(0o640, 0, 50), 'read')).toBe(true);
    expect(allows(service, file(0o604, 0, 998), 'read')).toBe(false); // its group's bits say no, whatever other's say
    expect(allows(service, file(0o044, 998, 998), 'read')).toBe(false);
  });

  it('a directory must be entered to reach what it holds, and listed and entered to be walked', () => {
    const dir = (mode: number) => ({ mode: 0o040000 | mode, uid: 0, gid: 0 });
    expect(allows(service, dir(0o711), 'enter')).toBe(true);
    expect(allows(service, dir(0o711), 'list')).toBe(false);
    expect(allows(service, dir(0o755), 'list')).toBe(true);
    expect(allows(service, dir(0o700), 'enter')).toBe(false);
  });
});

describe('serviceUserResults on an installed tree', () => {
  const me: Account = { name: 'svc', uid: process.getuid!(), gids: [] };
  let root: string;
  let paths: ServiceUserPaths;

  beforeEach(async () => {
    root = realpathSync(await mkdtemp(join(tmpdir(), 'signrelay-service-user-')));
    const pkg = join(root, 'lib', 'node_modules', 'signrelay');
    for (const dir of ['bin', 'dist/checks', 'node_modules/pdf-lib/cjs', 'docs']) await mkdir(join(pkg, dir), { recursive: true });
    for (const file of ['package.json', 'dist/cli.js', 'dist/checks/check-storage.js', 'node_modules/pdf-lib/cjs/index.js', 'docs/operations.md']) await writeFile(join(pkg, file), '');
    await writeFile(join(pkg, 'bin', 'signrelay.mjs'), '#!/usr/bin/env node\n', { mode: 0o755 });
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc', 'signrelay.yaml'), 'storage: {}\n', { mode: 0o640 });
    await mkdir(join(root, 'node', 'bin'), { recursive: true });
    await writeFile(join(root, 'node', 'bin', 'node'), '', { mode: 0o755 });
    paths = { configFile: join(root, 'etc', 'signrelay.yaml'), packageRoot: pkg, launcher: join(pkg, 'bin', 'signrelay.mjs'), node: join(root, 'node', 'bin', 'node') };
  });

  afterEach(async () => {
    for (const dir of ['lib/node_modules', 'lib/node_modules/signrelay', 'lib/node_modules/signrelay/node_modules/pdf-lib/cjs', 'node/bin', 'etc']) await chmod(join(root, dir), 0o755).catch(() => {});
    await rm(root, { recursive: true, force: true });
  });

  it('a tree the user may use: one ✓ that counts what the daemon loads (not the documents)', () => {
    expect(serviceUserResults(me, paths)).toEqual([{
      ok: true, detail: `svc (uid ${me.uid}) can read the configuration and the 5 installed files, and run ${paths.node}`,
    }]);
  });

  it('files and a directory written under a strict umask: ✗ with how many, one of them, and the chmod that gives them back', async () => {
    await chmod(join(paths.packageRoot, 'dist', 'cli.js'), 0o044);
    await chmod(join(paths.packageRoot, 'node_modules', 'pdf-lib', 'cjs'), 0o055);
    const [result, ...rest] = serviceUserResults(me, paths);
    expect(rest).toEqual([]);
    expect(result!.ok).toBe(false);
    expect(result!.detail).toBe(`svc (uid ${me.uid}) cannot use 2 of the installed files under ${paths.packageRoot}, e.g. ${paths.packageRoot}/dist/cli.js (mode 0044, uid ${me.uid}, gid ${process.getgid!()}: it may not read it); the service would fail at start with "Permission denied"`);
    expect(result!.fix).toBe(`chmod -R o+rX ${paths.packageRoot} (npm installed it under a umask of 027 or 077: install with \`(umask 022; npm install -g …)\`)`);
  });

  it('a launcher that may not be run, a directory above the package it may not enter: each named with its own fix', async () => {
    await chmod(paths.launcher, 0o644);
    expect(serviceUserResults(me, paths)[0]!.fix).toBe(`chmod -R o+rX ${paths.packageRoot} && chmod o+x ${paths.launcher} (npm installed it under a umask of 027 or 077: install with \`(umask 022; npm install -g …)\`)`);
    await chmod(join(root, 'lib', 'node_modules', 'signrelay'), 0o655);
    await chmod(join(root, 'lib', 'node_modules'), 0o655);
    const [result] = serviceUserResults(me, paths);
    expect(result!.detail).toMatch(new RegExp(`^svc \\(uid ${me.uid}\\) cannot reach the installed files under ${paths.packageRoot}: ${root}/lib/node_modules \\(mode 0655, .*: it may not enter it\\)`));
    expect(result!.fix).toBe(`chmod o+x ${root}/lib/node_modules`);
    await chmod(join(root, 'lib', 'node_modules'), 0o755);
  });

  it('a configuration it may not read, and a Node it may not run: one ✗ each, beside each other', async () => {
    await chmod(paths.configFile, 0o040);
    await chmod(paths.node, 0o644);
    const results = serviceUserResults(me, paths);
    expect(results.map((r) => [r.ok, r.fix])).toEqual([
      [false, `chgrp svc ${paths.configFile} && chmod 0640 ${paths.configFile} (as signrelay init writes it)`],
      [false, `chmod o+rx ${paths.node} (and o+rX over the directory Node was installed into, e.g. chmod -R o+rX /opt/node24)`],
    ]);
    expect(results[0]!.detail).toContain('cannot read the configuration: ');
    expect(results[1]!.detail).toContain(`cannot run Node: ${paths.node} (mode 0644`);
    await chmod(join(root, 'node', 'bin'), 0o600);
    expect(serviceUserResults(me, paths)[1]!.fix).toBe(`install Node where the service's user reaches it and systemd finds it (/opt/node24 with a link in /usr/local/bin: operations.md), or chmod o+x ${root}/node/bin`);
  });
});

describe('where the item applies', () => {
  it('finds the system\'s accounts with `id`, and none that does not exist', () => {
    expect(lookupAccount('root')).toEqual({ name: 'root', uid: 0, gids: expect.arrayContaining([0]) });
    expect(lookupAccount('no-such-signrelay-user')).toBeNull();
  });

  it('judges the package it runs from and the Node running it', () => {
    const paths = runningPaths('signrelay.yaml');
    expect(paths.packageRoot).toBe(realpathSync(join(import.meta.dirname, '..', '..')));
    expect(paths.launcher).toBe(join(paths.packageRoot, 'bin', 'signrelay.mjs'));
    expect(paths.node).toBe(realpathSync(process.execPath));
    expect(paths.configFile).toBe(join(process.cwd(), 'signrelay.yaml'));
  });

  it('is asked of root only (any other user running check reads as itself), and only when the service user exists', () => {
    const someone: Account = { name: 'signrelay', uid: 998, gids: [998] };
    expect(serviceUserCheckItem('x.yaml', () => someone) !== null).toBe(process.getuid!() === 0);
    expect(serviceUserCheckItem('x.yaml', () => null)).toBeNull();
  });
});
