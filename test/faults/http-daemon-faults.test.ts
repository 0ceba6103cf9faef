// Through the whole daemon (real Dovecot, both simulators): a request whose every HTTP
// effect meets a fault — a reset mid-upload (not carried out), a call that never answers
// and a 200 that is not JSON (both carried out, the answer lost), a 429 and a 5xx — still
// ends delivered, with exactly one send at Secured Signing and exactly one attachment on
// the record. The upload is the known gap: an upload whose answer was lost is made again,
// and the orphan is never sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/store/events.ts';
import { getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { API_SECRET, SN_PASSWORD, sendRequest, startWorld, type World } from '../integration/world.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  // Short timeouts, so that a call that never answers costs seconds, not a minute (long
  // enough that an ordinary call on a busy machine does not run into them).
  world.config.provider.timeout_seconds = 3;
  world.config.servicenow.timeout_seconds = 3;
  world.startDaemon();
}, 180_000);
afterAll(async () => {
  await world?.close();
});

const uploadsOf = (token: string) => [...world.simulator.documents.values()].filter((d) => d.clientReference === `${token}-1`);
const recordOf = (number: string) => world.servicenow.records.find((r) => r.number === number)!;
const doneEffect = (requestId: string, effect: string) =>
  listEvents(world.daemon!.db, requestId).find((e) => e.detail?.effect === effect && e.detail.phase === 'done')?.detail;

async function deliver(record: string): Promise<{ id: string; token: string }> {
  const { request, reference } = await sendRequest(world, record);
  await world.simulator.complete(reference);
  await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', {
    timeoutMs: 30_000, what: `${record} delivered`, describe: () => getRequest(world.daemon!.db, request.id),
  });
  return { id: request.id, token: request.token };
}

/** Each injected fault was met (and so none is left over for the next test). */
function expectFaultsMet(expected: { simulator: string[]; servicenow: string[] }, since: { simulator: number; servicenow: number }): void {
  const met = (calls: Array<{ fault?: string; path: string }>, from: number, endpoint: (path: string) => string) =>
    calls.slice(from).filter((c) => c.fault).map((c) => `${c.fault} ${endpoint(c.path)}`);
  // Secured Signing paths end in a reference: /web/v1.4/Document/Uploader/REF → /Document/Uploader.
  expect(met(world.simulator.calls, since.simulator, (p) => p.replace(/^\/web\/v1\.4/, '').split('/').slice(0, 3).join('/'))).toEqual(expected.simulator);
  expect(met(world.servicenow.calls, since.servicenow, (p) => p)).toEqual(expected.servicenow);
}

const callCounts = () => ({ simulator: world.simulator.calls.length, servicenow: world.servicenow.calls.length });

function expectOnceEach(record: string, token: string, uploads: number): void {
  const documents = uploadsOf(token);
  expect(documents).toHaveLength(uploads);
  expect(documents.filter((d) => d.sent)).toHaveLength(1);
  expect(world.simulator.calls.filter((c) => c.path.endsWith('/SmartTag/Send') && c.status === 400)).toEqual([]);
  expect(recordOf(record).attachments).toHaveLength(1);
  // One note per event: sent (its own update, which may still be on its way) and signed.
  const notes = recordOf(record).journal.filter((j) => j.field === 'work_notes').map((j) => j.value);
  expect(notes.filter((n) => n.startsWith('Signed via'))).toHaveLength(1);
  expect(notes.filter((n) => n.startsWith('Sent for signature'))).toHaveLength(notes.length - 1);
  expect(notes.length).toBeLessThanOrEqual(2);
}

describe('HTTP faults on every effect of one request', () => {
  it('reset upload, hung send, HTML answer to the attachment: delivered, one upload, one send, one attachment', async () => {
    const before = callCounts();
    world.simulator.failNext('/Document/Uploader', { kind: 'reset' });
    world.simulator.failNext('/SmartTag/Send', { kind: 'hang' });
    world.servicenow.failNext('/api/now/attachment/file', { kind: 'malformed' });
    const { id, token } = await deliver('RITM0010001');

    expectFaultsMet({ simulator: ['reset /Document/Uploader', 'hang /SmartTag/Send'], servicenow: ['malformed /api/now/attachment/file'] }, before);
    expectOnceEach('RITM0010001', token, 1);
    expect(doneEffect(id, 'send')).toMatchObject({ resolvedBy: 'status' });
    expect(doneEffect(id, 'attach-1')).toMatchObject({ resolvedBy: 'attachment list' });
    const logs = world.logs.join('');
    expect(logs).toMatch(/the connection to Secured Signing broke \(\w+\) while trying to upload the document [^"]+ \(POST \/Document\/Uploader\)/);
    expect(logs).toMatch(/Secured Signing did not answer to send [^"]+ \(POST \/SmartTag\/Send\) within 3 s \(provider\.timeout_seconds\); whether it was done is unknown/);
    expect(logs).toMatch(/ServiceNow answered oddly to attach [^"]+ \(POST \/api\/now\/attachment\/file\): the body is an HTML page/);
  });

  it('hung upload, HTML answer to the send, reset attachment, 429 and 500 on the way: delivered, one send, one attachment', async () => {
    const before = callCounts();
    world.simulator.failNext('/Document/Uploader', { kind: 'hang' });
    world.simulator.failNext('/SmartTag/Send', { kind: 'malformed' });
    world.simulator.failNext('/Download/GetDocumentData', { status: 500 });
    world.servicenow.failNext('/api/now/table/sc_req_item', { status: 429, retryAfter: 1 });
    world.servicenow.failNext('/api/now/attachment/file', { kind: 'reset' });
    const { id, token } = await deliver('RITM0010002');

    expectFaultsMet({
      simulator: ['hang /Document/Uploader', 'malformed /SmartTag/Send', 'status /Download/GetDocumentData'],
      servicenow: ['status /api/now/table/sc_req_item', 'reset /api/now/attachment/file'],
    }, before);
    // The hung upload was made at the service: its answer, and so its reference, were lost.
    expectOnceEach('RITM0010002', token, 2);
    expect(doneEffect(id, 'send')).toMatchObject({ resolvedBy: 'status' });
    // The reset upload never reached the record: the list came back empty and it was made again.
    expect(doneEffect(id, 'attach-1')).not.toHaveProperty('resolvedBy');
    const logs = world.logs.join('');
    expect(logs).not.toContain(API_SECRET);
    expect(logs).not.toContain(SN_PASSWORD);
  });
});
