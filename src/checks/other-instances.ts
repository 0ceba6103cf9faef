// Other signrelay configurations beside this one (/etc/signrelay/NAME.yaml and
// signrelay.yaml: one per instance, see config/instance.ts). Two daemons watching one folder both
// take every mail — each request sent to its signers twice, or one instance filing the
// other's signed copies in Unmatched — and nothing on the mail server stops them (instances
// review H1, H2). `check` and `run` read the configurations beside their own and say which
// shares a folder or a return address with it.
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SignrelayError } from '../errors.ts';
import { lockHolder } from '../store/data-dir-lock.ts';
import { parseConfigText } from '../config/load-config.ts';
import { watchedFolders } from '../config/return-account.ts';
import type { Config } from '../config/schema.ts';
import type { CheckItem } from './checklist.ts';

/** What this configuration shares with another one beside it. */
export interface SharedWithInstance {
  file: string;
  /** Its daemon runs now (it holds its data dir's lock). */
  running: boolean;
  /** One line per folder or address they share, naming the settings. */
  shared: string[];
}

/** What this configuration and `other` share: the folders their watchers take mail from, and the return address. Pure. */
export function sharedSettings(mine: Config, other: Config): string[] {
  const theirs = watchedFolders(other);
  const shared = watchedFolders(mine).flatMap((folder) => theirs.filter((t) => t.key === folder.key).map((t) =>
    `mailboxes.${folder.role} watches ${folder.name}, as its mailboxes.${t.role} does`));
  const address = mine.mailboxes.returns.address.toLowerCase();
  if (address === other.mailboxes.returns.address.toLowerCase()) shared.push(`mailboxes.returns.address ${address} is its return address too`);
  return shared;
}

/**
 * The configurations in the same directory as `file` that share something with `config`:
 * each read as the daemon would read it (a file that is not a valid signrelay configuration,
 * or cannot be read, is passed over — it runs nothing), with whether its daemon runs now. A
 * configuration on the same data dir, or on the one this process holds, is left out: its lock
 * already keeps the two apart.
 */
export function othersSharing(file: string, config: Config): SharedWithInstance[] {
  const dir = dirname(file);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.yaml') && name !== basename(file));
  } catch {
    return [];
  }
  const self = realPath(file);
  const found: SharedWithInstance[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (realPath(path) === self) continue;
    let other: Config;
    try {
      other = parseConfigText(readFileSync(path, 'utf8'), path, { requireSecrets: false });
    } catch {
      continue;
    }
    if (realPath(other.storage.data_dir) === realPath(config.storage.data_dir)) continue;
    const holder = lockHolder(other.storage.data_dir);
    // This process's own data dir: a reload onto another one (refused for that) is not a second instance.
    if (holder === process.pid) continue;
    const shared = sharedSettings(config, other);
    if (shared.length > 0) found.push({ file: path, running: holder !== undefined, shared });
  }
  return found;
}

/** One message for a configuration that shares with others, with the fix. */
export function describeSharing(sharing: SharedWithInstance): string {
  const state = sharing.running ? 'whose daemon is running' : 'not running now';
  return `${sharing.shared.join('; ')} — ${sharing.file} (${state}): two daemons on one folder both take every mail, so each request would go to its signers twice and each instance would file the other's signed copies in Unmatched; give each instance its own request mailbox (or folder) and its own return address${sharing.running ? '' : `, or move ${sharing.file} away if it no longer runs`}`;
}

/**
 * A start or a reload beside a running instance that watches the same folders is refused:
 * the damage (every request sent twice) begins with the first mail. One beside a stopped
 * one is said as a warning (the caller logs it): it may be an instance's old file.
 */
export function refuseSharedWithRunning(file: string, config: Config): string[] {
  const sharing = othersSharing(file, config);
  const running = sharing.filter((s) => s.running);
  if (running.length > 0) throw new SignrelayError('config', 'instance_shares_mailbox', running.map(describeSharing).join('\n'));
  return sharing.map(describeSharing);
}

/** `check`'s item: no configuration beside this one watches its folders or uses its return address. */
export function otherInstancesCheckItem(file: string, config: Config): CheckItem {
  return {
    title: 'other instances',
    async run() {
      const sharing = othersSharing(file, config);
      const running = sharing.filter((s) => s.running);
      const stopped = sharing.filter((s) => !s.running).map(describeSharing);
      const warnings = stopped.length > 0 ? { warnings: stopped } : {};
      // As `run` does: beside a running daemon the start is refused; beside a stopped one (an old file?) it is a warning.
      if (running.length > 0) return { ok: false, detail: running.map(describeSharing).join('\n'), fix: 'as above: one request mailbox (or folder) and one return address per instance', ...warnings };
      return { ok: true, detail: stopped.length > 0 ? `${dirname(file)} holds another configuration on its mailboxes` : `no other configuration in ${dirname(file)} watches its folders or uses its return address`, ...warnings };
    },
  };
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
