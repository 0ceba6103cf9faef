// PDFs whose pages are not what their readers show (test/pdf/real-pdf-shapes.test.ts), mailed
// in on real servers: the requester gets one reply naming the problem and what to send
// instead, and nothing reaches the signing service.
import { simpleParser } from 'mailparser';
import { expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { portfolio, xfaForm } from '../pdf/real-pdf-fixtures.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, useWorld } from './world.ts';

const getWorld = useWorld();

it.each([
  ['a dynamic XFA form', 'RITM0010001', 'hr-form.pdf', () => xfaForm('dynamic'), /hr-form\.pdf is an XFA form .*Fill it in, then print it to PDF .*and send that/s],
  ['a PDF portfolio', 'RITM0010002', 'contract-pack.pdf', portfolio, /contract-pack\.pdf is a PDF portfolio: .*Attach the documents in it as separate PDFs, or combine them into one ordinary PDF/s],
] as const)('refuses %s with one reply saying what to send instead', async (_name, record, fileName, make, words) => {
  const world = getWorld();
  const before = world.smtp.messages.length;
  const rejected = (await world.dovecot.list('sign', 'Rejected')).length;
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: `Please sign ${record}`, text: 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: fileName, content: Buffer.from(await make()) }],
  }));
  await world.smtp.waitFor(before + 1, 30_000);
  const reply = await simpleParser(world.smtp.messages[before]!.raw);
  expect(reply.text ?? '').toMatch(words);
  await waitUntil(world.daemon!.events, async () => (await world.dovecot.list('sign', 'Rejected')).length === rejected + 1, { timeoutMs: 10_000, what: `the ${record} mail in Rejected` });
  expect(listRequests(world.daemon!.db).filter((r) => r.subject.includes(record)).map((r) => r.state)).toEqual(['rejected']);
  expect(world.simulator.calls.filter((c) => c.path.includes('/Document/Uploader') || c.path.endsWith('/SmartTag/Send'))).toEqual([]);
});
