// What the instance says of the record a request names, and what the operators and the
// requester are told (ServiceNow review M1, M2). On a REST route a record the instance did
// not show was found missing only once signed: the signers signed a document that could go
// nowhere, and the requester never heard. It is asked at intake now, as on an email route;
// when the instance cannot be asked then, the record is looked up when the request's record
// updates start, and a record it does not show is alerted as what it is (the delivery fails
// too). On an email route a number two records carry was "taken as written", and the signed
// mail filed on neither (or on either) while signrelay said delivered.
import { describe, expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { ALERTS_TO, buildMail, contractPdf, type World } from './world.ts';
import { useRecordWorld } from './record-world.ts';

const alertsAbout = (world: World, id: string) => world.smtp.messages
  .filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO) && `${m.parsed?.subject ?? ''}${m.parsed?.text ?? ''}`.includes(id));

async function mailRequest(world: World, subject: string, to = 'sign@corp.example'): Promise<void> {
  await world.dovecot.deliver(to, await buildMail({
    to, subject, text: 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
}

describe('the named record', () => {
  const getWorld = useRecordWorld();

  const replyAfter = (world: World, before: number) => waitUntil(world.daemon!.events,
    () => world.smtp.messages.slice(before).find((m) => /^X-Signrelay: reply/im.test(m.raw.toString('latin1'))), { timeoutMs: 20_000, what: 'the rejection' });

  it('REST route: a number the instance does not show is refused before anything is sent, with what to check', async () => {
    const world = getWorld();
    const before = world.smtp.messages.length;
    const uploads = world.signing.counts().uploads;
    await mailRequest(world, 'Contract for RITM0099997'); // a typo: no such record on the instance
    const reply = await replyAfter(world, before);
    expect(reply.parsed?.text).toContain('the ServiceNow instance shows signrelay no RITM0099997 (in sc_req_item): check the record number');
    expect(reply.parsed?.text).toContain('give it read on sc_req_item');
    expect(listRequests(world.daemon!.db).some((r) => r.recordNumber === 'RITM0099997' && r.state !== 'rejected')).toBe(false);
    expect(world.signing.counts().uploads).toBe(uploads);
  });

  it('REST route: a record named by a sys_id the instance does not show is refused too', async () => {
    const world = getWorld();
    const before = world.smtp.messages.length;
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      to: 'sign@corp.example', subject: 'Contract', text: `Record: sc_req_item/${'ab'.repeat(16)}\nSigner: Ann Lee <ann.lee@example.com>`,
      attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    }));
    const reply = await replyAfter(world, before);
    expect(reply.parsed?.text).toContain(`the ServiceNow instance shows signrelay no sc_req_item/${'ab'.repeat(16)} (in sc_req_item)`);
  });

  it('REST route: two records of one number are refused, with how to name the one meant', async () => {
    const world = getWorld();
    world.servicenow.addRecord({ table: 'sc_req_item', number: 'RITM0077002' });
    world.servicenow.addRecord({ table: 'sc_req_item', number: 'RITM0077002' });
    const before = world.smtp.messages.length;
    await mailRequest(world, 'Contract for RITM0077002');
    const reply = await replyAfter(world, before);
    expect(reply.parsed?.text).toContain('more than one ServiceNow record in sc_req_item carries the number RITM0077002');
    expect(reply.parsed?.text).toContain('Record: TABLE/SYS_ID');
  });

  it('REST route: a record the instance could not be asked about at intake, and does not show later, is alerted as what it is — the signed document cannot reach it either', async () => {
    const world = getWorld();
    // The instance down when the mail is read: the number is taken as written.
    world.servicenow.failNext('/api/now/table/sc_req_item', { status: 503 });
    await mailRequest(world, 'Contract for RITM0099999');
    const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0099999'),
      { timeoutMs: 20_000, what: 'the request sent' });
    const alert = await waitUntil(world.daemon!.events, () => alertsAbout(world, request.id)[0], { timeoutMs: 15_000, what: 'the record alert' });
    expect(alert.parsed?.subject).toContain(`ServiceNow shows signrelay no record RITM0099999 (request ${request.id})`);
    expect(alert.parsed?.text).toContain('no record RITM0099999 in sc_req_item');
    expect(alert.parsed?.text).toContain('The signed document cannot be attached to it either');
    expect(alert.parsed?.text).not.toContain('a signed document is still attached');
  });

  it('email route: a number two records carry is refused, with what to do instead', async () => {
    const world = getWorld();
    world.servicenow.addRecord({ table: 'incident', number: 'INC0077001' });
    world.servicenow.addRecord({ table: 'incident', number: 'INC0077001' });
    const before = world.smtp.messages.length;
    await mailRequest(world, 'Contract for INC0077001', 'sign+mail@corp.example');
    const reply = await replyAfter(world, before);
    expect(reply.parsed?.text).toContain('more than one ServiceNow record in incident carries the number INC0077001');
    expect(listRequests(world.daemon!.db).some((r) => r.recordNumber === 'INC0077001' && r.state !== 'rejected')).toBe(false);
  });
});
