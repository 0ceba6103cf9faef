// A work note or a status field the instance stores after signrelay stopped waiting for its
// answer (a slow instance runs a REST transaction on until its quota ends). Looked for at the
// next attempt, a few seconds later, the note was not in the journal yet and was written a
// second time; the field read back empty was set again — and a late "sent" landed after the
// newer "signed", leaving a delivered request's record saying "sent". Both are now looked at
// only once the PATCH cannot still be running (servicenow.upload_settle_seconds after it
// began), and a newer value of the field waits for an older one whose outcome is unknown.
import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/store/events.ts';
import { waitFor } from '../support/wait-for.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { notesOf, recordOf, signAndDeliver, statusOf, statusValues, useRecordWorld } from '../integration/record-world.ts';
import { sendRequest, type World } from '../integration/world.ts';

/** The client gives up after 1 s; its next attempt comes 2.5–5 s later (the job's first backoff). */
const TIMEOUT_S = 1;
/** The instance stores the PATCH this long after it arrived: after that next attempt. */
const LATE_MS = 7_000;
/** Long enough for the late PATCH to be stored with seconds to spare. */
const SETTLE_S = 12;

/** The PATCH of the record that came late, once the instance has carried it out. */
const landed = (world: World, sysId: string) => waitFor(() => world.servicenow.calls.find((c) => c.fault === 'late' && c.path.endsWith(sysId) && c.body !== undefined),
  { timeoutMs: 30_000, what: 'the late PATCH carried out' });
const phases = (world: World, requestId: string, prefix: string) => listEvents(world.daemon!.db, requestId)
  .filter((e) => e.kind === 'effect' && String(e.detail?.effect).startsWith(prefix)).map((e) => `${String(e.detail!.value ?? '')}${e.detail!.phase}`);

describe('a work note the instance stores late', () => {
  const getWorld = useRecordWorld({ servicenow: { timeout_seconds: TIMEOUT_S, upload_settle_seconds: SETTLE_S, status_field: undefined } });

  it('is found in the journal once the PATCH cannot still be running, and is not written twice', async () => {
    const world = getWorld();
    const { sysId } = recordOf(world, 'RITM0010001');
    world.servicenow.failNext(`/api/now/table/sc_req_item/${sysId}`, { kind: 'late', afterMs: LATE_MS });
    const { request } = await sendRequest(world, 'RITM0010001');
    await waitUntil(world.daemon!.events, () => phases(world, request.id, 'record-note').at(-1) === 'done', { timeoutMs: 60_000, what: 'the note settled' });
    await landed(world, sysId);
    expect(notesOf(world, 'RITM0010001').filter((n) => n.startsWith('Sent for signature'))).toHaveLength(1);
    expect(phases(world, request.id, 'record-note')).toEqual(['intent', 'done']);
    expect(world.logs.join('')).toMatch(/the work note on sc_req_item \w+ got no answer and is not on the record yet; the instance may still be carrying it out/);
  }, 90_000);
});

describe('a status field the instance sets late', () => {
  const getWorld = useRecordWorld({ servicenow: { timeout_seconds: TIMEOUT_S, upload_settle_seconds: SETTLE_S, work_note: false } });

  it('is not overwritten by it: the newer value waits until the older one can no longer land', async () => {
    const world = getWorld();
    const { sysId } = recordOf(world, 'RITM0010002');
    world.servicenow.failNext(`/api/now/table/sc_req_item/${sysId}`, { kind: 'late', afterMs: LATE_MS }); // "sent"
    const { request } = await sendRequest(world, 'RITM0010002');
    await signAndDeliver(world, request); // "signed", seconds later
    await waitUntil(world.daemon!.events, () => phases(world, request.id, 'record-field').includes('signeddone'), { timeoutMs: 60_000, what: 'the field set to signed' });
    await landed(world, sysId);
    expect(statusOf(world, 'RITM0010002')).toBe('signed');
    expect(statusValues(world, 'RITM0010002')).toEqual(['sent', 'signed']);
  }, 90_000);
});
