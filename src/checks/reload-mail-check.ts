// Before a reload stops the running daemon: the mail accounts whose login settings (or
// folders) the new configuration changes are tried with them — the IMAP login and the folders
// signrelay uses, the SMTP login — as `signrelay check` tries them. A mistyped host or
// password, or a password rotated in the file before the server took it, was accepted and
// the new daemon then read no mail at all; now the reload is refused with what failed, and
// the running daemon goes on with the settings that work. Not tried: an account the reload
// leaves as it logs in (a new From name, a new address or route does not wait for the mail
// server). Not refused: a server that cannot be reached now (it was down, or the network) —
// the running daemon could not reach it either, and the new one retries as the old one did;
// the reload goes on, with a warning (diff review 21 M1).
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/schema.ts';
import { returnAccountOf } from '../config/return-account.ts';
import { SignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { mailCheckItems } from './check-mail.ts';
import { operatorCommand } from '../service-unit.ts';

/** What an account logs in with: where, how, as whom (not its address or From name). */
const login = (account: { host: string; port: number; tls: boolean; tls_verify: boolean; user?: string | undefined; password?: string | undefined; auth?: unknown }) =>
  ({ host: account.host, port: account.port, tls: account.tls, tls_verify: account.tls_verify, user: account.user, password: account.password, auth: account.auth });
const requestFolders = (c: Config) => [c.mailboxes.requests.folder, c.mailboxes.requests.processed_folder, c.mailboxes.requests.rejected_folder];
const returnFolders = (c: Config) => [c.mailboxes.returns.folder, c.mailboxes.returns.processed_folder, c.mailboxes.returns.unmatched_folder];
const differ = (a: unknown, b: unknown) => !isDeepStrictEqual(a, b);

/** The check items' titles (check-mail.ts), the settings they stand for, and when a reload changes them. */
const CHANGED: ReadonlyArray<{ title: string; setting: string; changed: (a: Config, b: Config) => boolean }> = [
  {
    title: 'IMAP request mailbox', setting: 'mailboxes.requests',
    // The request account also lists the return folders when the two share it.
    changed: (a, b) => differ(login(a.mailboxes.requests), login(b.mailboxes.requests)) || differ(requestFolders(a), requestFolders(b)) || differ(returnFolders(a), returnFolders(b)),
  },
  { title: 'IMAP return mailbox', setting: 'mailboxes.returns', changed: (a, b) => differ(login(returnAccountOf(a)), login(returnAccountOf(b))) || differ(returnFolders(a), returnFolders(b)) },
  { title: 'SMTP', setting: 'smtp', changed: (a, b) => differ(login(a.smtp), login(b.smtp)) },
];

/** Why the new configuration's changed mail settings do not work, or null when they do (or none changed, or the server cannot be reached now). */
export async function changedMailRefusal(previous: Config, next: Config, logger: Logger): Promise<SignrelayError | null> {
  const changed = CHANGED.filter((c) => c.changed(previous, next));
  if (changed.length === 0) return null;
  const items = mailCheckItems(next, logger).filter((item) => changed.some((c) => c.title === item.title));
  const failures: string[] = [];
  for (const item of items) {
    const setting = changed.find((c) => c.title === item.title)!.setting;
    for (const result of [await item.run()].flat()) {
      // A full account is no setting to fix: the running daemon has it as full.
      if (result.ok || result.advisory) continue;
      if (result.kind === 'transient') {
        logger.warn('reloading with mail settings that could not be tried: the server did not answer', { setting, error: result.detail });
        continue;
      }
      failures.push(`${item.title} (${setting}): ${result.detail}`);
    }
  }
  if (failures.length === 0) return null;
  return new SignrelayError('config', 'reload_mail_unusable',
    `the new configuration's mail settings do not work — ${failures.join('; ')}. Fix them (\`${operatorCommand('check')}\` tries them all) and reload again`);
}
