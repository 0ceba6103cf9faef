// A UID is one mail only within one folder of one account and one UIDVALIDITY, and another
// folder's UIDVALIDITY may be the same (Dovecot's is the folder's creation time; other servers
// count from 1). Mail was keyed by mailbox, UIDVALIDITY and UID alone: a watcher pointed at
// another folder with the same UIDVALIDITY took its first mail for the one filed before under
// that UID and moved it to Processed unread — a request lost without a word. Now every record
// of a mail is keyed by its place (account, folder, UIDVALIDITY: mail/message-place.ts).
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, sendRequest, useWorld } from './world.ts';

const getWorld = useWorld();

describe('the request mailbox pointed at another folder with the same UIDVALIDITY', () => {
  it('takes the new folder\'s first mail as a new request, not as the old folder\'s mail of the same UID', async () => {
    const world = getWorld();
    await sendRequest(world, 'RITM0010001'); // INBOX, UID 1
    const inbox = await world.dovecot.uidValidity('sign', 'INBOX');
    await world.dovecot.setUidValidity('sign', 'Signing', inbox);
    await world.dovecot.append('sign', 'Signing', await buildMail({
      subject: 'Contract for RITM0010002', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    }));
    expect(await world.dovecot.uidValidity('sign', 'Signing')).toBe(inbox);
    expect((await world.dovecot.list('sign', 'Signing')).map((m) => m.uid)).toEqual([1]);

    await world.stopDaemon();
    world.config = configSchema.parse({ ...world.config, mailboxes: { ...world.config.mailboxes, requests: { ...world.config.mailboxes.requests, folder: 'Signing' } } });
    world.startDaemon();
    const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010002'),
      { what: 'the new folder\'s mail sent for signing', describe: () => world.daemon!.db.prepare("SELECT uid_validity, uid, outcome, reason FROM messages WHERE mailbox = 'requests'").all() });
    expect(request.subject).toBe('Contract for RITM0010002');
    expect(world.daemon!.db.prepare("SELECT uid_validity AS place, uid FROM messages WHERE mailbox = 'requests' ORDER BY seen_at").all()).toEqual([
      { place: `imap://sign@127.0.0.1/INBOX;UIDVALIDITY=${inbox}`, uid: 1 },
      { place: `imap://sign@127.0.0.1/Signing;UIDVALIDITY=${inbox}`, uid: 1 },
    ]);
  });
});
