// The server carried out a MOVE but its answer never came back (the connection died in
// between: a server restart, a dropped link). The mail is in Processed, yet the watcher never
// heard so. The next connection's catch-up must notice that the mail it handled has left the
// folder and record it as filed — the record and the daemon's `mail` event say where every
// mail went — without handing it over or moving it again.
import { expect, it } from 'vitest';
import { findMessageById } from '../../src/store/messages.ts';
import { listRequests } from '../../src/store/requests.ts';
import { waitForEvent } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf } from '../integration/world.ts';
import { daemonLog, useProxiedWorld } from './imap-fault-world.ts';

const MESSAGE_ID = '<lost-move-answer@corp.example>';
/** Set by the test: freeze the request connection right after the next MOVE went up to Dovecot. */
let freezeAfterMove = false;
let frozen = false;

const get = useProxiedWorld({
  tap(chunk, direction) {
    if (!freezeAfterMove || direction !== 'up' || !/^\S+ UID MOVE /m.test(chunk.toString('latin1'))) return;
    freezeAfterMove = false;
    get().proxy.freeze();
    frozen = true;
  },
});

it('records a mail as filed when its MOVE was carried out but the answer was lost, and moves nothing twice', async () => {
  const { world, proxy } = get();
  freezeAfterMove = true;
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: 'RITM0010001 contract', text: 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }], messageId: MESSAGE_ID,
  }));
  // The MOVE reached Dovecot, which moved the mail; its answer is held at the frozen proxy.
  const inProcessed = () => world.dovecot.list('sign', 'Processed').then((mails) => mails.filter((m) => m.messageId === MESSAGE_ID));
  await waitFor(async () => frozen && (await inProcessed()).length === 1, { what: 'Dovecot to carry out the frozen MOVE', timeoutMs: 30_000 });
  expect(findMessageById(world.daemon!.db, 'requests', MESSAGE_ID)).toMatchObject({ outcome: 'request', folder: 'Processed', movedAt: null });

  const filed = waitForEvent(world.daemon!.events, 'mail', (mail) => mail.messageId === MESSAGE_ID, { what: `the "mail" event of ${MESSAGE_ID}` });
  proxy.sever();
  const [mail] = (await filed)!;
  expect(mail).toMatchObject({ mailbox: 'requests', folder: 'Processed', outcome: 'request' });
  expect(findMessageById(world.daemon!.db, 'requests', MESSAGE_ID)?.movedAt).not.toBeNull();
  expect(daemonLog(world).filter((line) => line.message === 'mail left its folder by a move whose answer was lost; recorded as filed'))
    .toEqual([expect.objectContaining({ mailbox: 'requests', folder: 'Processed', messageId: MESSAGE_ID })]);
  // Handled once, in one folder once.
  expect(world.daemon!.requestWatcher.status().reconnects).toBeGreaterThanOrEqual(1);
  expect(listRequests(world.daemon!.db)).toHaveLength(1);
  expect(await inProcessed()).toHaveLength(1);
  expect(await world.dovecot.list('sign', 'INBOX')).toEqual([]);
});
