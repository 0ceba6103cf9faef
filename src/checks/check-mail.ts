// The mail items of `signrelay check`: IMAP login and every folder signrelay uses, for the
// request account and (when it has its own) the return account; SMTP login. OAuth2
// accounts log in with a token obtained for the check itself, so new credentials are
// really tried before a reload (a refresh token Google renews is saved for the daemon).
import { hostAndPort } from '../loopback.ts';
import Database from 'better-sqlite3';
import type { ImapFlow } from 'imapflow';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, ImapAccountConfig, MailAuthConfig } from '../config/schema.ts';
import { filingFoldersOf, ownReturnLogin, returnAccountOf, sharesRequestAccount } from '../config/return-account.ts';
import type { Logger } from '../log.ts';
import { isSignrelayError, type ErrorKind } from '../errors.ts';
import { connectImapClient } from '../mail/imap-client.ts';
import { createMailTokenSources, type MailTokenSources } from '../mail/mail-oauth-sources.ts';
import { memoryTokenStore, type MailTokenSource, type MailTokenStore } from '../mail/mail-oauth-token.ts';
import { childrenOf, holdsNoMail, isNameOnly, listedFolder } from '../mail/listed-folder.ts';
import { createSmtpSender } from '../mail/smtp-sender.ts';
import { readQuota } from '../mail/read-quota.ts';
import { describeQuota, quotaConsequence, quotaFix, quotaLevel, quotaRatio } from '../mail-quota.ts';
import { loadToken, saveToken } from '../store/oauth-tokens.ts';
import type { CheckItem, CheckResult } from './checklist.ts';

interface FolderUse {
  folder: string;
  setting: string;
  /** Watched folders must exist; the ones signrelay files into are created at start. */
  watched: boolean;
  /**
   * A folder signrelay watches but creates at start, as a mail server's rule files mail into
   * it: how mail reaches it, said when it does not exist yet (a misspelt name would be made
   * and watched empty for ever).
   */
  filledBy?: string;
}

async function folderResults(client: ImapFlow, uses: FolderUse[]): Promise<CheckResult[]> {
  const listed = await client.list();
  const prefix = client.namespace?.prefix ?? '';
  const results: CheckResult[] = [];
  for (const use of uses) {
    // Found as the watcher finds it (listed-folder.ts): with or without the namespace's prefix, INBOX in any case.
    const entry = listedFolder(listed, use.folder, prefix);
    if (entry && !holdsNoMail(entry)) {
      const status = await client.status(entry.path, { messages: true });
      results.push({ ok: true, detail: `folder ${use.folder} (${use.setting}): ${status ? status.messages ?? 0 : '?'} mail(s)` });
    } else if (entry && (use.watched || !isNameOnly(entry))) {
      // A parent the server lists for its children (a mail program made Signing/Incoming): it
      // cannot be opened, and the watcher would never read it — check said ✓ "? mail(s)" (imap-variants review M3).
      const children = childrenOf(listed, entry, use.folder, prefix);
      const guess = children.length > 0 ? ` (${children.slice(0, 3).join(' or ')}?)` : '';
      results.push({
        ok: false, detail: `folder ${use.folder} (${use.setting}) is only a parent of other folders: it cannot hold mail`,
        fix: `set ${use.setting} to the folder mail arrives in${guess}${isNameOnly(entry) ? `, or create the folder ${use.folder} itself` : ''}`,
      });
    } else if (use.watched) {
      results.push({ ok: false, detail: `folder ${use.folder} (${use.setting}) does not exist`, fix: `create the folder ${use.folder} in the mailbox, or set ${use.setting} to the folder mail arrives in` });
    } else {
      results.push({
        ok: true, detail: `folder ${use.folder} (${use.setting}) does not exist yet; signrelay creates it at start`,
        ...(use.filledBy ? { warnings: [`no mail has reached it yet: ${use.filledBy}; if that rule files into another folder, set ${use.setting} to it`] } : {}),
      });
    }
  }
  return results;
}

/**
 * How full the account is, where its server reports a quota (GETQUOTAROOT of INBOX, where
 * mail is delivered; the fullest limit of every root): a warning from 80 %, ✗ from 95 %
 * (mail-quota.ts) — near its quota the larger request mails bounce, at it every one, and
 * nothing else signrelay looks at tells (quota review H1).
 * Nothing is said of a server that reports none (Exchange, most hosted servers).
 */
async function quotaResults(client: ImapFlow, folders: readonly string[]): Promise<CheckResult[]> {
  const reading = await readQuota(client, 'INBOX');
  if (reading.kind !== 'usage') return [];
  const { usage } = reading;
  const detail = `account ${describeQuota(usage)}`;
  const level = quotaLevel(usage);
  if (level === 'ok') return [{ ok: true, detail }];
  if (level === 'nearly-full') return [{ ok: true, detail, warnings: [`the account is nearly full: ${quotaConsequence(quotaRatio(usage))} — ${quotaFix(folders)}`] }];
  return [{ ok: false, advisory: true, detail: `${detail}: the account is full — ${quotaConsequence(quotaRatio(usage))}`, fix: quotaFix(folders) }];
}

/** The error's kind, when it has one: a server that could not be reached is `transient`. */
function kindOf(err: unknown): { kind?: ErrorKind } {
  return isSignrelayError(err) ? { kind: err.kind } : {};
}

/** " (XOAUTH2, microsoft)" for an OAuth2 login; nothing for a password. */
function howLoggedIn(auth: MailAuthConfig | undefined): string {
  return auth?.type === 'oauth2' ? ` (XOAUTH2, ${auth.provider})` : '';
}

/** `quotaFolders`: what a full account's fix names; null: the quota is read by another item (the same account). */
function imapItem(title: string, key: string, account: ImapAccountConfig, uses: FolderUse[], logger: Logger, tokenSource: MailTokenSource | undefined, quotaFolders: string[] | null): CheckItem {
  return {
    title,
    async run() {
      let client: ImapFlow;
      try {
        client = await connectImapClient(account, key, logger, tokenSource);
      } catch (err) {
        return { ok: false, detail: (err as Error).message, ...kindOf(err) };
      }
      try {
        const login = { ok: true, detail: `logged in to ${hostAndPort(account.host, account.port)} as ${account.user}${howLoggedIn(account.auth)}` };
        return [login, ...(await folderResults(client, uses)), ...(quotaFolders ? await quotaResults(client, quotaFolders) : [])];
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
  };
}

/**
 * Tokens for the check: the stored chain (a Google refresh token may have been renewed
 * since it was configured) but never a stored access token — the check must obtain one
 * with the credentials as configured now. What the check obtains is saved for the daemon.
 * Without a database (or one this user cannot open): memory.
 */
export function checkTokenStore(dataDir: string): MailTokenStore {
  const file = join(dataDir, 'signrelay.db');
  const memory = memoryTokenStore();
  const withDb = <T>(use: (db: Database.Database) => T): T | undefined => {
    if (!existsSync(file)) return undefined;
    try {
      const db = new Database(file, { fileMustExist: true, timeout: 5_000 });
      try {
        return use(db);
      } finally {
        db.close();
      }
    } catch {
      return undefined;
    }
  };
  return {
    load(name) {
      const obtained = memory.load(name);
      if (obtained) return obtained;
      const stored = withDb((db) => loadToken(db, name)) ?? null;
      return stored && { ...stored, accessToken: null };
    },
    save(name, token) {
      memory.save(name, token);
      withDb((db) => saveToken(db, name, token, new Date()));
    },
  };
}

export function mailCheckItems(config: Config, logger: Logger, tokens: MailTokenSources = createMailTokenSources(config, { store: checkTokenStore(config.storage.data_dir) })): CheckItem[] {
  const requests = config.mailboxes.requests;
  const returns = config.mailboxes.returns;
  const returnAccount = returnAccountOf(config);
  const ownReturnAccount = ownReturnLogin(config);
  const returnFolders: FolderUse[] = [
    {
      folder: returns.folder, setting: 'mailboxes.returns.folder', watched: false,
      filledBy: `completion mail to ${returns.address} (and its +token addresses) arrives there only through a rule of the mail server that files it into ${returns.folder}`,
    },
    { folder: returns.processed_folder, setting: 'mailboxes.returns.processed_folder', watched: false },
    { folder: returns.unmatched_folder, setting: 'mailboxes.returns.unmatched_folder', watched: false },
  ];
  const requestFolders: FolderUse[] = [
    { folder: requests.folder, setting: 'mailboxes.requests.folder', watched: true },
    { folder: requests.processed_folder, setting: 'mailboxes.requests.processed_folder', watched: false },
    { folder: requests.rejected_folder, setting: 'mailboxes.requests.rejected_folder', watched: false },
    ...(ownReturnAccount ? [] : returnFolders),
  ];
  // One account has one quota, read by the request item — under two logins too — naming the folders of both.
  const filing = filingFoldersOf(config);
  const items = [imapItem('IMAP request mailbox', 'requests', requests, requestFolders, logger, tokens.requests, filing.requests)];
  if (ownReturnAccount) items.push(imapItem('IMAP return mailbox', 'returns', returnAccount, returnFolders, logger, tokens.returns, sharesRequestAccount(config) ? null : filing.returns));
  items.push({
    title: 'SMTP',
    async run() {
      const smtp = createSmtpSender(config.smtp, logger, { connectionTimeoutMs: 15_000, greetingTimeoutMs: 15_000, tokenSource: tokens.smtp });
      try {
        await smtp.verify();
        const login = config.smtp.user ? ` accepted the login of ${config.smtp.user}${howLoggedIn(config.smtp.auth)}` : ' answered (no login configured)';
        return { ok: true, detail: `${hostAndPort(config.smtp.host, config.smtp.port)}${login}` };
      } catch (err) {
        return { ok: false, detail: (err as Error).message, ...kindOf(err) };
      } finally {
        await smtp.close();
      }
    },
  });
  return items;
}
