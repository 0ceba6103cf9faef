// The record's notes and status field when the instance refuses or loses them, through the
// whole daemon (Dovecot, Secured Signing and ServiceNow simulators): a write ACL refusing
// the table (403), or one dropping the field silently, is one operator alert naming the
// permission and the signed PDF is delivered all the same; a PATCH whose answer is lost
// (carried out, no answer) or cut (a reset, not carried out) is settled from the journal or
// by reading the field back — each note and field update reaches the record exactly once.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { listEvents } from '../../src/store/events.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { ALERTS_TO, sendRequest, type World } from '../integration/world.ts';
import { notesOf, recordOf, signAndDeliver, STATUS_FIELD, statusOf, statusPatches, useRecordWorld } from '../integration/record-world.ts';

// A lost answer costs the client its timeout: 1 s here.
const getWorld = useRecordWorld({ servicenow: { timeout_seconds: 1 } });
const alertsOf = (world: World, id: string) => listEvents(world.daemon!.db, id).filter((e) => e.detail?.alert === 'record').map((e) => String(e.detail!.text));
const effectsOf = (world: World, id: string, prefix: string) => listEvents(world.daemon!.db, id)
  .filter((e) => e.kind === 'effect' && String(e.detail?.effect).startsWith(prefix)).map((e) => e.detail!);

describe('refused for good', () => {
  it('no write on the table (403): the alert names the permissions, nothing is retried, the signed PDF is delivered', async () => {
    const world = getWorld();
    world.servicenow.denyWrite('sc_req_item');
    try {
      const before = world.smtp.messages.length;
      const { request } = await sendRequest(world, 'RITM0010001');
      const [alert] = await waitUntil(world.daemon!.events, () => (alertsOf(world, request.id).length === 1 ? alertsOf(world, request.id) : undefined), { timeoutMs: 10_000, what: 'the alert' });
      expect(alert).toMatch(/HTTP 403.*the integration user lacks write on sc_req_item\.work_notes/);
      expect(alert).toMatch(/the integration user lacks write on sc_req_item\.u_signature_status/);
      const mail = await world.smtp.waitFor((m) => world.smtp.messages.indexOf(m) >= before && m.envelope.rcptTo.some((r) => r.address === ALERTS_TO), 10_000);
      expect((await simpleParser(mail.raw)).text).toMatch(/write on sc_req_item\.work_notes/);

      await signAndDeliver(world, request);
      expect(recordOf(world, 'RITM0010001').attachments).toHaveLength(1);
      // The signed note (with the delivery), then the field `signed` (its own update): one alert each.
      await waitUntil(world.daemon!.events, () => alertsOf(world, request.id).length === 3, { timeoutMs: 10_000, what: 'the signed note\'s and field\'s alerts' });
      expect(alertsOf(world, request.id).slice(1)).toEqual([
        expect.stringMatching(/lacks write on sc_req_item\.work_notes/), expect.stringMatching(/lacks write on sc_req_item\.u_signature_status/),
      ]);
      await world.daemon!.jobs.idle();
      expect(notesOf(world, 'RITM0010001')).toEqual([]);
      // Each refused PATCH was made once: a refusal is not retried.
      const patches = world.servicenow.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(recordOf(world, 'RITM0010001').sysId));
      // (A note's PATCH asks back sys_id, the field's the field.)
      expect(patches.map((c) => [c.query.sysparm_fields, c.status])).toEqual([
        ['sys_id', 403], [STATUS_FIELD, 403], ['sys_id', 403], [STATUS_FIELD, 403],
      ]);
      expect(effectsOf(world, request.id, 'record-').filter((d) => d.phase === 'refused')).toHaveLength(3);
    } finally {
      world.servicenow.allowWrite('sc_req_item');
    }
  });

  it('a field the instance does not store (a field-level write ACL answers 200): refused, and the notes go on', async () => {
    const world = getWorld();
    world.servicenow.denyWrite(`sc_req_item.${STATUS_FIELD}`);
    try {
      const { request } = await sendRequest(world, 'RITM0010002');
      const [alert] = await waitUntil(world.daemon!.events, () => (alertsOf(world, request.id).length === 1 ? alertsOf(world, request.id) : undefined), { timeoutMs: 10_000, what: 'the alert' });
      expect(alert).toMatch(/did not store u_signature_status on sc_req_item\/\w+.*lacks write on sc_req_item\.u_signature_status, or sc_req_item has no field u_signature_status \(servicenow\.status_field\)/);
      await signAndDeliver(world, request);
      await waitUntil(world.daemon!.events, () => notesOf(world, 'RITM0010002').length === 2, { timeoutMs: 10_000, what: 'the sent and signed notes' });
      await waitUntil(world.daemon!.events, () => alertsOf(world, request.id).length === 2, { timeoutMs: 10_000, what: 'the second refusal' });
      expect(statusOf(world, 'RITM0010002')).toBeUndefined();
    } finally {
      world.servicenow.allowWrite(`sc_req_item.${STATUS_FIELD}`);
    }
  });
});

describe('exactly once when an answer is lost', () => {
  it('the note and the field carried out with no answer: settled from the journal and by reading the field, never made twice', async () => {
    const world = getWorld();
    const record = recordOf(world, 'RITM0010003');
    world.servicenow.failNext(`/api/now/table/sc_req_item/${record.sysId}`, { kind: 'hang', times: 2 });
    const { request } = await sendRequest(world, 'RITM0010003');
    await waitUntil(world.daemon!.events, () => statusOf(world, 'RITM0010003') === 'sent' && effectsOf(world, request.id, 'record-field-').some((d) => d.phase === 'done'), { timeoutMs: 15_000, what: 'the field settled' });
    expect(world.servicenow.calls.filter((c) => c.path.endsWith(record.sysId) && c.fault === 'hang').map((c) => c.method)).toEqual(['PATCH', 'PATCH']);
    expect(notesOf(world, 'RITM0010003')).toHaveLength(1);
    expect(statusPatches(world, 'RITM0010003')).toHaveLength(1);
    expect(effectsOf(world, request.id, 'record-note-').map((d) => d.resolvedBy ?? d.phase)).toEqual(['intent', 'journal']);
    expect(effectsOf(world, request.id, 'record-field-').map((d) => d.resolvedBy ?? d.phase)).toEqual(['intent', 'read']);
  });

  it('a note PATCH cut twice before it was carried out (reset): made again, once', async () => {
    const world = getWorld();
    const record = recordOf(world, 'RITM0010004');
    world.servicenow.failNext(`/api/now/table/sc_req_item/${record.sysId}`, { kind: 'reset', times: 2 });
    const { request } = await sendRequest(world, 'RITM0010004');
    await waitUntil(world.daemon!.events, () => statusOf(world, 'RITM0010004') === 'sent' && notesOf(world, 'RITM0010004').length === 1, { timeoutMs: 15_000, what: 'the note and the field' });
    await signAndDeliver(world, request);
    await waitUntil(world.daemon!.events, () => statusOf(world, 'RITM0010004') === 'signed', { timeoutMs: 10_000, what: 'the field signed' });
    expect(notesOf(world, 'RITM0010004')).toHaveLength(2);
    expect(statusPatches(world, 'RITM0010004').map((c) => (c.body as Record<string, string>)[STATUS_FIELD])).toEqual(['sent', 'signed']);
    // Each reset left an intent with no result: the journal was read each time before the next PATCH.
    expect(effectsOf(world, request.id, 'record-note-').map((d) => d.phase)).toEqual(['intent', 'intent', 'intent', 'done']);
  });
});
