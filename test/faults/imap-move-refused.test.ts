// The IMAP server answers NO to the MOVE that files a mail — here Dovecot's ACL plugin
// without the insert right on Processed ("NO [NOPERM] Permission denied"), as a shared or
// managed mailbox, a quota or a server error would. imapflow answers such a MOVE with `false`
// and gives the server's reason only to its logger: the operator read "Could not move message
// UID 1 …" again and again, with no cause (mail-server review F6). Now the reason is in a
// warning naming both folders, and in the watcher's error. Whole daemon, real Dovecot.
import { appendFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { buildMail, contractPdf, reportOnFailure, startWorld, type World } from '../integration/world.ts';
import { waitFor } from '../support/wait-for.ts';
import { ACL_PLUGIN, writeAcl } from '../support/dovecot-config.ts';

let world: World;
const aclFile = () => `${world.dovecot.dir}/mail/sign/.Processed/dovecot-acl`;

beforeAll(async () => {
  world = await startWorld();
  appendFileSync(`${world.dovecot.dir}/dovecot.conf`, `\n${ACL_PLUGIN}\n`);
  await world.dovecot.restart();
  await world.dovecot.append('sign', 'Processed', 'Subject: seed\r\nMessage-ID: <seed@x>\r\n\r\nseed\r\n');
  writeAcl(aclFile(), 'lrswtekx'); // every right but insert (i)
  world.startDaemon({ messageRetry: { minDelayMs: 300, maxDelayMs: 1_000 } });
}, 60_000);
reportOnFailure(() => world);
afterAll(async () => world?.close());

it('a MOVE the server refuses is logged with the server\'s reason; the mail waits, and is filed once when the right is back', async () => {
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: 'Contract for RITM0010001', text: 'Signer: Ann Lee <ann.lee@example.com>', messageId: '<acl-move@corp.example>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  const entries = () => world.logs.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const refused = () => entries().filter((e) => e.message?.toString().startsWith('a mail could not be filed: the IMAP server refused the move'));
  await waitFor(() => refused().length >= 2 || undefined, { what: 'two refused moves', timeoutMs: 60_000 });
  expect(refused()[0]).toMatchObject({ level: 'warn', from: 'INBOX', to: 'Processed', server: expect.stringMatching(/^\[NOPERM\] Permission denied/) });
  expect(world.daemon!.requestWatcher.status().lastError?.message).toMatch(/^Could not move message UID 1 from "INBOX" to "Processed" \(the server said: \[NOPERM\] Permission denied/);
  // Nothing done twice meanwhile: one request, the mail still in INBOX.
  expect(listRequests(world.daemon!.db, {}).length).toBe(1);
  expect((await world.dovecot.list('sign', 'INBOX')).length).toBe(1);

  rmSync(aclFile());
  await waitFor(async () => ((await world.dovecot.list('sign', 'INBOX')).length === 0) || undefined, { what: 'the mail to leave INBOX', timeoutMs: 30_000 });
  expect((await world.dovecot.list('sign', 'Processed')).map((m) => m.messageId).sort()).toEqual(['<acl-move@corp.example>', '<seed@x>']);
  expect(listRequests(world.daemon!.db, {}).length).toBe(1);
});
