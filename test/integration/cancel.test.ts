// The `cancel` job through the whole daemon (Dovecot, both simulators): a sent request is
// withdrawn at Secured Signing once, noted on its record, its requester told; a retried
// cancel withdraws nothing twice; a signed request cannot be cancelled.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { queueCancel } from '../../src/completion/cancel-request.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { sendRequest, useWorld, type World } from './world.ts';

const getWorld = useWorld({ completionMails: false });
const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
const deletes = (world: World, reference: string) => world.simulator.calls.filter((c) => c.method === 'DELETE' && c.path.endsWith(`/Document/${reference}`));

describe('cancelling a request', () => {
  it('withdraws the sent document once, notes the record and tells the requester', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010003');
    const before = world.smtp.messages.length;
    queueCancel(world.daemon!.db, request.id, 'the wrong contract version', new Date());
    world.daemon!.jobs.poke();
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'cancelled' && deletes(world, reference).length === 1, { timeoutMs: 15_000, what: 'the withdrawal' });
    expect(world.simulator.documents.has(reference)).toBe(false); // the signers can no longer sign
    const record = world.servicenow.records.find((r) => r.number === 'RITM0010003')!;
    await waitUntil(world.daemon!.events, () => record.journal.some((j) => j.field === 'work_notes' && j.value.includes(`Signature request withdrawn by the signrelay administrators (signrelay ${request.id}). the wrong contract version`)), { timeoutMs: 10_000, what: 'the note' });
    const notice = await world.smtp.waitFor((m) => world.smtp.messages.indexOf(m) >= before && m.envelope.rcptTo.some((r) => r.address === request.requester), 10_000);
    const parsed = await simpleParser(notice.raw);
    expect(parsed.subject).toMatch(/^Signature request withdrawn: /);
    expect(parsed.text).toMatch(/the signers can no longer sign it.*\n*.*the wrong contract version/s);

    // A second cancel of a cancelled request is refused; a re-run of the job repeats nothing.
    expect(() => queueCancel(world.daemon!.db, request.id, '', new Date())).toThrow(`request ${request.id} cannot be cancelled: it is cancelled`);
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
    queueCancel(world.daemon!.db, request.id, 'changed my mind', new Date());
    world.daemon!.jobs.poke();
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 30_000, what: 'the signed document delivered' });
    await world.daemon!.jobs.idle();
    // Not a failed job: nothing went wrong.
    expect(jobsForRequest(world.daemon!.db, request.id).find((j) => j.kind === 'cancel')).toMatchObject({ state: 'done' });
    expect(world.logs.join('')).toContain('cancel not carried out: the signing had ended at Secured Signing (completed) before it; its outcome is recorded instead and the signed document delivered');
    expect(deletes(world, reference)).toHaveLength(0);
    expect(world.servicenow.records.find((r) => r.number === 'RITM0010004')!.attachments.filter((a) => a.fileName.endsWith('.pdf'))).toHaveLength(1);
  });

  it('refuses a request that is signed already', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010005');
    world.daemon!.db.prepare("UPDATE requests SET state = 'completed' WHERE id = ?").run(request.id);
    expect(() => queueCancel(world.daemon!.db, request.id, '', new Date())).toThrow(`request ${request.id} cannot be cancelled: it is signed already and is being delivered`);
  });
});
