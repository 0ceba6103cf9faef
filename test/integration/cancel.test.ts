// The `cancel` job through the whole daemon (Dovecot, both simulators): a sent request is
// withdrawn at Secured Signing once, noted on its record, its requester told; a retried
// cancel withdraws nothing twice; a signed request cannot be cancelled; one of two documents
// signed: the other is still withdrawn, and everyone is told which is which.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { queueCancel } from '../../src/completion/cancel-request.ts';
import { silentLogger } from '../../src/log.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import type { SigningProvider } from '../../src/providers/provider.ts';
import { listEvents } from '../../src/store/events.ts';
import { enqueueJob, jobsForRequest } from '../../src/store/jobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { getDocuments, getRequest, listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, sendRequest, useWorld, type World } from './world.ts';

const getWorld = useWorld({ completionMails: false });
const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
const deletes = (world: World, reference: string) => world.simulator.calls.filter((c) => c.method === 'DELETE' && c.path.endsWith(`/Document/${reference}`));

describe('cancelling a request', () => {
  it('withdraws the sent document once, notes the record and tells the requester', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010003');
    const before = world.smtp.messages.length;
    queueCancel(world.daemon!.db, request.id, 'the wrong contract version', new Date(), request.provider);
    world.daemon!.jobs.poke();
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'cancelled' && deletes(world, reference).length === 1, { timeoutMs: 15_000, what: 'the withdrawal' });
    expect(world.simulator.documents.has(reference)).toBe(false); // the signers can no longer sign
    const record = world.servicenow.records.find((r) => r.number === 'RITM0010003')!;
    await waitUntil(world.daemon!.events, () => record.journal.some((j) => j.field === 'work_notes' && j.value.includes(`Signature request withdrawn by the signrelay administrators (signrelay ${request.id}). The signrelay administrators' reason: \u201cthe wrong contract version\u201d.`)), { timeoutMs: 10_000, what: 'the note' });
    const notice = await world.smtp.waitFor((m) => world.smtp.messages.indexOf(m) >= before && m.envelope.rcptTo.some((r) => r.address === request.requester), 10_000);
    const parsed = await simpleParser(notice.raw);
    expect(parsed.subject).toMatch(/^Signature request withdrawn: /);
    expect(parsed.text).toMatch(/the signers can no longer sign it.*\n*.*the wrong contract version/s);

    // A second cancel of a cancelled request is refused; a re-run of the job repeats nothing.
    expect(() => queueCancel(world.daemon!.db, request.id, '', new Date(), request.provider)).toThrow(`request ${request.id} cannot be cancelled: it is cancelled`);
    world.daemon!.db.prepare("INSERT INTO jobs (kind, request_id, payload, run_at, created_at, updated_at) VALUES ('cancel', ?, '{}', ?, ?, ?)")
      .run(request.id, new Date().toISOString(), new Date().toISOString(), new Date().toISOString());
    world.daemon!.jobs.poke();
    await world.daemon!.jobs.idle();
    expect(deletes(world, reference)).toHaveLength(1);
    expect(record.journal.filter((j) => j.value.includes('withdrawn'))).toHaveLength(1);
  });

  it('signed at the provider before signrelay heard of it: not cancelled, delivered, the operator told why in the log', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010004');
    await world.signing.signAll({ providerOrderId: null, references: [reference] }); // its completion mail not read yet (none comes here)
    queueCancel(world.daemon!.db, request.id, 'changed my mind', new Date(), request.provider);
    world.daemon!.jobs.poke();
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 30_000, what: 'the signed document delivered' });
    await world.daemon!.jobs.idle();
    // Not a failed job: nothing went wrong.
    expect(jobsForRequest(world.daemon!.db, request.id).find((j) => j.kind === 'cancel')).toMatchObject({ state: 'done' });
    expect(world.logs.join('')).toContain('cancel not carried out: the signing had ended at Secured Signing (completed) before it; its outcome is recorded instead and the signed document delivered');
    expect(deletes(world, reference)).toHaveLength(0);
    expect(world.servicenow.records.find((r) => r.number === 'RITM0010004')!.attachments.filter((a) => a.fileName.endsWith('.pdf'))).toHaveLength(1);
  });

  it('cancelled while its upload is out, or before its submit job ran: never sent, the upload withdrawn, nobody invited', async () => {
    const world = getWorld();
    await world.stopDaemon();
    // The daemon's provider, its uploads held until the test lets them go.
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let uploading = () => {};
    const uploadStarted = new Promise<void>((resolve) => (uploading = resolve));
    const real = createProvider(world.config.provider, { db: openDatabase(world.config.storage.data_dir), logger: silentLogger() });
    const provider: SigningProvider = Object.assign(Object.create(real) as SigningProvider, {
      upload: async (input: Parameters<SigningProvider['upload']>[0]) => {
        uploading();
        await released;
        return real.upload(input);
      },
    });
    world.startDaemon({ provider });
    const sends = () => world.simulator.calls.filter((c) => c.path.includes('/SmartTag/Send')).length;
    const sendsBefore = sends();
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010006', text: 'Signer: Ann Lee <ann.lee@example.com>', attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    }));
    await uploadStarted;
    const request = listRequests(world.daemon!.db).find((r) => r.recordNumber === 'RITM0010006')!;
    queueCancel(world.daemon!.db, request.id, 'the wrong contract', new Date(), request.provider);
    release();
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'cancelled', { what: 'the request cancelled' });
    await world.daemon!.jobs.idle();
    const reference = getDocuments(world.daemon!.db, request.id)[0]!.providerRef!;
    expect(sends()).toBe(sendsBefore);
    expect(deletes(world, reference)).toHaveLength(1); // the upload does not stay at the provider
    const transitions = listEvents(world.daemon!.db, request.id).filter((e) => e.kind === 'transition').map((e) => e.toState);
    expect(transitions).toEqual(['received', 'stamped', 'uploaded', 'cancelled']);
    expect(world.logs.join('')).toContain('not sent: a cancel of the request is queued');

    // The same with the daemon stopped between intake and its submit job: the cancel, younger, still wins.
    await world.stopDaemon();
    const db = openDatabase(world.config.storage.data_dir);
    const again = listRequests(db).find((r) => r.recordNumber === 'RITM0010006')!;
    db.prepare("UPDATE requests SET state = 'stamped' WHERE id = ?").run(again.id);
    db.prepare("UPDATE documents SET provider_ref = NULL WHERE request_id = ?").run(again.id);
    enqueueJob(db, { kind: 'submit', requestId: again.id }, new Date(Date.now() - 60_000));
    queueCancel(db, again.id, 'asked while signrelay was stopped', new Date(), again.provider);
    db.close();
    const uploadsBefore = world.simulator.calls.filter((c) => c.path.includes('/Uploader')).length;
    world.startDaemon();
    await waitUntil(world.daemon!.events, () => jobsForRequest(world.daemon!.db, again.id).every((j) => j.state !== 'pending'), { what: 'the submit and cancel jobs done' });
    expect(stateOf(world, again.id)).toBe('cancelled');
    expect(world.simulator.calls.filter((c) => c.path.includes('/Uploader')).length).toBe(uploadsBefore);
    expect(sends()).toBe(sendsBefore);
  });

  it('one document of two signed, the other open: the open one withdrawn, the signed one left at the provider and named (multidoc review M1)', async () => {
    const world = getWorld();
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010007', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf('Contract') }, { filename: 'annex.pdf', content: await contractPdf('Annex') }],
    }));
    const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010007'), { what: 'sent' });
    await waitUntil(world.daemon!.events, () => !jobsForRequest(world.daemon!.db, request.id).some((j) => j.kind === 'mail' && j.state === 'pending'), { what: 'the acknowledgement out' });
    const [contract, annex] = getDocuments(world.daemon!.db, request.id).map((d) => d.providerRef!);
    await world.simulator.complete(contract!); // the signer went through the package in order: the contract signed, the annex not yet
    const before = world.smtp.messages.length;
    queueCancel(world.daemon!.db, request.id, 'wrong annex', new Date(), request.provider);
    world.daemon!.jobs.poke();
    await waitUntil(world.daemon!.events, () => jobsForRequest(world.daemon!.db, request.id).some((j) => j.kind === 'cancel' && j.state !== 'pending'), { timeoutMs: 20_000, what: 'the cancel job ended' });
    expect(jobsForRequest(world.daemon!.db, request.id).find((j) => j.kind === 'cancel')).toMatchObject({ state: 'done' });
    expect(stateOf(world, request.id)).toBe('cancelled');
    expect(deletes(world, contract!)).toHaveLength(0);
    expect(deletes(world, annex!)).toHaveLength(1);
    expect(world.simulator.documents.has(annex!)).toBe(false); // nobody can sign the annex any more
    expect(world.simulator.documents.get(contract!)!.status).toBe('Complete');

    const notice = await world.smtp.waitFor((m) => world.smtp.messages.indexOf(m) >= before && m.envelope.rcptTo.some((r) => r.address === request.requester), 10_000);
    const text = (await simpleParser(notice.raw)).text!;
    expect(text).toContain('the signers can no longer sign what was still open');
    expect(text).toContain(`Signed by every signer before the withdrawal: contract.pdf (reference ${contract}).`);
    expect(text).toContain('stays at Secured Signing');
    const record = world.servicenow.records.find((r) => r.number === 'RITM0010007')!;
    await waitUntil(world.daemon!.events, () => record.journal.some((j) => j.value.includes('Signature request withdrawn') && j.value.includes('Withdrawn from signing at Secured Signing: annex.pdf.') && j.value.includes('contract.pdf')), { timeoutMs: 10_000, what: 'the note naming both' });
    expect(record.attachments).toHaveLength(0);
    const alerts = listEvents(world.daemon!.db, request.id).filter((e) => e.detail?.alert === 'undeliverable');
    expect(alerts.map((e) => e.detail!.subject)).toEqual([`request ${request.id} was cancelled with a signed document left at Secured Signing`]);
  });

  it('refuses a request that is signed already', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010005');
    world.daemon!.db.prepare("UPDATE requests SET state = 'completed' WHERE id = ?").run(request.id);
    expect(() => queueCancel(world.daemon!.db, request.id, '', new Date(), request.provider)).toThrow(`request ${request.id} cannot be cancelled: it is signed already and is being delivered`);
  });
});
