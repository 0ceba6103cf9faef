// On a route that delivers by email, the instance files the signed mail by its subject's
// number only when that number matches a record; otherwise it goes on to In-Reply-To, and
// then takes the mail as new (its default action opens an incident holding the signed PDF).
// The request mail's Message-ID is its sender's to choose: copied into the delivery mail's
// In-Reply-To, a notification's Message-ID about another record filed the signed document
// there — on a table signrelay does not deliver to — while the requester was told it was on
// the record they named (security review 5, H1). So a number the instance does not hold is
// refused at intake, a record named only by sys_id too, and the delivery mail threads to nothing.
import { describe, expect, it } from 'vitest';
import { REQUESTS_MAILBOX } from '../../src/intake/process-request-mail.ts';
import { findMessageById } from '../../src/store/messages.ts';
import { getDocuments, getRequest, listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, INSTANCE_ADDRESS, useWorld, type World } from '../integration/world.ts';

const getWorld = useWorld();

async function mailRequest(world: World, messageId: string, record: string): Promise<void> {
  await world.dovecot.deliver('sign+mail@corp.example', await buildMail({
    to: 'sign+mail@corp.example', subject: 'Contract, please sign', messageId,
    text: `Record: ${record}\nSigner: Ann Lee <ann.lee@example.com>`,
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
}

const filed = (world: World, messageId: string) => waitUntil(world.daemon!.events, () => {
  const row = findMessageById(world.daemon!.db, REQUESTS_MAILBOX, messageId);
  return row?.movedAt ? row : undefined;
}, { timeoutMs: 20_000, what: `${messageId} filed` });

describe('delivery: email, the record the request names', () => {
  it('a number the instance does not hold is refused before anything is sent, with a reply saying so — also with another record\'s notification as its Message-ID', async () => {
    const world = getWorld();
    const change = world.servicenow.addRecord({ table: 'change_request', number: 'CHG0030001' });
    const notificationId = '<notification.chg0030001.4711@service-now.com>';
    world.servicenow.registerSentMail(notificationId, 'change_request', change.sysId);
    const uploads = world.signing.counts();
    await mailRequest(world, notificationId, 'RITM0099999');
    const row = await filed(world, notificationId);
    expect(row.folder).toBe('Rejected');
    expect(row.reason).toContain('the ServiceNow instance shows signrelay no RITM0099999 (in sc_req_item): check the record number');
    const reply = await world.smtp.waitFor((m) => m.parsed?.inReplyTo === notificationId, 15_000);
    expect(reply.parsed!.text).toContain('shows signrelay no RITM0099999');
    expect(world.signing.counts()).toEqual(uploads);
    expect(change.attachments).toEqual([]);
  });

  it('a record named only by table/sys_id is refused: a mail names a record by its number', async () => {
    const world = getWorld();
    const id = '<by-sys-id.1@corp.example>';
    await mailRequest(world, id, 'sc_req_item/0123456789abcdef0123456789abcdef');
    expect((await filed(world, id)).reason).toContain('this route delivers the signed document by mail, which the instance files by the record\'s number');
  });

  it('a number it holds is sent, and the mail that delivers the signed copy threads to no mail (its subject decides)', async () => {
    const world = getWorld();
    const change = world.servicenow.addRecord({ table: 'change_request', number: 'CHG0030002' });
    const notificationId = '<notification.chg0030002.4712@service-now.com>';
    world.servicenow.registerSentMail(notificationId, 'change_request', change.sysId);
    await mailRequest(world, notificationId, 'RITM0010004');
    const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.messageId === notificationId), { timeoutMs: 30_000, what: 'the request sent' });
    await world.signing.signAll({ providerOrderId: request.providerOrderId, references: getDocuments(world.daemon!.db, request.id).map((d) => d.providerRef!) });
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)!.state === 'delivered', { timeoutMs: 60_000, what: 'delivered' });
    const delivery = await world.smtp.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === INSTANCE_ADDRESS) && /RITM0010004 signed/.test(m.parsed?.subject ?? ''), 30_000);
    expect(delivery.parsed!.inReplyTo).toBeUndefined();
    expect(delivery.parsed!.references).toBeUndefined();
    const processed = await world.servicenow.inbound!.waitFor((m) => m.messageId === delivery.parsed!.messageId, 30_000);
    expect(processed.record?.number).toBe('RITM0010004');
    expect(change.attachments).toEqual([]);
  });
});
