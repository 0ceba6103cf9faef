// "Send for signature" clicked twice — two agents, or one who clicks again before the record
// shows the request sent — started two signing rounds of the same PDF on the same record,
// the signers invited twice; on an email route (HR cases) the status field the button's
// condition reads is never set, so every click did (ServiceNow review M4). The same document
// for the same record, while a request of it is at work, is refused now.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import type { SimRecord } from '../../src/sandbox/servicenow/instance.ts';
import { getDocuments, listRequests } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { AGENT_PASSWORD, AGENT_USER, buildMail, contractPdf, INSTANCE_ADDRESS, startWorld, type World } from './world.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld({ updateSet: true });
  const routes = world.config.routes;
  world.config = configSchema.parse({
    ...world.config,
    servicenow: { ...world.config.servicenow, status_field: 'u_signature_status' },
    routes: { ...routes, default: { ...routes.default!, allowed_senders: ['*@corp.example', INSTANCE_ADDRESS] }, hr: { ...routes.hr!, allowed_senders: [INSTANCE_ADDRESS], delivery: 'email', notify_requester: false } },
  });
  world.startDaemon();
}, 60_000);
afterAll(async () => {
  await world?.close();
});

async function click(record: SimRecord) {
  const action = world.servicenow.updateSet!.uiActions.find((a) => a.table === record.table)!;
  const url = `${world.servicenow.url}/api/now/ui/ui_action/${action.sysId}?sysparm_table=${record.table}&sysparm_sys_id=${record.sysId}`;
  return fetch(url, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${AGENT_USER}:${AGENT_PASSWORD}`).toString('base64')}`, Accept: 'application/json' } });
}

const requestsFor = (number: string) => listRequests(world.daemon!.db).filter((r) => r.recordNumber === number);
/** The click's mail refused at intake, as filed: its outcome and reason. */
const refusedMails = (number: string) => (world.daemon!.db.prepare("SELECT reason FROM messages WHERE outcome = 'rejected' AND reason LIKE ?").pluck().all(`%already out for signing for ${number}%`) as string[]);

describe('Send for signature clicked twice', () => {
  it('back to back on a requested item: one request goes to the signers, the other is refused', async () => {
    const record = world.servicenow.addRecord({ table: 'sc_req_item', number: 'RITM0030001', fields: { requested_for: 'a1', 'requested_for.name': 'Ann Lee', 'requested_for.email': 'ann.lee@example.com' } });
    world.servicenow.attachFile('sc_req_item', record.sysId, { fileName: 'agreement.pdf', contentType: 'application/pdf', bytes: Buffer.from(await contractPdf('Agreement RITM0030001')) });
    expect((await click(record)).status).toBe(200);
    expect((await click(record)).status).toBe(200);
    const refused = await waitFor(() => refusedMails('RITM0030001')[0], { what: 'the second click refused', describe: () => requestsFor('RITM0030001').map((r) => [r.state, r.reason]) });
    const sent = await waitFor(() => requestsFor('RITM0030001').find((r) => r.state === 'sent'), { what: 'the first sent' });
    expect(refused).toContain(`this document is already out for signing for RITM0030001 (request ${sent.id},`);
    expect(requestsFor('RITM0030001').filter((r) => r.state !== 'rejected')).toHaveLength(1);
  });

  it('an HR case on an email route, clicked again while out for signature: refused', async () => {
    const record = world.servicenow.addRecord({ table: 'sn_hr_core_case', number: 'HRC0030001', fields: { subject_person: 'b2', 'subject_person.name': 'Bob Stone', 'subject_person.email': 'bob.stone@corp.example' } });
    world.servicenow.attachFile('sn_hr_core_case', record.sysId, { fileName: 'offer.pdf', contentType: 'application/pdf', bytes: Buffer.from(await contractPdf('Offer HRC0030001')) });
    expect((await click(record)).status).toBe(200);
    await waitFor(() => requestsFor('HRC0030001').find((r) => r.state === 'sent'), { what: 'the first request sent' });
    expect((await click(record)).status).toBe(200);
    const refused = await waitFor(() => refusedMails('HRC0030001')[0], { what: 'the second refused' });
    expect(refused).toContain('this document is already out for signing for HRC0030001');
    expect(requestsFor('HRC0030001').filter((r) => r.state === 'sent')).toHaveLength(1);
  });

  it('sent again after its first request was signed and failed on its way to the record: refused, told a retry delivers it (diff review 22 L3)', async () => {
    world.servicenow.addRecord({ table: 'sc_req_item', number: 'RITM0030003' });
    world.servicenow.forbidTable('sc_req_item');
    const contract = await contractPdf('Contract RITM0030003');
    const mail = (messageId: string) => buildMail({ subject: 'Contract for RITM0030003', text: 'Signer: Ann Lee <ann.lee@example.com>', messageId, attachments: [{ filename: 'contract.pdf', content: contract }] });
    try {
      await world.dovecot.deliver('sign@corp.example', await mail('<first-30003@corp.example>'));
      const sent = await waitFor(() => requestsFor('RITM0030003').find((r) => r.state === 'sent'), { what: 'the first request sent' });
      await world.simulator.complete(getDocuments(world.daemon!.db, sent.id)[0]!.providerRef!);
      await waitFor(() => requestsFor('RITM0030003').find((r) => r.id === sent.id && r.state === 'failed'), { what: 'the delivery to fail on the forbidden table' });
    } finally {
      world.servicenow.allowTable('sc_req_item');
    }
    await world.dovecot.deliver('sign@corp.example', await mail('<again-30003@corp.example>'));
    const refused = await waitFor(() => (world.daemon!.db.prepare("SELECT reason FROM messages WHERE outcome = 'rejected' AND reason LIKE ?").pluck().all('%RITM0030003%') as string[])[0], { what: 'the second mail refused' });
    expect(refused).toContain('this document is already signed for RITM0030003');
    expect(refused).toContain('their retry delivers the signed copy');
  });

  it('a mail of two PDFs, one of them out already: the refusal names that one and says the other may go on its own', async () => {
    world.servicenow.addRecord({ table: 'sc_req_item', number: 'RITM0030002' });
    const contract = await contractPdf('Contract RITM0030002');
    const mail = (messageId: string, attachments: Array<{ filename: string; content: Uint8Array }>) => buildMail({ subject: 'Contract for RITM0030002', text: 'Signer: Ann Lee <ann.lee@example.com>', messageId, attachments });
    await world.dovecot.deliver('sign@corp.example', await mail('<first-30002@corp.example>', [{ filename: 'contract.pdf', content: contract }]));
    const sent = await waitFor(() => requestsFor('RITM0030002').find((r) => r.state === 'sent'), { what: 'the first request sent' });
    await world.dovecot.deliver('sign@corp.example', await mail('<second-30002@corp.example>', [{ filename: 'annex.pdf', content: await contractPdf('Annex RITM0030002') }, { filename: 'contract-final.pdf', content: contract }]));
    const refused = await waitFor(() => refusedMails('RITM0030002')[0], { what: 'the second mail refused' });
    expect(refused).toContain(`contract-final.pdf is already out for signing for RITM0030002 (request ${sent.id},`);
    expect(refused).toContain('or send the others in a mail without it');
    expect(refused).not.toContain('annex.pdf');
  });
});
