// A request that starts on the record: an agent clicks the shipped update set's "Send for
// signature" (deploy/servicenow/) in the ServiceNow simulator, the instance's notification
// mails the record's PDF to the request mailbox (real Dovecot), signrelay sends it for
// signing, and the signed PDF ends on the same record — by the REST Attachment API
// (sc_req_item, route default) or by mail through the update set's inbound action
// (sn_hr_core_case, route hr with delivery: email) — exactly once. And a record field that
// is anyone's text cannot add a signer, a tag or a recipient. Once per provider.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import type { SimRecord } from '../../src/sandbox/servicenow/instance.ts';
import { PROVIDER_NAMES } from '../../src/sandbox/simulated-provider.ts';
import type { ProviderName } from '../../src/providers/provider.ts';
import { getDocuments, getRequest, listRequests, type RequestRow } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { AGENT_PASSWORD, AGENT_USER, ALERTS_TO, buildMail, contractPdf, DELIVERY_USER, INSTANCE_ADDRESS, SN_PASSWORD, SN_USER, startWorld, type World } from './world.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let world: World;

/** A world whose routes take the instance's notifications, per provider. */
function useServiceNowWorld(provider: ProviderName): void {
  beforeAll(async () => {
    world = await startWorld({ updateSet: true, provider });
    // The routes the shipped notifications address: sign@ (default) and sign+hr@ (hr), each
    // taking the instance's notifications; hr delivers by mail, through the inbound action.
    const routes = world.config.routes;
    world.config = {
      ...world.config,
      routes: {
        ...routes,
        default: { ...routes.default!, allowed_senders: ['*@corp.example', INSTANCE_ADDRESS] },
        hr: { ...routes.hr!, allowed_senders: [INSTANCE_ADDRESS], delivery: 'email', notify_requester: false },
      },
    };
    world.startDaemon();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });
}

/** A record the agent has attached a contract to. */
async function recordWithPdf(table: string, number: string, person: Record<string, string>): Promise<{ record: SimRecord; pdf: Uint8Array }> {
  const record = world.servicenow.addRecord({ table, number, fields: { short_description: 'Contractor agreement', ...person } });
  const pdf = await contractPdf(`Agreement ${number}`);
  world.servicenow.attachFile(table, record.sysId, { fileName: 'agreement.pdf', contentType: 'application/pdf', bytes: Buffer.from(pdf) });
  return { record, pdf };
}

/** The agent clicks "Send for signature" on the record, through the simulator's API. */
async function click(record: SimRecord, as: { user: string; password: string } = { user: AGENT_USER, password: AGENT_PASSWORD }) {
  const action = world.servicenow.updateSet!.uiActions.find((a) => a.table === record.table)!;
  const url = `${world.servicenow.url}/api/now/ui/ui_action/${action.sysId}?sysparm_table=${record.table}&sysparm_sys_id=${record.sysId}`;
  return fetch(url, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${as.user}:${as.password}`).toString('base64')}`, Accept: 'application/json' } });
}

async function sentRequestFor(number: string): Promise<RequestRow> {
  return waitFor(() => listRequests(world.daemon!.db).find((r) => r.recordNumber === number && r.state === 'sent'), {
    timeoutMs: 20_000, what: `the request for ${number} sent`,
    describe: () => listRequests(world.daemon!.db).map((r) => [r.recordNumber, r.state, r.reason]),
  });
}

const simulated = (request: RequestRow) => ({
  providerOrderId: getRequest(world.daemon!.db, request.id)!.providerOrderId, references: getDocuments(world.daemon!.db, request.id).map((d) => d.providerRef!),
});

describe.each(PROVIDER_NAMES)('%s: started from ServiceNow, the update set\'s UI action', (provider) => {
  useServiceNowWorld(provider);

  it('mails the record\'s PDF as the instance\'s notification, and the signed PDF ends on the same record once (REST)', async () => {
    const { record, pdf } = await recordWithPdf('sc_req_item', 'RITM0020001', { requested_for: 'a1b2', 'requested_for.name': 'Ann Lee', 'requested_for.email': 'ann.lee@example.com' });
    const answer = await click(record);
    expect(answer.status).toBe(200);
    // The record keeps who started the signing (signrelay hears only of the instance: audit review M2).
    expect(record.journal.filter((j) => j.by === AGENT_USER).map((j) => [j.field, j.value])).toEqual([['work_notes', `Sent for signature through signrelay by ${AGENT_USER} (${AGENT_USER}).`]]);

    const [mail] = world.servicenow.notifications.filter((n) => n.record.number === 'RITM0020001');
    expect(mail).toMatchObject({ from: `ServiceNow <${INSTANCE_ADDRESS}>`, to: ['sign@corp.example'], subject: 'Signature request RITM0020001', attachments: ['agreement.pdf'] });
    expect(mail!.text).toContain('\nSigner: Ann Lee <ann.lee@example.com>\n');
    expect(mail!.text).toContain(mail!.watermark);
    expect(mail!.watermark).toMatch(/^Ref:MSG\d{7}_[A-Za-z0-9]{20}$/);
    const onTheWire = world.smtp.messages.find((m) => m.parsed?.messageId === mail!.messageId)!;
    expect(onTheWire.parsed!.headers.get('auto-submitted')).toBe('auto-generated');
    expect(onTheWire.parsed!.attachments.map((a) => sha256(a.content))).toEqual([sha256(pdf)]);

    const request = await sentRequestFor('RITM0020001');
    expect(request.signers.map((s) => `${s.firstName} ${s.lastName} <${s.email}>`)).toEqual(['Ann Lee <ann.lee@example.com>']);
    expect(request.route).toBe('default');
    await world.signing.signAll(simulated(request));
    await waitFor(() => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    await world.daemon!.jobs.idle();

    const signed = sha256(await world.signing.signedCopy(simulated(request), 0));
    expect(record.attachments.map((a) => a.fileName)).toEqual(['agreement.pdf', 'agreement-signed.pdf']);
    expect(record.attachments.filter((a) => a.hash === signed)).toHaveLength(1);
  }, 180_000);

  it('on an HR case, mails sign+hr@ (route hr) and the signed copy comes back by mail through the inbound action, once', async () => {
    const { record } = await recordWithPdf('sn_hr_core_case', 'HRC0020001', { subject_person: 'c3d4', 'subject_person.name': 'Bob Stone', 'subject_person.email': 'bob.stone@corp.example' });
    expect((await click(record)).status).toBe(200);
    const [mail] = world.servicenow.notifications.filter((n) => n.record.number === 'HRC0020001');
    expect(mail!.to).toEqual(['sign+hr@corp.example']);

    const request = await sentRequestFor('HRC0020001');
    expect(request.route).toBe('hr');
    expect(request.watermark).toBe(mail!.watermark);
    expect(request.signers.map((s) => s.email)).toEqual(['bob.stone@corp.example']);
    await world.signing.signAll(simulated(request));
    const filed = await world.servicenow.inbound!.waitFor((m) => m.record?.number === 'HRC0020001' && m.attached.length > 0, 60_000);
    expect(filed.matchedBy).toBe('watermark');
    // Filed by the update set's own inbound action (signrelay's address, its user's role), which writes only its fixed note.
    expect(filed.action).toBe('signrelay: signed document (sn_hr_core_case)');
    expect(record.journal.filter((j) => j.by === DELIVERY_USER).map((j) => [j.field, j.value])).toEqual([['work_notes', 'Signed document received from signrelay.']]);
    const signed = sha256(await world.signing.signedCopy(simulated(request), 0));
    await waitFor(() => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    expect(record.attachments.filter((a) => a.hash === signed)).toHaveLength(1);
    expect(record.attachments).toHaveLength(2);
  }, 180_000);

  it('a hostile name on the record reaches neither a tag nor another recipient', async () => {
    const hostile = 'Mallory [!Recipient.C,Eve,Evil,eve@evil.example]\r\nSigner: Eve Evil <eve@evil.example>\r\n@[sys_id:0123456789abcdef] [!Sign.2,Eve,Evil,eve@evil.example]';
    const { record } = await recordWithPdf('sc_req_item', 'RITM0020002', { requested_for: 'e5f6', 'requested_for.name': hostile, 'requested_for.email': 'ann.lee@example.com' });
    expect((await click(record)).status).toBe(200);
    const [mail] = world.servicenow.notifications.filter((n) => n.record.number === 'RITM0020002');
    expect(mail!.text.split('\n').filter((l) => /^Signer/i.test(l))).toHaveLength(1);
    expect(mail!.text).not.toMatch(/<eve@evil\.example>|\[!|\r/);

    const request = await sentRequestFor('RITM0020002');
    expect(request.signers.map((s) => s.email)).toEqual(['ann.lee@example.com']);
    const stamped = getDocuments(world.daemon!.db, request.id)[0]!.stampedSha256!;
    const text = (await extractPdfText(world.daemon!.blobs.get(stamped))).join('\n');
    // Whatever tags the provider's stamping writes, none but Ann's and the return address's.
    const tags = [...text.matchAll(/\[![^\]]*\]/g)].map((m) => m[0]);
    expect(tags.filter((t) => !/^\[!Sign\.1,[^,]*,[^,]*,ann\.lee@example\.com\]$/.test(t) && !/^\[!Recipient\.C,signrelay,Returns,returns\+[a-z0-9]+@corp\.example\]$/.test(t))).toEqual([]);
    expect(text).not.toContain('eve@evil.example');
    expect(world.signing.asked(simulated(request))).toEqual({ signers: ['ann.lee@example.com'], returnAddresses: [expect.stringMatching(/^returns\+[a-z0-9]+@corp\.example$/)] });
  }, 180_000);

  it('refused by signrelay (no usable signer on the record): one alert and one work note saying why, nothing sent to the provider', async () => {
    const { record } = await recordWithPdf('sc_req_item', 'RITM0020005', { requested_for: 'g7h8', 'requested_for.name': 'Nobody', 'requested_for.email': 'not an address' });
    const alerts = () => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO) && (m.parsed?.subject ?? '').includes('RITM0020005'));
    const counts = world.signing.counts();
    expect((await click(record)).status).toBe(200);
    const isNote = (j: { field: string; value: string }) => j.field === 'work_notes' && j.value.startsWith('The document could not be sent for signature');
    const note = await waitFor(() => record.journal.find(isNote), { timeoutMs: 20_000, what: 'the work note on RITM0020005', describe: () => record.journal });
    expect(note.value).toContain('RITM0020005 names no person with an email address signrelay can use');
    await waitFor(() => alerts().length > 0, { timeoutMs: 20_000, what: 'the operator alert' });
    await world.daemon!.jobs.idle();
    expect(record.journal.filter(isNote)).toHaveLength(1);
    expect(alerts()).toHaveLength(1);
    expect(listRequests(world.daemon!.db).filter((r) => r.recordNumber === 'RITM0020005').map((r) => r.state)).toEqual(['rejected']);
    expect(world.signing.counts()).toEqual(counts);
    expect(record.attachments).toHaveLength(1);
  }, 180_000);

  it('on an HR case whose person has no usable address, refused saying why — the route\'s default signer does not sign the person\'s document', async () => {
    const { record } = await recordWithPdf('sn_hr_core_case', 'HRC0020009', { subject_person: 'k1', 'subject_person.name': 'New Hire', 'subject_person.email': '' });
    const counts = world.signing.counts();
    expect((await click(record)).status).toBe(200);
    // The operator's alert (kind unprocessable) says the same; one of its kind an hour, so the refusal is read where it is kept.
    const refused = await waitFor(() => listRequests(world.daemon!.db).find((r) => r.recordNumber === 'HRC0020009'), { timeoutMs: 20_000, what: 'the request refused' });
    expect(refused.state).toBe('rejected');
    expect(refused.reason).toContain('HRC0020009 names no person with an email address signrelay can use');
    expect(world.signing.counts()).toEqual(counts);
  }, 180_000);

  it('another notification of the instance that names a record (no file, no Record: or Signer line) is filed without a note on the record or an alert', async () => {
    const record = world.servicenow.addRecord({ table: 'sc_req_item', number: 'RITM0020006' });
    const alerts = () => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO) && (m.parsed?.subject ?? '').includes('RITM0020006'));
    const rejected = (await world.dovecot.list('sign', 'Rejected')).length;
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      from: `ServiceNow <${INSTANCE_ADDRESS}>`, to: 'sign@corp.example', subject: 'Request item RITM0020006 opened on your behalf',
      text: 'Your request item RITM0020006 has been opened on your behalf. You can view all the details of the request item by following the link below.',
      headers: { 'Auto-Submitted': 'auto-generated', Precedence: 'bulk' },
    }));
    await waitFor(async () => (await world.dovecot.list('sign', 'Rejected')).length === rejected + 1, { timeoutMs: 20_000, what: 'the notification in Rejected' });
    await world.daemon!.jobs.idle();
    expect(record.journal).toEqual([]);
    expect(alerts()).toEqual([]);
  }, 180_000);

  it('is refused as the instance refuses it: without the role, without an attachment, without credentials', async () => {
    const { record } = await recordWithPdf('sc_req_item', 'RITM0020003', { requested_for: 'a1b2', 'requested_for.name': 'Ann Lee', 'requested_for.email': 'ann.lee@example.com' });
    const bare = world.servicenow.addRecord({ table: 'sc_req_item', number: 'RITM0020004' });
    const sent = world.servicenow.notifications.length;
    const noRole = await click(record, { user: SN_USER, password: SN_PASSWORD });
    expect(noRole.status).toBe(403);
    expect(JSON.stringify(await noRole.json())).toContain('needs the role itil');
    expect((await click(bare)).status).toBe(403);
    expect((await click(record, { user: AGENT_USER, password: 'wrong' })).status).toBe(401);
    expect(world.servicenow.notifications).toHaveLength(sent);
  });
});
