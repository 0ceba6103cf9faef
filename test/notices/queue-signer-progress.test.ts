// The transaction behind each signer's note, on SQLite with the real migrations: a signer
// is noted once (its row and its `record` job together), several at once in signing order;
// nothing is queued once the completion came first (a `complete` job pending, the request
// no longer `sent`); a signer's note still queued when the request completed is folded
// into the signed note by the `record` job, with no PATCH at all.
import { describe, expect, it } from 'vitest';
import { createRecordUpdateHandler } from '../../src/completion/update-record.ts';
import type { RecordApi } from '../../src/completion/record-effects.ts';
import { configSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { queueSignerProgress } from '../../src/notices/queue-signer-progress.ts';
import { listEvents } from '../../src/store/events.ts';
import { enqueueJob, jobsForRequest } from '../../src/store/jobs.ts';
import { openMemoryDatabase, type Db } from '../../src/store/open-database.ts';
import { insertRequest, transition } from '../../src/store/requests.ts';
import { notedSigners } from '../../src/store/signer-notes.ts';

const config = configSchema.parse({
  mailboxes: { requests: { host: 'h', user: 'u', password: 'p', address: 'sign@corp.example' }, returns: { address: 'returns@corp.example', folder: 'Returns' } },
  smtp: { host: 'h', from: 'signrelay <sign@corp.example>' },
  provider: { api_key: 'k', api_secret: 's', referer: 'https://corp.example' },
  servicenow: { instance_url: 'https://example.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' }, status_field: 'u_signature_status' },
  routes: { default: {} },
});
const now = new Date('2030-01-02T03:04:05Z');
const SIGNERS = [
  { firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' },
  { firstName: 'Bob', lastName: 'Ray', email: 'bob.ray@corp.example' },
  { firstName: 'Cy', lastName: 'Dee', email: 'cy@corp.example' },
];
const status = (...signed: boolean[]) => [{ signers: SIGNERS.map((s, i) => ({ email: s.email, hasSigned: signed[i] ?? false })) }];

function sentRequest(db: Db): string {
  const id = insertRequest(db, {
    token: `tok-${Math.random()}`, state: 'received', route: 'default', provider: 'secured-signing', requester: 'helen.officer@corp.example',
    subject: 'Contract for RITM0010001', messageId: null, record: { number: 'RITM0010001', table: 'sc_req_item' },
    signers: SIGNERS, signersFrom: 'mail', dueDate: '2099-12-31', documents: [{ fileName: 'contract.pdf', originalSha256: 'a'.repeat(64) }],
  }, now);
  for (const state of ['stamped', 'uploaded', 'sent'] as const) transition(db, id, state, now);
  return id;
}
const progressJobs = (db: Db, id: string) => jobsForRequest(db, id).filter((j) => j.kind === 'record' && j.payload.event === 'progress');

describe('queueSignerProgress', () => {
  it('notes each signer once, several at once in signing order, with their record job and no status change', () => {
    const db = openMemoryDatabase();
    const id = sentRequest(db);
    expect(queueSignerProgress(db, config, id, status(true), now)).toBe(1);
    expect(queueSignerProgress(db, config, id, status(true), now)).toBe(0);
    expect(queueSignerProgress(db, config, id, status(true, true, true), now)).toBe(2);
    expect(queueSignerProgress(db, config, id, status(true, true, true), now)).toBe(0);
    expect([...notedSigners(db, id)].sort()).toEqual([0, 1, 2]);
    expect(progressJobs(db, id).map((j) => j.payload)).toEqual([
      { event: 'progress', note: "Ann Lee's invitation signed, 1 of 3 (ann.lee@example.com)." },
      { event: 'progress', note: "Bob Ray's invitation signed, 2 of 3 (bob.ray@corp.example)." },
      { event: 'progress', note: "Cy Dee's invitation signed, 3 of 3 (cy@corp.example)." },
    ]);
  });

  it('writes the time the provider reports for a signature into its note, in UTC: the one newly signed gets the document\'s last signing time', () => {
    const db = openMemoryDatabase();
    const id = sentRequest(db);
    const at = (lastSignedAt: string, ...signed: boolean[]) => [{ ...status(...signed)[0]!, lastSignedAt: new Date(lastSignedAt) }];
    queueSignerProgress(db, config, id, at('2030-01-01T22:15:40+01:00', true), now);
    // Two found at once: the document's last signature is one of theirs, nobody knows whose — no time.
    queueSignerProgress(db, config, id, at('2030-01-02T01:00:00Z', true, true, true), now);
    expect(progressJobs(db, id).map((j) => j.payload.note)).toEqual([
      "Ann Lee's invitation signed, 1 of 3 (ann.lee@example.com), at 2030-01-01 21:15 UTC as Secured Signing reports.",
      "Bob Ray's invitation signed, 2 of 3 (bob.ray@corp.example).",
      "Cy Dee's invitation signed, 3 of 3 (cy@corp.example).",
    ]);
  });

  it('queues nothing once the completion came first', () => {
    const db = openMemoryDatabase();
    const pending = sentRequest(db);
    enqueueJob(db, { kind: 'complete', requestId: pending, payload: { attachments: [], source: 'mail' } }, now);
    expect(queueSignerProgress(db, config, pending, status(true, true), now)).toBe(0);
    const completed = sentRequest(db);
    transition(db, completed, 'completed', now);
    expect(queueSignerProgress(db, config, completed, status(true, true), now)).toBe(0);
    expect([...notedSigners(db, pending), ...notedSigners(db, completed)]).toEqual([]);
  });

  it('a signer\'s note still queued when the request completed is folded into the signed note: no PATCH', async () => {
    const db = openMemoryDatabase();
    const id = sentRequest(db);
    queueSignerProgress(db, config, id, status(true), now);
    for (const state of ['completed', 'delivered'] as const) transition(db, id, state, now);
    const refuse = () => Promise.reject(new Error('no call to the instance is expected'));
    const servicenow: RecordApi = { findRecord: refuse, addWorkNote: refuse, findJournalEntries: refuse, setField: refuse, readField: refuse };
    const handler = createRecordUpdateHandler({ db, config, servicenow, logger: silentLogger(), now: () => now });
    const [job] = progressJobs(db, id);
    await handler.run(job!);
    expect(listEvents(db, id).at(-1)).toMatchObject({ kind: 'effect', detail: { effect: `record-note-${job!.id}`, phase: 'superseded', by: 'signed' } });
  });
});
