// What the instance says of the record a request names, and what the operators and the
// requester are told (ServiceNow review M1, M2). On a REST route the record is looked up when
// the request's record updates start: a record the instance does not show was alerted as
// "a signed document is still attached and the request goes on" — false, the delivery fails
// too. On an email route a number two records carry was "taken as written", and the signed
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

  it('REST route: a record the instance does not show is alerted as what it is — the signed document cannot reach it either', async () => {
    const world = getWorld();
    await mailRequest(world, 'Contract for RITM0099999'); // a typo: no such record on the instance
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
    const reply = await waitUntil(world.daemon!.events, () => world.smtp.messages.slice(before).find((m) => /^X-Signrelay: reply/im.test(m.raw.toString('latin1'))),
      { timeoutMs: 20_000, what: 'the rejection' });
    expect(reply.parsed?.text).toContain('more than one ServiceNow record in incident carries the number INC0077001');
    expect(listRequests(world.daemon!.db).some((r) => r.recordNumber === 'INC0077001' && r.state !== 'rejected')).toBe(false);
  });
});
