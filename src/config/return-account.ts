// The IMAP account of the return mailbox: another server or user when `mailboxes.returns`
// names a host or user, else the request mailbox's account (then `returns.folder` must be
// another folder). Its login: `returns.auth` when given; else its own `password` when given;
// else whatever the request account logs in with (its password, or its OAuth2 credentials).
import { canonicalHost, loopbackAddress } from '../loopback.ts';
import type { Config, ImapAccountConfig } from './schema.ts';

export function returnAccountOf(config: Config): ImapAccountConfig {
  const { requests, returns } = config.mailboxes;
  return {
    host: returns.host ?? requests.host,
    port: returns.port ?? (returns.host ? 993 : requests.port),
    tls: returns.tls ?? (returns.host ? true : requests.tls),
    tls_verify: returns.tls_verify ?? requests.tls_verify,
    user: returns.user ?? requests.user,
    password: returns.password ?? requests.password,
    auth: returns.auth ?? (returns.password !== undefined ? { type: 'password' } : requests.auth),
  };
}

/** Whether the return mailbox logs in with anything of its own (host, user, password or auth): then it is checked as its own login. */
export function ownReturnLogin(config: Config): boolean {
  const { returns } = config.mailboxes;
  return returns.host !== undefined || returns.user !== undefined || returns.password !== undefined || returns.auth !== undefined;
}

/**
 * Whether the return mailbox is the request mailbox's account — the same user on the same
 * server, however spelt and whatever login it is given: one quota, whose filing folders are
 * all of both (diff review 26 L4: a login of its own made it two accounts, each half full).
 */
export function sharesRequestAccount(config: Config): boolean {
  const { requests } = config.mailboxes;
  const account = returnAccountOf(config);
  return accountKey(requests.host, requests.port, requests.user) === accountKey(account.host, account.port, account.user);
}

const accountKey = (host: string, port: number, user: string) => `${user.toLowerCase()}@${serverKey(host)}:${port}`;

/** An IMAP account as messages and alerts name it: `sign on imap.corp.example`. */
export const accountLabel = (account: Pick<ImapAccountConfig, 'user' | 'host'>) => `${account.user} on ${account.host}`;

/**
 * The folders signrelay files into on each watcher's account, which only grow — what a full
 * account's problem, alert and `check` tell the operator to expire mail from: those of both
 * watchers when they share the account.
 */
export function filingFoldersOf(config: Config): { requests: string[]; returns: string[] } {
  const { requests, returns } = config.mailboxes;
  const requestFiling = [requests.processed_folder, requests.rejected_folder];
  const returnFiling = [returns.processed_folder, returns.unmatched_folder];
  if (!sharesRequestAccount(config)) return { requests: requestFiling, returns: returnFiling };
  const all = [...requestFiling, ...returnFiling];
  return { requests: all, returns: all };
}

/**
 * The settings the return mailbox's login comes from: its own where it has them, else the
 * request account's it shares — what an operator must fix when that login is refused.
 */
export function returnLoginSettings(config: Config): { user: string; password: string } {
  const { returns } = config.mailboxes;
  return {
    user: returns.user !== undefined ? 'mailboxes.returns.user' : 'mailboxes.requests.user',
    password: returns.password !== undefined || returns.auth !== undefined ? 'mailboxes.returns.password' : 'mailboxes.requests.password',
  };
}

/**
 * Both watchers on one folder would take each other's mail — however the server and the folder
 * are spelt: a host's case and final dot, `localhost` for 127.0.0.1, and INBOX, whose name
 * IMAP takes in any case (RFC 3501 5.1): `folder: inbox` beside the requests' INBOX filed every
 * request mail in Unmatched (ipv6 review M2).
 */
export function sharesRequestFolder(config: Config): boolean {
  const [requests, returns] = watchedFolders(config);
  return requests!.key === returns!.key;
}

/** A folder a watcher takes mail from, and one key for every spelling of it. */
export interface WatchedFolder {
  role: 'requests' | 'returns';
  /** `user@host:port/folder`, as an operator reads it. */
  name: string;
  key: string;
}

/** The two folders the configuration's watchers take mail from. */
export function watchedFolders(config: Config): WatchedFolder[] {
  const { requests, returns } = config.mailboxes;
  const account = returnAccountOf(config);
  const folder = (role: WatchedFolder['role'], host: string, port: number, user: string, name: string): WatchedFolder => ({
    role, name: `${user}@${host}:${port}/${name}`, key: `${accountKey(host, port, user)}/${folderKey(name)}`,
  });
  return [folder('requests', requests.host, requests.port, requests.user, requests.folder), folder('returns', account.host, account.port, account.user, returns.folder)];
}

/** `localhost` names are 127.0.0.1, as they are connected to (loopback.ts); other spellings of one host are one. */
function serverKey(host: string): string {
  return canonicalHost(loopbackAddress(host));
}

function folderKey(folder: string): string {
  return /^inbox$/i.test(folder) ? 'INBOX' : folder;
}
