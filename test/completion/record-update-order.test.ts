// The `record` job's updates of the status field stay in the order of the request's
// transitions, against the ServiceNow simulator and the real client: an update that waits
// out a retry while a later one is written does not overwrite the newer state, and a job
// run again after it was done PATCHes nothing; and every event's note is one the job takes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { queueRecordUpdate } from '../../src/notices/queue-record-update.ts';
import { createRecordUpdateHandler } from '../../src/completion/update-record.ts';
import { configSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { listEvents } from '../../src/store/events.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import type { RequestState } from '../../src/store/request-states.ts';
import { insertRequest, transition } from '../../src/store/requests.ts';

const USER = 'signrelay.integration';
const PASSWORD = 'sn-order-pass-51b7';
let sim: ServiceNowSimulator;
let db: Db;
let dataDir: string;

beforeEach(async () => {
  sim = await startServiceNowSimulator({ users: { [USER]: PASSWORD }, records: [{ table: 'sc_req_item', number: 'RITM0010001' }] });
  dataDir = mkdtempSync(join(tmpdir(), 'signrelay-record-order-'));
  db = openDatabase(dataDir);
});
afterEach(async () => {
  db.close();
  await sim.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The example's mailboxes, SMTP and provider, and the simulator's instance with these settings. */
function configWith(servicenow: { work_note: boolean; status_field?: string }) {
  return configSchema.parse({
    mailboxes: { requests: { host: 'h', user: 'u', password: 'p', address: 'sign@corp.example' }, returns: { address: 'returns@corp.example', folder: 'Returns' } },
    smtp: { host: 'h', from: 'signrelay <sign@corp.example>' },
    provider: { api_key: 'k', api_secret: 's', referer: 'https://corp.example' },
    servicenow: { instance_url: sim.url, auth: { type: 'basic', user: USER, password: PASSWORD }, ...servicenow },
    routes: { default: {} },
  });
}

/** A request for RITM0010001 taken through `states`. */
function sentRequest(token: string, states: readonly RequestState[], at: Date): string {
  const id = insertRequest(db, {
    token, state: 'received', route: 'default', provider: 'secured-signing', requester: 'helen.officer@corp.example',
    subject: 'Contract for RITM0010001', messageId: null, record: { number: 'RITM0010001', table: 'sc_req_item' },
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' }], dueDate: '2099-12-31',
    documents: [{ fileName: 'contract.pdf', originalSha256: 'a'.repeat(64) }],
  }, at);
  for (const state of states) transition(db, id, state, at);
  return id;
}

it('a field update overtaken while it waited is superseded, never written over the newer state', async () => {
  const config = configWith({ work_note: false, status_field: 'u_signature_status' });
  const now = () => new Date();
  const id = sentRequest('tok-order-1', ['stamped', 'uploaded', 'sent'], now());
  db.transaction(() => queueRecordUpdate(db, config, id, { event: 'sent' }, now()))();
  for (const state of ['completed', 'delivered'] as const) transition(db, id, state, now());
  db.transaction(() => queueRecordUpdate(db, config, id, { event: 'signed' }, now()))();
  const [sent, signed] = jobsForRequest(db, id);
  expect([sent!.payload, signed!.payload]).toEqual([{ event: 'sent', status: 'sent' }, { event: 'signed', status: 'signed' }]);

  const handler = createRecordUpdateHandler({ db, config, logger: silentLogger(), now, servicenow: createServiceNowClient({ config: config.servicenow, tokenStore: { load: () => null, save: () => undefined } }) });
  const { sysId } = sim.records[0]!;
  sim.failNext(`/api/now/table/sc_req_item/${sysId}`, { status: 503 });
  await expect(handler.run(sent!)).rejects.toMatchObject({ code: 'servicenow_unavailable' });
  await handler.run(signed!);
  await handler.run(sent!); // its retry, after the newer state was written
  await handler.run(signed!); // and a job run again: nothing left to do

  expect(sim.records[0]!.fields.u_signature_status).toBe('signed');
  expect(sim.calls.filter((c) => c.method === 'PATCH').map((c) => [c.status, (c.body as Record<string, string> | undefined)?.u_signature_status])).toEqual([[503, undefined], [200, 'signed']]);
  const phases = (job: number) => listEvents(db, id).filter((e) => e.detail?.effect === `record-field-${job}`).map((e) => e.detail!.phase);
  expect(phases(sent!.id)).toEqual(['intent', 'failed', 'superseded']);
  expect(phases(signed!.id)).toEqual(['intent', 'done']);
});

// The `withdrawn-since` work note reaches the record: the job checked its payload against a
// list of events the new one was not in, and failed for good (diff review 23 M1).
it('a withdrawn-since note queued is written to the record', async () => {
  const config = configWith({ work_note: true });
  const now = () => new Date();
  const id = sentRequest('tok-r23-1', ['stamped', 'uploaded', 'sent', 'cancelled'], now());
  const queued = db.transaction(() => queueRecordUpdate(db, config, id, { event: 'withdrawn-since', after: 'cancelled', settled: { withdrawn: ['contract.pdf'], signed: [] } }, now()))();
  expect(queued).toBe(true);
  const [job] = jobsForRequest(db, id).filter((j) => j.kind === 'record');
  expect(job!.payload.note).toContain('what became since of its documents still out then');

  const handler = createRecordUpdateHandler({ db, config, logger: silentLogger(), now, servicenow: createServiceNowClient({ config: config.servicenow, tokenStore: { load: () => null, save: () => undefined } }) });
  await handler.run(job!);
  // The note is on the record's journal, as queued.
  expect(JSON.stringify(sim.calls.filter((c) => c.method === 'PATCH').map((c) => c.body))).toContain('what became since of its documents still out then');
});
