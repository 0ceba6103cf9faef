// Which entry of the server's LIST a configured folder name stands for. Folder names are
// written as the operator sees them: on a server whose personal namespace has a prefix
// (Courier, Cyrus, cPanel: `INBOX.` with separator `.`) without it — imapflow adds it — or
// with it, and INBOX in any case (RFC 3501 5.1). The watcher (which folders it creates) and
// `signrelay check` (which exist) read LIST alike: check compared the names as written, and
// called folders the daemon used missing (imap-variants review M2). Pure.

/** What of a LIST entry (imapflow's ListResponse) is read here. */
export interface ListedEntry {
  path: string;
}

/** The entry `folder` stands for, or undefined when the server does not list it. */
export function listedFolder<T extends ListedEntry>(listed: readonly T[], folder: string, prefix: string): T | undefined {
  if (folder.toUpperCase() === 'INBOX') return listed.find((entry) => entry.path.toUpperCase() === 'INBOX');
  return listed.find((entry) => entry.path === folder) ?? (prefix ? listed.find((entry) => entry.path === prefix + folder) : undefined);
}
