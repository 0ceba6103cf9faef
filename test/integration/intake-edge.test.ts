// Intake edge cases on real servers: an oversize mail is refused from its headers, an
// encrypted PDF gets a clear reply, and a mail seen before — the same Message-ID again,
// even after the mailbox was recreated with a new UIDVALIDITY — is never processed twice.
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { expect, it } from 'vitest';
import { countMessagesByOutcome } from '../../src/store/messages.ts';
import { listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, useWorld } from './world.ts';

const getWorld = useWorld();

const folderCount = async (folder: string) => (await getWorld().dovecot.list('sign', folder)).length;

async function deliverAndGetReply(raw: Buffer): Promise<string> {
  const before = getWorld().smtp.messages.length;
  await getWorld().dovecot.deliver('sign@corp.example', raw);
  await getWorld().smtp.waitFor(before + 1, 15_000);
  return (await simpleParser(getWorld().smtp.messages[before]!.raw)).text ?? '';
}

it('refuses an oversize mail with a reply naming the limit', async () => {
  const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2_200_000, 0x41)]);
  const text = await deliverAndGetReply(await buildMail({ subject: 'RITM0010001 big', text: 'Signer: Ann Lee <ann@example.com>', attachments: [{ filename: 'big.pdf', content: big }] }));
  expect(text).toMatch(/the mail is 2\.9 MB; the limit is 1\.9 MB: send a smaller PDF/);
  await waitUntil(getWorld().daemon!.events, async () => (await folderCount('Rejected')) === 1, { timeoutMs: 5_000, what: 'the big mail in Rejected' });
});

it('refuses a protected (encrypted) PDF and says to send one without protection', async () => {
  const text = await deliverAndGetReply(await buildMail({
    subject: 'RITM0010001 locked', text: 'Signer: Ann Lee <ann@example.com>',
    attachments: [{ filename: 'locked.pdf', content: readFileSync('fixtures/pdf/encrypted.pdf') }],
  }));
  expect(text).toMatch(/is protected \(encrypted.*save or print it to a PDF without protection and send that/s);
});

it('never processes the same mail twice, even after a UIDVALIDITY change', async () => {
  const raw = await buildMail({
    subject: 'RITM0010007 once only', text: 'Signer: Ann Lee <ann@example.com>',
    attachments: [{ filename: 'c.pdf', content: await contractPdf() }], messageId: '<once-only@corp.example>',
  });
  await getWorld().dovecot.deliver('sign@corp.example', raw);
  await waitUntil(getWorld().daemon!.events, () => listRequests(getWorld().daemon!.db, { state: 'sent' }).length === 1, { timeoutMs: 15_000, what: 'the first request sent' });

  // The same mail shows up again (a restore, a re-delivery)…
  await getWorld().dovecot.append('sign', 'INBOX', raw);
  await waitUntil(getWorld().daemon!.events, () => (countMessagesByOutcome(getWorld().daemon!.db, 'requests').duplicate ?? 0) === 1, { timeoutMs: 15_000, what: 'the copy recorded as a duplicate' });
  // …and again after the mailbox was recreated (new UIDVALIDITY: every stored UID is void).
  const { before, after } = await getWorld().dovecot.recreateMailbox('sign', 'INBOX');
  expect(after).not.toBe(before);
  await getWorld().dovecot.append('sign', 'INBOX', raw);
  await waitUntil(getWorld().daemon!.events, () => (countMessagesByOutcome(getWorld().daemon!.db, 'requests').duplicate ?? 0) === 2, { timeoutMs: 20_000, what: 'the second copy recorded as a duplicate' });

  await waitUntil(getWorld().daemon!.events, async () => (await folderCount('INBOX')) === 0, { timeoutMs: 5_000, what: 'INBOX empty' });
  expect(listRequests(getWorld().daemon!.db).filter((r) => r.subject.includes('once only'))).toHaveLength(1);
  expect(getWorld().simulator.calls.filter((c) => c.path.endsWith('/SmartTag/Send') && c.status === 200)).toHaveLength(1);
}, 180_000);

it('recognises a mail without a Message-ID by its content', async () => {
  const world = getWorld();
  const withId = await buildMail({ subject: 'RITM0010008 no id', text: 'Signer: Ann Lee <ann@example.com>', attachments: [{ filename: 'c.pdf', content: await contractPdf() }] });
  const raw = Buffer.from(withId.toString('latin1').replace(/^Message-ID: .*\r\n/im, ''), 'latin1');
  expect(raw.toString('latin1')).not.toMatch(/^Message-ID:/im);
  await world.dovecot.append('sign', 'INBOX', raw);
  await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db).some((r) => r.subject.includes('RITM0010008')), { timeoutMs: 15_000, what: 'the request' });
  const duplicatesBefore = countMessagesByOutcome(world.daemon!.db, 'requests').duplicate ?? 0;
  await world.dovecot.append('sign', 'INBOX', raw);
  await waitUntil(world.daemon!.events, () => (countMessagesByOutcome(world.daemon!.db, 'requests').duplicate ?? 0) === duplicatesBefore + 1, { timeoutMs: 15_000, what: 'the copy recorded as a duplicate' });
  expect(listRequests(world.daemon!.db).filter((r) => r.subject.includes('RITM0010008'))).toHaveLength(1);
}, 180_000);
