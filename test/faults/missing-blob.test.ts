// A PDF the database names that is gone from blobs/ — deleted by hand to free disk, or
// signrelay.db restored beside an older blobs/ (lifecycle review M1, M2). Before: the delivery
// tried the missing file twelve times, every `signrelay retry` did the same without ever
// downloading the signed copy again (the provider still had it), and the alert said it "is
// kept"; a stamped copy not yet sent spent its twelve attempts (over an hour) and the alert
// told the operator to retry, which could never work. Now the first attempt fails, saying
// what is gone and what can be done, and a retry downloads the signed copy again.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addEvent, listEvents } from '../../src/store/events.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getDocuments, getRequest, listRequests } from '../../src/store/requests.ts';
import { buildMail, contractPdf, operatorRetry, sendRequest, useWorld, type World } from '../integration/world.ts';
import { waitUntil } from '../support/wait-for-event.ts';

const getWorld = useWorld();
const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;

const alertTexts = (world: World, id: string, kind: string) =>
  (world.daemon!.db.prepare("SELECT json_extract(detail, '$.text') AS text FROM events WHERE request_id = ? AND json_extract(detail, '$.alert') = ?").all(id, kind) as Array<{ text: string }>).map((r) => r.text);

describe('a PDF missing from the blob store', () => {
  it('a signed copy that is gone: a retry downloads it again from the provider and delivers', async () => {
    const world = getWorld();
    world.servicenow.forbidTable('sc_req_item');
    const { request, reference } = await sendRequest(world, 'RITM0010001');
    await world.simulator.complete(reference);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'failed', { what: 'the delivery to fail on the forbidden table' });
    const [doc] = getDocuments(world.daemon!.db, request.id);
    rmSync(world.daemon!.blobs.pathOf(doc!.signedSha256!));
    world.servicenow.allowTable('sc_req_item');
    const downloads = () => world.simulator.calls.filter((c) => /download/i.test(c.path)).length;
    const before = downloads();

    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the retried request to be delivered' });
    expect(downloads()).toBe(before + 1);
    expect(world.servicenow.records.find((r) => r.number === 'RITM0010001')!.attachments.map((a) => a.fileName)).toContain('contract-signed.pdf');
  });

  it('a signed copy already on the record is not downloaded again at a retry (diff review 18 M2: the provider may have deleted it)', async () => {
    const world = getWorld();
    const db = world.daemon!.db;
    const { request, reference } = await sendRequest(world, 'RITM0010003');
    await world.simulator.complete(reference);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the request delivered' });
    const [doc] = getDocuments(db, request.id);
    expect(doc!.attachmentSysId).toBeTruthy();
    // As a delivery that failed after its attachment was made (a later step refused): failed from completed, the copy on the record.
    db.prepare("UPDATE requests SET state = 'failed' WHERE id = ?").run(request.id);
    addEvent(db, { requestId: request.id, kind: 'transition', fromState: 'completed', toState: 'failed', detail: { reason: 'a later step refused' } }, new Date());
    rmSync(world.daemon!.blobs.pathOf(doc!.signedSha256!));
    // The provider deleted the document since (days until deletion).
    world.simulator.failNext(`/Download/GetDocumentData/${reference}`, { status: 404, times: 50 });
    const downloads = () => world.simulator.calls.filter((c) => /download/i.test(c.path)).length;
    const before = downloads();
    operatorRetry(world, request.id);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { what: 'the retried request delivered' });
    expect(downloads()).toBe(before);
  });

  it('a stamped copy that is gone: the send fails at its next attempt, and the alert says a retry cannot send it', async () => {
    const world = getWorld();
    const db = world.daemon!.db;
    // The first upload is refused (nothing uploaded) and asked again an hour later, by Retry-After.
    world.simulator.failNext('/Document/Uploader', { status: 503, retryAfter: 3600 });
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010002', text: 'Signer: Ann Lee <ann.lee@example.com>', attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    }));
    const submitWaiting = () => {
      const request = listRequests(db, { state: 'stamped' }).find((r) => r.recordNumber === 'RITM0010002');
      const job = request && jobsForRequest(db, request.id).find((j) => j.kind === 'submit' && j.state === 'pending' && j.attempts === 1);
      return request && job ? { request, job } : undefined;
    };
    const { request, job } = await waitUntil(world.daemon!.events, submitWaiting, { what: 'the refused upload to wait for its retry' });
    rmSync(world.daemon!.blobs.pathOf(getDocuments(db, request.id)[0]!.stampedSha256!));
    db.prepare('UPDATE jobs SET run_at = ? WHERE id = ?').run(new Date().toISOString(), job.id);
    world.daemon!.jobs.poke();
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'failed', { what: 'the send to fail' });
    expect(jobsForRequest(db, request.id).find((j) => j.id === job.id)!.attempts).toBe(2);
    expect(getRequest(db, request.id)!.reason).toMatch(/the stamped PDF .* is missing from the data dir's blobs\/ .*: request \S+ cannot be sent — restore the file, or ask .* to send the mail again/);
    expect(alertTexts(world, request.id, 'provider').join('\n')).toContain('A retry cannot send it: restore the stamped PDF, or have the request mailed again.');
    // No upload was started for the missing file: the only upload intent is the refused one's.
    expect(listEvents(db, request.id).filter((e) => e.kind === 'effect' && e.detail?.effect === 'upload' && e.detail?.phase === 'intent')).toHaveLength(1);
  });
});
