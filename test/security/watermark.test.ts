// A ServiceNow watermark cannot send a signed document to another record (email delivery,
// where the instance files a reply by its watermark before anything else), through the
// real daemon, Dovecot, both simulators and the simulated instance's inbound email action.
// A requester's mail that pastes another record's watermark has it ignored; the instance's
// own notification whose watermark belongs to another record than it names is refused;
// one whose watermark and record agree is delivered by its watermark.
import { describe, expect, it } from 'vitest';
import { REQUESTS_MAILBOX } from '../../src/intake/process-request-mail.ts';
import { findMessageById } from '../../src/store/messages.ts';
import { getDocuments, getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf, INSTANCE_ADDRESS, useWorld, type MailSpec, type World } from '../integration/world.ts';

const getWorld = useWorld({ completionMails: false });
const recordOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!;
const watermarkFor = (world: World, number: string) => world.servicenow.issueWatermark('sc_req_item', recordOf(world, number).sysId);

async function mailRequest(world: World, messageId: string, spec: MailSpec) {
  await world.dovecot.deliver('sign+mail@corp.example', await buildMail({
    messageId, to: 'sign+mail@corp.example', text: 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }], ...spec,
  }));
  const row = await waitUntil(world.daemon!.events, () => {
    const found = findMessageById(world.daemon!.db, REQUESTS_MAILBOX, messageId);
    return found?.movedAt ? found : undefined;
  }, { timeoutMs: 20_000, what: `${messageId} filed` });
  return { row, request: row.requestId ? getRequest(world.daemon!.db, row.requestId) : undefined };
}

/** Signs the request's document and waits until the instance has filed the mailed signed copy. */
async function signAndDeliver(world: World, requestId: string, number: string): Promise<void> {
  await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, requestId)?.state === 'sent', { timeoutMs: 20_000, what: 'sent' });
  await world.simulator.complete(getDocuments(world.daemon!.db, requestId)[0]!.providerRef!);
  await world.dovecot.deliver(`returns+${getRequest(world.daemon!.db, requestId)!.token}@corp.example`, await buildMail({
    from: 'Secured Signing <noreply@securedsigning.com>', to: `returns+${getRequest(world.daemon!.db, requestId)!.token}@corp.example`,
    subject: 'contract has been signed', text: 'signed',
  }));
  await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, requestId)?.state === 'delivered', { timeoutMs: 20_000, what: 'delivered' });
  // The instance's inbound action files it (the simulator polls its mailbox): no daemon event tells it.
  await waitFor(() => recordOf(world, number).attachments.length > 0, {
    timeoutMs: 20_000, what: `the instance filing the signed copy on ${number}`,
    describe: () => world.servicenow.records.filter((r) => r.attachments.length > 0).map((r) => r.number),
  });
}

describe('watermarks', () => {
  it('a requester who pastes another record\'s watermark has it ignored: the signed copy lands on the record the mail names', async () => {
    const world = getWorld();
    const other = watermarkFor(world, 'RITM0010002');
    const { row, request } = await mailRequest(world, '<pasted-watermark@corp.example>', {
      subject: 'Contract for RITM0010001', text: `Signer: Ann Lee <ann.lee@example.com>\n\n${other}`,
    });
    expect(row.folder).toBe('Processed');
    expect(request!.watermark).toBeNull();
    await signAndDeliver(world, request!.id, 'RITM0010001');
    expect(recordOf(world, 'RITM0010001').attachments).toHaveLength(1);
    expect(recordOf(world, 'RITM0010002').attachments).toEqual([]);
  }, 180_000);

  it('a signer named after another record\'s watermark cannot carry the signed copy there: the mail to the instance holds it without its colon', async () => {
    const world = getWorld();
    const other = watermarkFor(world, 'RITM0010004');
    const { row, request } = await mailRequest(world, '<watermark-as-name@corp.example>', {
      subject: 'Contract for RITM0010006', text: `Signer: ${other} <mallory@attacker.example>`,
    });
    expect(row.folder).toBe('Processed');
    expect(request!.watermark).toBeNull();
    expect(request!.signers[0]!.firstName).toContain('Ref:MSG');
    await signAndDeliver(world, request!.id, 'RITM0010006');
    expect(recordOf(world, 'RITM0010006').attachments).toHaveLength(1);
    expect(recordOf(world, 'RITM0010004').attachments).toEqual([]);
  }, 180_000);

  it('the instance\'s notification naming one record with another record\'s watermark is refused before anything is sent', async () => {
    const world = getWorld();
    const uploads = world.simulator.documents.size;
    const { row } = await mailRequest(world, '<mismatched-notification@service-now.com>', {
      from: `Corp ServiceNow <${INSTANCE_ADDRESS}>`, headers: { 'Auto-Submitted': 'auto-generated' },
      subject: 'RITM0010003 needs your signature', text: `Signer: Ann Lee <ann.lee@example.com>\n\n${watermarkFor(world, 'RITM0010004')}`,
    });
    expect(row.folder).toBe('Rejected');
    expect(row.reason).toMatch(/^the mail names RITM0010003, but its ServiceNow watermark Ref:MSG\S+ belongs to another record \(sc_req_item\/[0-9a-f]{32}\)/);
    expect(world.simulator.documents.size).toBe(uploads);
  }, 180_000);

  it('the instance\'s notification whose watermark belongs to the record it names is delivered by that watermark', async () => {
    const world = getWorld();
    const own = watermarkFor(world, 'RITM0010005');
    const { row, request } = await mailRequest(world, '<matching-notification@service-now.com>', {
      from: `Corp ServiceNow <${INSTANCE_ADDRESS}>`, headers: { 'Auto-Submitted': 'auto-generated' },
      subject: 'RITM0010005 needs your signature', text: `Signer: Ann Lee <ann.lee@example.com>\n\n${own}`,
    });
    expect(row.folder).toBe('Processed');
    expect(request!.watermark).toBe(own);
    await signAndDeliver(world, request!.id, 'RITM0010005');
    expect(recordOf(world, 'RITM0010005').attachments).toHaveLength(1);
  }, 180_000);
});
