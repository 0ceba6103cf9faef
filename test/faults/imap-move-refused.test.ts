// The IMAP server answers NO to the MOVE that files a mail — here Dovecot's ACL plugin
// without the insert right on Processed ("NO [NOPERM] Permission denied"), as a shared or
// managed mailbox, a quota or a server error would. imapflow answers such a MOVE with `false`
// and gives the server's reason only to its logger: the operator read "Could not move message
// UID 1 …" again and again, with no cause (mail-server review F6). Now the reason is in a
// warning naming both folders, and in the watcher's error. Whole daemon, real Dovecot.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { reportOnFailure, type World } from '../integration/world.ts';
import { waitFor } from '../support/wait-for.ts';
import { deliverRequest, logEntries, startAclWorld } from './acl-world.ts';

let world: World;
let aclFile: string;

beforeAll(async () => {
  ({ world, aclFile } = await startAclWorld({ folder: 'Processed', rights: 'lrswtekx' })); // every right but insert (i)
});
reportOnFailure(() => world);
afterAll(async () => world?.close());

it('a MOVE the server refuses is logged with the server\'s reason; the mail waits, and is filed once when the right is back', async () => {
  await deliverRequest(world, '<acl-move@corp.example>');
  const entries = () => logEntries(world);
  const refused = () => entries().filter((e) => e.message?.toString().startsWith('a mail could not be filed: the IMAP server refused the move'));
  await waitFor(() => refused().length >= 2 || undefined, { what: 'two refused moves', timeoutMs: 60_000 });
  expect(refused()[0]).toMatchObject({ level: 'warn', from: 'INBOX', to: 'Processed', server: expect.stringMatching(/^\[NOPERM\] Permission denied/) });
  expect(world.daemon!.requestWatcher.status().lastError?.message).toMatch(/^Could not move message UID 1 from "INBOX" to "Processed" \(the server said: \[NOPERM\] Permission denied/);
  // Nothing done twice meanwhile: one request, the mail still in INBOX.
  expect(listRequests(world.daemon!.db, {}).length).toBe(1);
  expect((await world.dovecot.list('sign', 'INBOX')).length).toBe(1);

  rmSync(aclFile);
  await waitFor(async () => ((await world.dovecot.list('sign', 'INBOX')).length === 0) || undefined, { what: 'the mail to leave INBOX', timeoutMs: 30_000 });
  expect((await world.dovecot.list('sign', 'Processed')).map((m) => m.messageId).sort()).toEqual(['<acl-move@corp.example>', '<seed@x>']);
  expect(listRequests(world.daemon!.db, {}).length).toBe(1);
});
