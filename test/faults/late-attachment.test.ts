// An attachment the instance carries out after signrelay stopped waiting for its answer: a
// slow instance goes on with a REST transaction until its quota ends, whoever still listens.
// Looked for on the record at the next attempt, a few seconds later, it was not there yet,
// and the signed PDF was uploaded a second time beside it. The record's attachment list is
// now looked at only once the upload cannot still be running
// (servicenow.upload_settle_seconds after it began), and the late upload is found there.
import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/store/events.ts';
import { recordOf, signAndDeliver, useRecordWorld } from '../integration/record-world.ts';
import { sendRequest } from '../integration/world.ts';

/** The client gives up after 1 s; its next attempt comes 2.5–5 s later (the job's first backoff). */
const TIMEOUT_S = 1;
/** The instance stores the upload this long after it arrived: after that next attempt. */
const LATE_MS = 7_000;
/** Long enough for the late upload to be stored with seconds to spare. */
const SETTLE_S = 12;

const getWorld = useRecordWorld({ servicenow: { timeout_seconds: TIMEOUT_S, upload_settle_seconds: SETTLE_S } });

describe('an attachment upload the instance carries out after its answer was given up on', () => {
  it('is found on the record once the upload cannot still be running, and is not made twice', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010001');
    const posts = () => world.servicenow.calls.filter((c) => c.method === 'POST' && c.path === '/api/now/attachment/file');
    world.servicenow.failNext('/api/now/attachment/file', { kind: 'late', afterMs: LATE_MS });
    await signAndDeliver(world, request);

    expect(recordOf(world, 'RITM0010001').attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    expect(posts().map((c) => c.fault ?? 'answered')).toEqual(['late']);
    const effects = listEvents(world.daemon!.db, request.id).filter((e) => e.kind === 'effect' && e.detail?.effect === 'attach-1');
    expect(effects.map((e) => e.detail!.phase)).toEqual(['intent', 'done']);
    expect(effects[1]!.detail).toMatchObject({ resolvedBy: 'attachment list' });
    // It waited for the instance, uncounted, and said why.
    expect(world.logs.join('')).toMatch(/the instance may still be carrying it out, so the record is looked at again in \d+ s \(servicenow\.upload_settle_seconds\)/);
  }, 60_000);

  it('an upload the instance refused outright (503) is made again without that wait: it applied nothing', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010002');
    const before = world.logs.join('').length;
    world.servicenow.failNext('/api/now/attachment/file', { status: 503 });
    await signAndDeliver(world, request);
    expect(recordOf(world, 'RITM0010002').attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    const effects = listEvents(world.daemon!.db, request.id).filter((e) => e.kind === 'effect' && e.detail?.effect === 'attach-1');
    expect(effects.map((e) => e.detail!.phase)).toEqual(['intent', 'failed', 'intent', 'done']);
    expect(world.logs.join('').slice(before)).not.toMatch(/the instance may still be carrying it out/);
  }, 60_000);
});
