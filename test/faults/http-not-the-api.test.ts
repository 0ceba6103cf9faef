// Through the whole daemon: answers that are not the provider's word about the document
// (fuzz review M1, M3). A cancel whose DELETE meets a proxy's 404 page is not recorded as a
// withdrawal: the cancel waits for the operator, nobody is told the signers can no longer
// sign, and the DELETE is made once the API answers. One 200 page where the signed copy
// should be is a bad answer, retried: the request ends delivered.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { queueCancel } from '../../src/completion/cancel-request.ts';
import { jobsForRequest, releaseJobsWaitingForFix } from '../../src/store/jobs.ts';
import { getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { sendRequest, useWorld } from '../integration/world.ts';

const getWorld = useWorld();
const HTML_404 = '<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>';

describe('answers that are not the provider\'s API', () => {
  it('a cancel whose DELETE meets a 404 page waits for the operator, and withdraws the document once the API answers', async () => {
    const world = getWorld();
    const db = world.daemon!.db;
    const { request, reference } = await sendRequest(world, 'RITM0010003');
    const before = world.smtp.messages.length;
    const toldRequester = () => world.smtp.messages.slice(before).filter((m) => m.envelope.rcptTo.some((r) => r.address === request.requester));
    world.simulator.failNext(`/Document/${reference}`, { status: 404, body: HTML_404, headers: { 'Content-Type': 'text/html' } });
    queueCancel(db, request.id, 'wrong version', new Date(), request.provider);
    world.daemon!.jobs.poke();
    const waiting = await waitUntil(world.daemon!.events, () => jobsForRequest(db, request.id).find((j) => j.kind === 'cancel' && j.waitingFor === 'operator'),
      { timeoutMs: 15_000, what: 'the cancel waiting for the operator', describe: () => jobsForRequest(db, request.id) });
    expect(waiting.lastError).toMatch(/HTTP 404 with an HTML page, not Secured Signing's API/);
    // Nothing withdrawn, nobody told so: the document is still out for signing.
    expect(world.simulator.documents.get(reference)).toMatchObject({ status: 'InProgress' });
    expect(world.simulator.calls.filter((c) => c.method === 'DELETE' && c.fault === undefined)).toHaveLength(0);
    expect(toldRequester()).toHaveLength(0);
    // The operator's reload tries it again: the page is gone, the DELETE reaches the service.
    releaseJobsWaitingForFix(db, new Date());
    world.daemon!.jobs.poke();
    const notice = await world.smtp.waitFor((m) => toldRequester().includes(m), 15_000);
    expect((await simpleParser(notice.raw)).text).toMatch(/the signers can no longer sign it/);
    expect(getRequest(db, request.id)!.state).toBe('cancelled');
    expect(world.simulator.calls.filter((c) => c.method === 'DELETE' && c.fault === undefined)).toHaveLength(1);
    expect(world.simulator.documents.get(reference)?.status).not.toBe('InProgress');
  });

  it('a proxy page answering the signed copy\'s download once is retried: the request ends delivered', async () => {
    const world = getWorld();
    const db = world.daemon!.db;
    const { request, reference } = await sendRequest(world, 'RITM0010004');
    world.simulator.failNext('/Download/GetDocumentData', { kind: 'malformed' });
    await world.simulator.complete(reference);
    const end = await waitUntil(world.daemon!.events, () => { const r = getRequest(db, request.id)!; return ['delivered', 'failed'].includes(r.state) ? r : undefined; },
      { timeoutMs: 30_000, what: 'the end', describe: () => jobsForRequest(db, request.id) });
    expect(end.state).toBe('delivered');
    const complete = jobsForRequest(db, request.id).find((j) => j.kind === 'complete')!;
    expect(complete).toMatchObject({ state: 'done' });
    // The page, then the PDF: two downloads, the first one's answer thrown away.
    expect(world.simulator.calls.filter((c) => c.path.includes('/Download/GetDocumentData') && c.fault === 'malformed')).toHaveLength(1);
    expect(world.servicenow.records.find((r) => r.number === 'RITM0010004')!.attachments.length).toBeGreaterThan(0);
  });
});
