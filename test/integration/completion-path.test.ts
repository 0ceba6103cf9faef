// The completion path end to end on real servers: a request is sent, the simulator
// completes it and mails the return address, the completion watcher matches the mail,
// the signed copy is downloaded from the API and attached to the ServiceNow record —
// once, whatever else arrives.
import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { getRequest } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { ALERTS_TO, buildMail, contractPdf, sendRequest, useWorld, type World } from './world.ts';

const getWorld = useWorld();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
const attachmentsOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!.attachments;

describe('a completed document', () => {
  it('is downloaded from the API and attached to the record, with a work note', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010001');
    const [mail] = await world.simulator.complete(reference);
    expect(mail?.to).toBe(`returns+${request.token}@corp.example`);
    await waitFor(() => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });

    const attachments = attachmentsOf(world, 'RITM0010001');
    expect(attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    const apiCopy = world.simulator.documents.get(reference)!.signedBytes!;
    expect(attachments[0]!.hash).toBe(sha256(apiCopy));
    expect(world.simulator.calls.some((c) => c.path.endsWith(`/Download/GetDocumentData/${reference}`))).toBe(true);
    expect(world.servicenow.records.find((r) => r.number === 'RITM0010001')!.journal.map((j) => j.value).join('\n')).toMatch(/Signed by Ann Lee <ann\.lee@example\.com> via Secured Signing/);
    await waitFor(async () => (await world.dovecot.list('returns', 'Completed')).length === 1, { timeoutMs: 5_000, what: 'the completion mail in Completed' });
  });

  it('a second completion mail is recorded and filed, never delivered twice', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010002');
    await world.simulator.complete(reference);
    await waitFor(() => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    // Secured Signing sends the same kind of mail again (another Message-ID).
    await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
      from: 'Secured Signing <noreply@securedsigning.com>', to: `returns+${request.token}@corp.example`, subject: 'contract has been signed',
      text: 'Your document has been signed.', attachments: [{ filename: 'contract.pdf', content: world.simulator.documents.get(reference)!.signedBytes! }],
    }));
    await waitFor(async () => (await world.dovecot.list('returns', 'Completed')).length === 3, { timeoutMs: 10_000, what: 'the second mail in Completed' });
    await world.daemon!.jobs.idle();
    expect(attachmentsOf(world, 'RITM0010002')).toHaveLength(1);
  });
});

describe('mail that must not deliver anything', () => {
  it('an unknown token goes to Unmatched and alerts the operator', async () => {
    const world = getWorld();
    const alertsBefore = world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO)).length;
    await world.dovecot.deliver('returns+aaaaaaaaaaaaaaaaaaaa@corp.example', await buildMail({
      from: 'Secured Signing <noreply@securedsigning.com>', to: 'returns+aaaaaaaaaaaaaaaaaaaa@corp.example', subject: 'something has been signed', text: 'signed',
    }));
    await waitFor(async () => (await world.dovecot.list('returns', 'Unmatched')).length === 1, { timeoutMs: 10_000, what: 'the mail in Unmatched' });
    const alerts = () => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO));
    await waitFor(() => alerts().length === alertsBefore + 1, { timeoutMs: 10_000, what: 'one alert mail' });
    const alert = alerts().at(-1)!;
    expect((await simpleParser(alert.raw)).text).toMatch(/no request token or document reference/);
  });

  it('a completion mail from a sender outside the allow-list goes to Unmatched and delivers nothing', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010003');
    await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
      from: 'Mallory <mallory@evil.example>', to: `returns+${request.token}@corp.example`, subject: 'signed', text: `Reference ${reference}`,
      attachments: [{ filename: 'contract.pdf', content: await contractPdf('Forged') }],
    }));
    await waitFor(async () => (await world.dovecot.list('returns', 'Unmatched')).length === 2, { timeoutMs: 10_000, what: 'the forged mail in Unmatched' });
    await world.daemon!.jobs.idle();
    expect(stateOf(world, request.id)).toBe('sent');
    expect(attachmentsOf(world, 'RITM0010003')).toHaveLength(0);
  });
});
