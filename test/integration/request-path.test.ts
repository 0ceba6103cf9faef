// The request path end to end on real servers: mail delivered over LMTP to Dovecot →
// signrelay's watcher → stamped → uploaded and sent to the Secured Signing simulator, or
// rejected with exactly one reply (none for a bounce).
import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { listEvents } from '../../src/store/events.ts';
import { getDocuments, listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { PROVIDER_NAMES } from '../../src/sandbox/simulated-provider.ts';
import { API_SECRET, IMAP_PASSWORD, buildMail, contractPdf, useWorld, type World } from './world.ts';

const inbox = (world: World) => world.dovecot.list('sign', 'INBOX');

// The request path runs once per provider: the same mail, the same guarantees.
describe.each(PROVIDER_NAMES)('%s: a good request', (provider) => {
  const getWorld = useWorld({ provider });
  const sentRequests = () => listRequests(getWorld().daemon!.db, { state: 'sent' });

  it('ends `sent`: uploaded and sent once, the provider asked for the signers in order and to return it to signrelay; the mail in Processed', async () => {
    const pdf = await contractPdf();
    // A year from today: a due date may be at most ten years away.
    const due = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    await getWorld().dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010001',
      text: `Hello,\n\nSigner: Ann Lee <ann.lee@example.com>\nSigner: Bob Stone <bob.stone@example.com>\nDue: ${due}\n`,
      attachments: [{ filename: 'contract.pdf', content: pdf }],
      messageId: '<good-1@corp.example>',
    }));
    await waitUntil(getWorld().daemon!.events, () => sentRequests().length === 1, { timeoutMs: 15_000, what: 'the request to be sent' });
    const [request] = sentRequests();
    expect(request).toMatchObject({ recordNumber: 'RITM0010001', recordTable: 'sc_req_item', dueDate: due, route: 'default', provider });
    const docs = getDocuments(getWorld().daemon!.db, request!.id);
    expect(docs[0]!.uploadName).toContain(request!.token);
    expect(getWorld().signing.asked({ providerOrderId: request!.providerOrderId, references: docs.map((d) => d.providerRef!) })).toEqual({
      signers: ['ann.lee@example.com', 'bob.stone@example.com'], returnAddresses: [`returns+${request!.token}@corp.example`],
    });
    expect(getWorld().signing.counts()).toMatchObject({ uploads: 1, sends: 1 });
    expect(listEvents(getWorld().daemon!.db, request!.id).map((e) => e.toState).filter(Boolean)).toEqual(['received', 'stamped', 'uploaded', 'sent']);
    await waitUntil(getWorld().daemon!.events, async () => (await getWorld().dovecot.list('sign', 'Processed')).length === 1, { timeoutMs: 5_000, what: 'the mail in Processed' });
    expect(await inbox(getWorld())).toHaveLength(0);
  });

  it('takes the route from the plus-address and its default signers', async () => {
    await getWorld().dovecot.deliver('sign+hr@corp.example', await buildMail({
      to: 'sign+hr@corp.example', subject: 'Offer letter HRC0001234', text: 'Please sign.',
      attachments: [{ filename: 'offer.pdf', content: await contractPdf('Offer letter') }],
    }));
    await waitUntil(getWorld().daemon!.events, () => sentRequests().some((r) => r.route === 'hr'), { timeoutMs: 15_000, what: 'the hr request to be sent' });
    const hr = sentRequests().find((r) => r.route === 'hr')!;
    expect(hr.signers).toEqual([{ firstName: 'Harriet', lastName: 'Ross', email: 'hr.director@corp.example' }]);
    expect(hr.recordTable).toBe('sn_hr_core_case');
  });
});

describe('with Secured Signing', () => {
  const getWorld = useWorld();

  it('stamps one [!Sign] tag per signer and the return tag with the token, as the simulator reads them', async () => {
    await getWorld().dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010002', text: 'Signer: Ann Lee <ann.lee@example.com>\nSigner: Bob Stone <bob.stone@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    }));
    await waitUntil(getWorld().daemon!.events, () => listRequests(getWorld().daemon!.db, { state: 'sent' }).length === 1, { timeoutMs: 15_000, what: 'the request to be sent' });
    const [request] = listRequests(getWorld().daemon!.db, { state: 'sent' });
    const stored = getWorld().simulator.documents.get(getDocuments(getWorld().daemon!.db, request!.id)[0]!.providerRef!);
    expect(stored?.tags.sign.map((t: { email: string }) => t.email)).toEqual(['ann.lee@example.com', 'bob.stone@example.com']);
    expect(stored?.tags.recipients.map((t: { email: string }) => t.email)).toEqual([`returns+${request!.token}@corp.example`]);
  });

  const cases: Array<[string, () => Promise<Buffer>]> = [
    ['no PDF', async () => buildMail({ subject: 'RITM0010001 no pdf', text: 'Signer: Ann Lee <ann@example.com>' })],
    ['a fake .pdf', async () => buildMail({ subject: 'RITM0010001 fake', text: 'Signer: Ann Lee <ann@example.com>', attachments: [{ filename: 'contract.pdf', content: Buffer.from('MZ this is an exe') }] })],
    ['a bad signer address', async () => buildMail({ subject: 'RITM0010001 bad signer', text: 'Signer: Ann Lee <ann-at-example>', attachments: [{ filename: 'c.pdf', content: await contractPdf() }] })],
    ['no record', async () => buildMail({ subject: 'please sign', text: 'Signer: Ann Lee <ann@example.com>', attachments: [{ filename: 'c.pdf', content: await contractPdf() }] })],
    ['an unknown route', async () => buildMail({ to: 'sign+nope@corp.example', subject: 'RITM0010001', text: 'Signer: Ann Lee <ann@example.com>', attachments: [{ filename: 'c.pdf', content: await contractPdf() }] })],
  ];

  it.each(cases)('%s ends in Rejected with exactly one reply', async (name, make) => {
    // The earlier requests' acknowledgements are out: the mails counted from here are this test's.
    await getWorld().daemon!.jobs.idle();
    const before = getWorld().smtp.messages.length;
    const rejectedBefore = (await getWorld().dovecot.list('sign', 'Rejected')).length;
    const raw = await make();
    const original = await simpleParser(raw);
    const rcpt = original.to && !Array.isArray(original.to) ? original.to.value[0]!.address! : 'sign@corp.example';
    await getWorld().dovecot.deliver(rcpt, raw);
    await getWorld().smtp.waitFor(before + 1, 15_000);
    await waitUntil(getWorld().daemon!.events, async () => (await getWorld().dovecot.list('sign', 'Rejected')).length === rejectedBefore + 1, { timeoutMs: 5_000, what: `${name} in Rejected` });
    const reply = await simpleParser(getWorld().smtp.messages[before]!.raw);
    expect(reply.inReplyTo).toBe(original.messageId);
    expect(reply.headers.get('auto-submitted')).toBe('auto-replied');
    expect(getWorld().smtp.messages[before]!.envelope.rcptTo.map((r: { address: string }) => r.address)).toEqual(['helen.officer@corp.example']);
    // A duplicate reply would be another mail job: none is left to run.
    await getWorld().daemon!.jobs.idle();
    expect(getWorld().smtp.messages.length).toBe(before + 1);
  });

  // outgoing review M2: the answer named sign@ and set it as Reply-To, so a requester's Reply
  // with the PDF became a default-route request — other signers, allow-list and record table.
  it('asks for a mail to a route\'s address again at that address, so a Reply with the fix keeps its route', async () => {
    await getWorld().daemon!.jobs.idle();
    const before = getWorld().smtp.messages.length;
    await getWorld().dovecot.deliver('sign+hr@corp.example', await buildMail({
      // Another requester: the tests above used up Helen's rejection replies of the hour.
      from: 'Omar Hill <omar.hill@corp.example>', to: 'sign+hr@corp.example', subject: 'Offer letter HRC0001240', text: 'Please sign.', messageId: '<forgot-pdf@corp.example>',
    }));
    await getWorld().smtp.waitFor(before + 1, 15_000);
    const answer = await simpleParser(getWorld().smtp.messages[before]!.raw);
    expect(answer.replyTo?.value.map((a) => a.address)).toEqual(['sign+hr@corp.example']);
    expect(answer.text).toContain('send the mail again to sign+hr@corp.example');
    expect(answer.text).toContain('To:         sign@corp.example, or sign+ROUTE@corp.example');

    await getWorld().dovecot.deliver('sign+hr@corp.example', await buildMail({
      from: 'Omar Hill <omar.hill@corp.example>', to: 'sign+hr@corp.example', subject: 'Re: Offer letter HRC0001240', text: 'Here it is.',
      headers: { 'In-Reply-To': answer.messageId!, References: `<forgot-pdf@corp.example> ${answer.messageId!}` },
      attachments: [{ filename: 'offer.pdf', content: await contractPdf('Offer letter') }],
    }));
    const fixed = await waitUntil(getWorld().daemon!.events, () => listRequests(getWorld().daemon!.db, { state: 'sent' }).find((r) => r.subject === 'Re: Offer letter HRC0001240'),
      { timeoutMs: 15_000, what: 'the fixed request to be sent' });
    expect(fixed).toMatchObject({ route: 'hr', signers: [{ email: 'hr.director@corp.example' }] });
  });

  it('a bounce ends in Rejected without any reply', async () => {
    await getWorld().daemon!.jobs.idle();
    const before = getWorld().smtp.messages.length;
    const rejectedBefore = (await getWorld().dovecot.list('sign', 'Rejected')).length;
    await getWorld().dovecot.deliver('sign@corp.example', await buildMail({
      from: 'Mail Delivery System <MAILER-DAEMON@mx.example.com>', subject: 'Undelivered Mail Returned to Sender', text: 'This is the mail system.',
    }), '');
    await waitUntil(getWorld().daemon!.events, async () => (await getWorld().dovecot.list('sign', 'Rejected')).length === rejectedBefore + 1, { timeoutMs: 15_000, what: 'the bounce in Rejected' });
    await getWorld().daemon!.jobs.idle();
    expect(getWorld().smtp.messages.length).toBe(before);
  });

  it('names in the acknowledgement an attachment that is not a PDF, which was not sent (multidoc review L4)', async () => {
    const world = getWorld();
    const before = world.smtp.messages.length;
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010009', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [
        { filename: 'contract.pdf', content: await contractPdf() },
        { filename: 'appendix.docx', content: Buffer.from('PK\u0003\u0004 word document', 'latin1'), contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
      ],
    }));
    const ack = await waitUntil(world.daemon!.events, () => world.smtp.messages.slice(before).find((m) => /^X-Signrelay: acknowledgement/im.test(m.raw.toString('latin1'))),
      { what: 'the acknowledgement' });
    const text = (await simpleParser(ack.raw)).text ?? '';
    expect(text).toContain('Documents:  contract.pdf');
    expect(text).toContain('Not sent:   appendix.docx (not PDFs: only PDFs are sent for signature)');
  });

  it('never writes a secret to the logs', () => {
    const all = getWorld().logs.join('');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(API_SECRET);
    expect(all).not.toContain(IMAP_PASSWORD);
  });
});
