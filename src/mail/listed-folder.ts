// Which entry of the server's LIST a configured folder name stands for. Folder names are
// written as the operator sees them: on a server whose personal namespace has a prefix
// (Courier, Cyrus, cPanel: `INBOX.` with separator `.`) without it — imapflow adds it — or
// with it, and INBOX in any case (RFC 3501 5.1). The watcher (which folders it creates) and
// `signrelay check` (which exist) read LIST alike: check compared the names as written, and
// called folders the daemon used missing (imap-variants review M2). And which entries hold no
// mail: a parent listed for its children (`\Noselect`, `\NonExistent`) passed check, and the
// watcher never read it (M3). Pure.

/** What of a LIST entry (imapflow's ListResponse) is read here. */
export interface ListedEntry {
  path: string;
  flags?: ReadonlySet<string> | undefined;
  parentPath?: string | undefined;
}

/** The entry `folder` stands for, or undefined when the server does not list it. */
export function listedFolder<T extends ListedEntry>(listed: readonly T[], folder: string, prefix: string): T | undefined {
  if (folder.toUpperCase() === 'INBOX') return listed.find((entry) => entry.path.toUpperCase() === 'INBOX');
  return listed.find((entry) => entry.path === folder) ?? (prefix ? listed.find((entry) => entry.path === prefix + folder) : undefined);
}

function hasFlag(entry: ListedEntry, flag: string): boolean {
  return [...(entry.flags ?? [])].some((f) => f.toLowerCase() === flag.toLowerCase());
}

/** Listed only as the parent of other folders, not there itself (`\NonExistent`, RFC 5258): CREATE makes it. */
export function isNameOnly(entry: ListedEntry): boolean {
  return hasFlag(entry, '\\NonExistent');
}

/** A name that cannot be opened and holds no mail: `\Noselect` (a parent only), or `\NonExistent`. */
export function holdsNoMail(entry: ListedEntry): boolean {
  return hasFlag(entry, '\\Noselect') || isNameOnly(entry);
}

/** The folders listed under `entry`, as the operator would write them (without the prefix when `folder` was written without it). */
export function childrenOf(listed: readonly ListedEntry[], entry: ListedEntry, folder: string, prefix: string): string[] {
  const strip = prefix !== '' && !folder.startsWith(prefix);
  return listed
    .filter((other) => other.parentPath === entry.path && !holdsNoMail(other))
    .map((child) => (strip && child.path.startsWith(prefix) ? child.path.slice(prefix.length) : child.path));
}
