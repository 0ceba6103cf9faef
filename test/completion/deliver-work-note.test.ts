// The work note of a REST delivery, exactly once, against the ServiceNow simulator and the
// real client: a PATCH the instance refused (an HTTP error answer, nothing applied) is
// recorded as failed and simply tried again; a PATCH whose outcome is unknown (the process
// died, or the answer was lost) is settled from the record's journal (sys_journal_field)
// before another one is made; a journal the integration user cannot read falls back to
// "at most once" and says which permission is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverToServiceNow, type DeliveryDeps, type ServiceNowApi } from '../../src/completion/deliver-to-servicenow.ts';
import { configSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { SignrelayError } from '../../src/errors.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { BlobStore } from '../../src/store/blobs.ts';
import { listEvents } from '../../src/store/events.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import { getRequest, insertRequest, setDocumentReference, setDocumentSigned, transition } from '../../src/store/requests.ts';

const USER = 'signrelay.integration';
const PASSWORD = 'sn-deliver-pass-3e9a';
const RECORD = 'RITM0010001';

interface Setup {
  sim: ServiceNowSimulator;
  deps: DeliveryDeps;
  requestId: string;
  dataDir: string;
  /** Moves the deps' clock on: past servicenow.upload_settle_seconds, a lost PATCH can no longer land. */
  advance(ms: number): void;
}
let setup: Setup | undefined;

async function start(forbiddenTables: string[] = []): Promise<Setup> {
  const sim = await startServiceNowSimulator({ users: { [USER]: PASSWORD }, records: [{ table: 'sc_req_item', number: RECORD }], forbiddenTables });
  const dataDir = mkdtempSync(join(tmpdir(), 'signrelay-deliver-'));
  const config = configSchema.parse({
    mailboxes: { requests: { host: 'h', user: 'u', password: 'p', address: 'sign@corp.example' }, returns: { address: 'returns@corp.example', folder: 'Returns' } },
    smtp: { host: 'h', from: 'signrelay <sign@corp.example>' },
    provider: { api_key: 'k', api_secret: 's', referer: 'https://corp.example' },
    servicenow: { instance_url: sim.url, auth: { type: 'basic', user: USER, password: PASSWORD } },
    routes: { default: {} },
  });
  const db: Db = openDatabase(dataDir);
  const blobs = new BlobStore(dataDir);
  let clock = Date.now();
  const now = () => new Date(clock);
  const requestId = insertRequest(db, {
    token: 'tok-deliver-1', state: 'received', route: 'default', provider: 'secured-signing', requester: 'helen.officer@corp.example',
    subject: `Contract for ${RECORD}`, messageId: '<deliver-1@corp.example>', record: { number: RECORD, table: 'sc_req_item' },
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' }], dueDate: '2026-12-31',
    documents: [{ fileName: 'contract.pdf', originalSha256: 'a'.repeat(64) }],
  }, now());
  for (const state of ['stamped', 'uploaded', 'sent', 'completed'] as const) transition(db, requestId, state, now());
  setDocumentReference(db, requestId, 1, 'DOC-REF-1');
  setDocumentSigned(db, requestId, 1, blobs.put(new TextEncoder().encode('%PDF-1.7 signed copy\n')));
  const servicenow = createServiceNowClient({ config: config.servicenow, tokenStore: { load: () => null, save: () => undefined } });
  const deps: DeliveryDeps = { db, blobs, config, servicenow, smtp: { send: () => Promise.reject(new Error('no mail in REST mode')) } as unknown as DeliveryDeps['smtp'], logger: silentLogger(), now };
  return { sim, deps, requestId, dataDir, advance: (ms) => (clock += ms) };
}

beforeEach(() => {
  setup = undefined;
});
afterEach(async () => {
  if (!setup) return;
  setup.deps.db.close();
  await setup.sim.close();
  rmSync(setup.dataDir, { recursive: true, force: true });
});

const deliver = (s: Setup, servicenow: ServiceNowApi = s.deps.servicenow) => deliverToServiceNow({ ...s.deps, servicenow }, getRequest(s.deps.db, s.requestId)!);
const notes = (s: Setup) => s.sim.records[0]!.journal.filter((j) => j.field === 'work_notes');
const patches = (s: Setup) => s.sim.calls.filter((c) => c.method === 'PATCH');
const journalReads = (s: Setup) => s.sim.calls.filter((c) => c.path === '/api/now/table/sys_journal_field');
const notePhases = (s: Setup) => listEvents(s.deps.db, s.requestId)
  .filter((e) => e.kind === 'effect' && e.detail?.effect === 'work-note').map((e) => e.detail!.phase);
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: Error & { code?: string }) => err);

/** The process "dies" around the PATCH: before it is sent, or after it was applied but before its answer is read. */
function dyingAround(s: Setup, moment: 'before' | 'after'): ServiceNowApi {
  const real = s.deps.servicenow;
  return {
    ...real,
    async addWorkNote(table, sysId, text) {
      if (moment === 'after') await real.addWorkNote(table, sysId, text);
      throw new Error('SIGKILL');
    },
  };
}

describe('the work note of a REST delivery', () => {
  // restore review H1: a database restored from a backup taken before the delivery remembers no
  // upload; the record was asked only after an upload whose outcome was unknown, so the reconcile
  // attached every signed copy delivered since the backup a second time.
  it('a signed copy already on the record, though this database remembers no upload of it: not attached again', async () => {
    const s = (setup = await start());
    await deliver(s);
    expect(s.sim.records[0]!.attachments).toHaveLength(1);
    // What a restore from the backup taken before it leaves: completed, no attachment, no effect recorded.
    s.deps.db.prepare("DELETE FROM events WHERE request_id = ? AND (kind = 'effect' OR to_state = 'delivered')").run(s.requestId);
    s.deps.db.prepare("UPDATE requests SET state = 'completed' WHERE id = ?").run(s.requestId);
    s.deps.db.prepare('UPDATE documents SET attachment_sys_id = NULL WHERE request_id = ?').run(s.requestId);
    await deliver(s);
    expect(s.sim.records[0]!.attachments).toHaveLength(1);
    const attach = listEvents(s.deps.db, s.requestId).filter((e) => e.kind === 'effect' && e.detail?.effect === 'attach-1');
    expect(attach.map((e) => e.detail)).toMatchObject([{ phase: 'done', resolvedBy: 'attachment list' }]);
  });

  it('a PATCH refused (429, rate-limited) is recorded as failed and the retry adds the note, once', async () => {
    const s = setup = await start();
    s.sim.failNext(`/api/now/table/sc_req_item/${s.sim.records[0]!.sysId}`, { status: 429, retryAfter: 1 });
    expect(await failure(deliver(s))).toMatchObject({ code: 'servicenow_rate_limited' });
    expect(notePhases(s)).toEqual(['intent', 'failed']);
    expect(notes(s)).toHaveLength(0);

    await deliver(s); // the job's retry
    await deliver(s); // and once more: nothing left to do
    expect(notes(s)).toHaveLength(1);
    expect(notes(s)[0]!.value).toContain(`signrelay, request ${s.requestId}`);
    expect(notePhases(s)).toEqual(['intent', 'failed', 'intent', 'done']);
    expect(journalReads(s)).toHaveLength(0); // a refusal is no unknown: no need to look
    expect(s.sim.records[0]!.attachments).toHaveLength(1);
  });

  it('a PATCH answered 503 (the instance unavailable) is a refusal too: recorded as failed, and the retry adds the note without reading the journal', async () => {
    const s = setup = await start();
    s.sim.failNext(`/api/now/table/sc_req_item/${s.sim.records[0]!.sysId}`, { status: 503 });
    expect(await failure(deliver(s))).toMatchObject({ code: 'servicenow_unavailable' });
    expect(notePhases(s)).toEqual(['intent', 'failed']);
    await deliver(s);
    expect(notes(s)).toHaveLength(1);
    expect(journalReads(s)).toHaveLength(0);
    expect(notePhases(s)).toEqual(['intent', 'failed', 'intent', 'done']);
  });

  it('an intent without a result, the note already in the journal: not added again', async () => {
    const s = setup = await start();
    await failure(deliver(s, dyingAround(s, 'after')));
    expect(notePhases(s)).toEqual(['intent']);
    expect(notes(s)).toHaveLength(1);

    await deliver(s); // the restarted daemon
    expect(notes(s)).toHaveLength(1);
    expect(patches(s)).toHaveLength(1);
    expect(journalReads(s)).toHaveLength(1);
    expect(notePhases(s)).toEqual(['intent', 'done']);
    expect(listEvents(s.deps.db, s.requestId).at(-1)!.detail).toMatchObject({ resolvedBy: 'journal', entry: notes(s)[0]!.sysId });
  });

  it('an intent without a result, the note not in the journal: added once', async () => {
    const s = setup = await start();
    await failure(deliver(s, dyingAround(s, 'before')));
    expect(notes(s)).toHaveLength(0);

    // Not in the journal yet, and the instance may still be storing it: not written again yet.
    expect(await failure(deliver(s))).toMatchObject({ code: 'servicenow_upload_settling' });
    expect(patches(s)).toHaveLength(0);
    s.advance(91_000);
    await deliver(s);
    await deliver(s);
    expect(notes(s)).toHaveLength(1);
    expect(journalReads(s)).toHaveLength(2);
    expect(notePhases(s)).toEqual(['intent', 'intent', 'done']);
  });

  it('a 500 leaves the outcome unknown: the journal decides (here: not applied, so added once)', async () => {
    const s = setup = await start();
    s.sim.failNext(`/api/now/table/sc_req_item/${s.sim.records[0]!.sysId}`, { status: 500 });
    expect(await failure(deliver(s))).toMatchObject({ code: 'servicenow_server_error' });
    expect(notePhases(s)).toEqual(['intent']);
    s.advance(91_000);
    await deliver(s);
    expect(notes(s)).toHaveLength(1);
    expect(journalReads(s)).toHaveLength(1);
  });

  it('a journal the user cannot read: the note is not risked twice, and the event names the permission', async () => {
    const s = setup = await start(['sys_journal_field']);
    await failure(deliver(s, dyingAround(s, 'after')));
    await deliver(s);
    await deliver(s);
    expect(notes(s)).toHaveLength(1);
    expect(patches(s)).toHaveLength(1);
    expect(notePhases(s)).toEqual(['intent', 'skipped']);
    expect(String(listEvents(s.deps.db, s.requestId).at(-1)!.detail!.reason)).toMatch(/HTTP 403.*read on sys_journal_field/);
  });
});

describe('the email delivery mode, at most once', () => {
  const emailDeps = (s: Setup, send: (m: unknown) => Promise<unknown>): DeliveryDeps => ({
    ...s.deps,
    config: { ...s.deps.config, servicenow: { ...s.deps.config.servicenow, delivery: 'email', inbound_address: 'acme@service-now.com' } },
    smtp: { send } as unknown as DeliveryDeps['smtp'],
  });
  const mailPhases = (s: Setup) => listEvents(s.deps.db, s.requestId)
    .filter((e) => e.kind === 'effect' && e.detail?.effect === 'inbound-email').map((e) => e.detail!.phase);
  /** The sender's failure as classify-smtp-error.ts makes it: never reached, or ended once open (outcome unknown). */
  const unreached = () => new SignrelayError('transient', 'smtp_unavailable', 'The SMTP server h:25 could not be reached (ESOCKET: connect ECONNREFUSED)');
  const dropped = () => new SignrelayError('transient', 'smtp_dropped', 'The connection to the SMTP server h:25 ended before it answered (ECONNECTION): the mail may have gone out.', { outcomeUnknown: true });
  const refused = () => new SignrelayError('transient', 'smtp_deferred', 'The SMTP server h:25 asked to try again later (451 busy).');

  it('a server that was never reached or refused the mail: recorded as failed, and the retry sends it once', async () => {
    for (const error of [unreached, refused]) {
      const s = setup = await start();
      const sent: unknown[] = [];
      await failure(deliverToServiceNow(emailDeps(s, () => Promise.reject(error())), getRequest(s.deps.db, s.requestId)!));
      await deliverToServiceNow(emailDeps(s, (m) => { sent.push(m); return Promise.resolve({ messageId: '<x@corp.example>' }); }), getRequest(s.deps.db, s.requestId)!);
      expect(sent).toHaveLength(1);
      expect(mailPhases(s)).toEqual(['intent', 'failed', 'intent', 'done']);
      setup = undefined;
      s.deps.db.close();
      await s.sim.close();
      rmSync(s.dataDir, { recursive: true, force: true });
    }
  });

  it('a connection that dropped after the mail may have gone: not sent again, the delivery fails naming what to check and how to send it again', async () => {
    const s = setup = await start();
    const sent: unknown[] = [];
    const mailer = emailDeps(s, (m) => { sent.push(m); return Promise.resolve({ messageId: '<x@corp.example>' }); });
    await failure(deliverToServiceNow(emailDeps(s, () => Promise.reject(dropped())), getRequest(s.deps.db, s.requestId)!));
    const unknown = await failure(deliverToServiceNow(mailer, getRequest(s.deps.db, s.requestId)!));
    expect(unknown).toMatchObject({ kind: 'permanent', code: 'delivery_outcome_unknown' });
    expect(unknown.message).toMatch(/whether the mail went out is unknown.*check that RITM0010001 has it.*signrelay retry r_/);
    // Asked again without the operator: the same answer, nothing mailed.
    expect(await failure(deliverToServiceNow(mailer, getRequest(s.deps.db, s.requestId)!))).toMatchObject({ code: 'delivery_outcome_unknown' });
    expect(sent).toHaveLength(0);
    expect(mailPhases(s)).toEqual(['intent', 'skipped']);
    // The operator checked the record and retried the failed request (signrelay retry): mailed once.
    transition(s.deps.db, s.requestId, 'failed', new Date(), { reason: 'delivery outcome unknown' });
    transition(s.deps.db, s.requestId, 'completed', new Date());
    await deliverToServiceNow(mailer, getRequest(s.deps.db, s.requestId)!);
    await deliverToServiceNow(mailer, getRequest(s.deps.db, s.requestId)!);
    expect(sent).toHaveLength(1);
    expect(mailPhases(s)).toEqual(['intent', 'skipped', 'intent', 'done']);
  });
});
