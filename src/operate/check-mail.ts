// The mail items of `signrelay check`: IMAP login and every folder signrelay uses, for the
// request account and (when it has its own) the return account; SMTP login.
import type { ImapFlow } from 'imapflow';
import type { Config, ImapAccountConfig } from '../config/schema.ts';
import { returnAccountOf } from '../config/return-account.ts';
import type { Logger } from '../log.ts';
import { connectImapClient } from '../mail/imap-client.ts';
import { createSmtpSender } from '../mail/smtp-sender.ts';
import type { CheckItem, CheckResult } from './checklist.ts';

interface FolderUse {
  folder: string;
  setting: string;
  /** Watched folders must exist; the ones signrelay files into are created at start. */
  watched: boolean;
}

async function folderResults(client: ImapFlow, uses: FolderUse[]): Promise<CheckResult[]> {
  const existing = new Set((await client.list()).map((m) => m.path));
  const results: CheckResult[] = [];
  for (const use of uses) {
    if (existing.has(use.folder)) {
      const status = await client.status(use.folder, { messages: true });
      results.push({ ok: true, detail: `folder ${use.folder} (${use.setting}): ${status ? status.messages ?? 0 : '?'} mail(s)` });
    } else if (use.watched) {
      results.push({ ok: false, detail: `folder ${use.folder} (${use.setting}) does not exist`, fix: `create the folder ${use.folder} in the mailbox, or set ${use.setting} to the folder mail arrives in` });
    } else {
      results.push({ ok: true, detail: `folder ${use.folder} (${use.setting}) does not exist yet; signrelay creates it at start` });
    }
  }
  return results;
}

function imapItem(title: string, key: string, account: ImapAccountConfig, uses: FolderUse[], logger: Logger): CheckItem {
  return {
    title,
    async run() {
      let client: ImapFlow;
      try {
        client = await connectImapClient(account, key, logger);
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
      try {
        return [{ ok: true, detail: `logged in to ${account.host}:${account.port} as ${account.user}` }, ...(await folderResults(client, uses))];
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
  };
}

export function mailCheckItems(config: Config, logger: Logger): CheckItem[] {
  const requests = config.mailboxes.requests;
  const returns = config.mailboxes.returns;
  const returnAccount = returnAccountOf(config);
  const ownReturnAccount = returns.host !== undefined || returns.user !== undefined;
  const returnFolders: FolderUse[] = [
    { folder: returns.folder, setting: 'mailboxes.returns.folder', watched: false },
    { folder: returns.processed_folder, setting: 'mailboxes.returns.processed_folder', watched: false },
    { folder: returns.unmatched_folder, setting: 'mailboxes.returns.unmatched_folder', watched: false },
  ];
  const requestFolders: FolderUse[] = [
    { folder: requests.folder, setting: 'mailboxes.requests.folder', watched: true },
    { folder: requests.processed_folder, setting: 'mailboxes.requests.processed_folder', watched: false },
    { folder: requests.rejected_folder, setting: 'mailboxes.requests.rejected_folder', watched: false },
    ...(ownReturnAccount ? [] : returnFolders),
  ];
  const items = [imapItem('IMAP request mailbox', 'requests', requests, requestFolders, logger)];
  if (ownReturnAccount) items.push(imapItem('IMAP return mailbox', 'returns', returnAccount, returnFolders, logger));
  items.push({
    title: 'SMTP',
    async run() {
      const smtp = createSmtpSender(config.smtp, logger, { connectionTimeoutMs: 15_000, greetingTimeoutMs: 15_000 });
      try {
        await smtp.verify();
        return { ok: true, detail: `${config.smtp.host}:${config.smtp.port}${config.smtp.user ? ` accepted the login of ${config.smtp.user}` : ' answered (no login configured)'}` };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      } finally {
        await smtp.close();
      }
    },
  });
  return items;
}
