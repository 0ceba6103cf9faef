// What a watcher reads of an account under several quota roots or a message limit (diff review
// 26 M1, L1), and what it says of it (M2): Dovecot's documented User quota + Domain quota
// answers GETQUOTAROOT with a QUOTA response per root — imapflow's getQuota keeps the last one
// only, the roomy domain's. A mail bounces at the first limit it meets, so the fullest of every
// root's STORAGE and MESSAGE is the account's. Below its limit the server still takes what
// fits (Dovecot adds a 10 % grace): at 97 % the words say the larger mails bounce first.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createImapClient } from '../../src/mail/imap-client.ts';
import { readQuota } from '../../src/mail/read-quota.ts';
import { quotaLevel } from '../../src/mail-quota.ts';
import type { WatcherQuota } from '../../src/mail/imap-watcher.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { quotaPlugin } from '../support/dovecot-config.ts';
import { fillerMail } from '../support/full-account.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { nextEvent, waitFor } from '../support/wait-for.ts';
import { stopAllWatchers, testMail, watch } from './watcher-harness.ts';

const PASSWORD = 'roots-pass-4411';
let roots: DovecotHandle;
let counted: DovecotHandle;

beforeAll(async () => {
  // 1 MB per user, 100 MB for the domain; and, on another server, at most 5 mails.
  [roots, counted] = await Promise.all([
    startDovecot({ users: { full: PASSWORD }, extraConfig: quotaPlugin('1M', '  quota2 = count:Domain quota\n  quota2_rule = *:storage=100M\n') }),
    startDovecot({ users: { counted: PASSWORD }, extraConfig: quotaPlugin('100M:messages=5') }),
  ]);
  await roots.append('full', 'Processed', fillerMail('filed-full', 1_015_000));
  for (let n = 0; n < 5; n++) await counted.append('counted', 'Processed', fillerMail(`filed-${n}`, 1_000));
});
afterEach(stopAllWatchers);
afterAll(async () => Promise.all([roots?.stop(), counted?.stop()]));

describe('several quota roots', () => {
  it('readQuota judges the 97 % User quota, not the Domain quota the server names after it', async () => {
    const client = createImapClient({ host: roots.host, port: roots.imapPort, tls: false, tls_verify: true, user: 'full', password: PASSWORD }, createTestLogger('warn').logger);
    await client.connect();
    try {
      const reading = await readQuota(client, 'INBOX');
      expect(reading).toEqual({ kind: 'usage', usage: { resource: 'storage', used: expect.any(Number), limit: 1024 * 1024, root: 'User quota' } });
      if (reading.kind === 'usage') expect(quotaLevel(reading.usage)).toBe('full');
    } finally {
      await client.logout();
    }
  });

  it('the watcher tells it as full, in words true at 97 %: a 40 KB request mail is still delivered and handed over', async () => {
    const harness = watch(roots, 'full', PASSWORD);
    const [read, level] = await nextEvent<[WatcherQuota, string]>((fn) => harness.watcher.on('quota', fn), { what: 'the quota read' });
    expect(level).toBe('full');
    expect(read).toMatchObject({ resource: 'storage', limit: 1024 * 1024, root: 'User quota' });
    const told = harness.log.entries.filter((e) => String(e.message).startsWith('the IMAP account is full'));
    expect(told).toEqual([expect.objectContaining({ level: 'error', quotaRoot: 'User quota', quota: expect.stringMatching(/^storage \d\.\d MB of 1\.0 MB \(9\d %\)$/) })]);
    expect(String(told[0]!.message)).toMatch(/^the IMAP account is full: request mails will bounce back to their requesters, and signrelay never sees them: the larger ones first .*every one once the account reaches it;/);
    expect(String(told[0]!.message)).not.toMatch(/refuses new mail|each request mail bounces/);

    await roots.deliver('full@corp.example', testMail('small-at-97', { body: `${'y'.repeat(76)}\r\n`.repeat(520) }));
    await waitFor(() => harness.calls.some((c) => c.messageId === '<small-at-97@test.example>'), { what: 'the 40 KB mail handed over' });
  });
});

describe('a message limit', () => {
  it('an account at its 5 mails is full, named by its message count', async () => {
    await expect(counted.deliver('counted@corp.example', testMail('bounced'))).rejects.toThrow(/552 .*[Qq]uota/);
    const harness = watch(counted, 'counted', PASSWORD);
    const [read, level] = await nextEvent<[WatcherQuota, string]>((fn) => harness.watcher.on('quota', fn), { what: 'the quota read' });
    expect(level).toBe('full');
    expect(read).toMatchObject({ resource: 'messages', used: 5, limit: 5 });
    expect(harness.log.entries.filter((e) => String(e.message).startsWith('the IMAP account is full'))).toEqual([
      expect.objectContaining({ quota: 'messages 5 of 5 (100 %)' }),
    ]);
  });
});
