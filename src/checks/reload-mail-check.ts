// Before a reload stops the running daemon: the mail accounts whose settings the new
// configuration changes are tried with them — the IMAP login and the folders signrelay uses,
// the SMTP login — as `signrelay check` tries them. A mistyped host or password, or a
// password rotated in the file before the server took it, was accepted and the new daemon
// then read no mail at all; now the reload is refused with what failed, and the running
// daemon goes on with the settings that work. Accounts the reload leaves as they were are
// not tried: a reload that changes a route does not wait for the mail server.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/schema.ts';
import { returnAccountOf } from '../config/return-account.ts';
import { SignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { mailCheckItems } from './check-mail.ts';

/** The check items' titles (check-mail.ts), with the settings whose change makes them run. */
const CHANGED: ReadonlyArray<{ title: string; setting: string; changed: (a: Config, b: Config) => boolean }> = [
  { title: 'IMAP request mailbox', setting: 'mailboxes.requests', changed: (a, b) => !isDeepStrictEqual(a.mailboxes.requests, b.mailboxes.requests) || !isDeepStrictEqual(a.mailboxes.returns, b.mailboxes.returns) },
  { title: 'IMAP return mailbox', setting: 'mailboxes.returns', changed: (a, b) => !isDeepStrictEqual(returnAccountOf(a), returnAccountOf(b)) || !isDeepStrictEqual(a.mailboxes.returns, b.mailboxes.returns) },
  { title: 'SMTP', setting: 'smtp', changed: (a, b) => !isDeepStrictEqual(a.smtp, b.smtp) },
];

/** Why the new configuration's changed mail settings do not work, or null when they do (or none changed). */
export async function changedMailRefusal(previous: Config, next: Config, logger: Logger): Promise<SignrelayError | null> {
  const changed = CHANGED.filter((c) => c.changed(previous, next));
  if (changed.length === 0) return null;
  const items = mailCheckItems(next, logger).filter((item) => changed.some((c) => c.title === item.title));
  const failures: string[] = [];
  for (const item of items) {
    const results = [await item.run()].flat();
    for (const result of results) if (!result.ok) failures.push(`${item.title} (${changed.find((c) => c.title === item.title)!.setting}): ${result.detail}`);
  }
  if (failures.length === 0) return null;
  return new SignrelayError('config', 'reload_mail_unusable',
    `the new configuration's mail settings do not work — ${failures.join('; ')}. Fix them (\`signrelay check\` tries them all) and reload again`);
}
