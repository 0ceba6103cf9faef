// An IMAP account filled past its quota (quota review H1, L1): Dovecot charges doveadm's saves
// too, so the mail is saved first and the quota switched on after (dovecot.conf, restart).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { quotaPlugin } from './dovecot-config.ts';
import type { DovecotHandle } from './dovecot.ts';

/** A filed mail of about `bytes`, as signrelay leaves them in its filing folders. */
export const fillerMail = (id: string, bytes: number) =>
  `From: a@corp.example\r\nTo: sign@corp.example\r\nSubject: ${id}\r\nMessage-ID: <${id}@filler.example>\r\n\r\n${'x'.repeat(bytes)}\r\n`;

/** 340 KB in `folder` of `user`, then a 300 KB quota (and `extra` configuration) switched on: the account is at ~113 %. */
export async function fillPastQuota(dovecot: DovecotHandle, user: string, options: { folder?: string; extra?: string } = {}): Promise<void> {
  for (let n = 0; n < 4; n++) await dovecot.append(user, options.folder ?? 'Processed', fillerMail(`old-${user}-${n}`, 85_000));
  appendFileSync(join(dovecot.dir, 'dovecot.conf'), `${options.extra ?? ''}\n${quotaPlugin('300K')}`);
  await dovecot.restart();
}
