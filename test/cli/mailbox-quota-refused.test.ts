// A full request account on a server that files by COPY (no MOVE) and reports no quota (quota
// review L1): the request mail is handled once, and its filing is refused with [OVERQUOTA] at
// every try. The watcher's warning names the quota and the fix, and the refusal raises the
// mailbox-full alert a quota read would have (mailbox-quota.test.ts) — before, no alert at all.
import { describe, expect, it } from 'vitest';
import { buildMail, contractPdf } from '../integration/world.ts';
import { useChildWorld } from './child-world.ts';
import { capabilitiesWithout } from '../support/dovecot-config.ts';
import { fillPastQuota } from '../support/full-account.ts';

const getWorld = useChildWorld();

describe('a full account that charges the filing', () => {
  it('the mail refused for the quota raises the mailbox-full alert, and the warning names the quota', async () => {
    const world = getWorld();
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract RITM0010007', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf('RITM0010007') }], messageId: '<quota-move-1@corp.example>',
    }));
    await fillPastQuota(world.dovecot, 'sign', { extra: capabilitiesWithout('MOVE') });
    const daemon = world.startDaemon();
    const alert = await daemon.waitForLog((l) => l.message === 'operator alert' && l.alert === 'mailbox-full', 60_000);
    expect(alert.subject).toBe('the IMAP account sign on 127.0.0.1 is full');
    const refused = daemon.logLines().find((l) => String(l.message).startsWith('a mail could not be filed'));
    expect(refused?.message).toBe('a mail could not be filed: the IMAP account is over its quota; expire old mail from the folders signrelay files into, or raise the quota');
    // No quota read told it: the server reports none.
    expect(daemon.logLines().filter((l) => String(l.message).startsWith('the IMAP account is'))).toEqual([]);
    expect((await world.folder('INBOX')).map((m) => m.messageId)).toEqual(['<quota-move-1@corp.example>']);
  }, 150_000);
});
