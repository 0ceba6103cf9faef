// A work note a proxy refused to forward (its block page, not ServiceNow's JSON: nothing
// reached the instance) is a refusal — nothing applied — and is made again once the operator
// fixed the path. Taken for an answer lost on the way (this stop's diff review), it was
// settled from the journal after the fix, and an integration user without read on the journal
// (the usual case) had the note recorded as skipped: never written.
import { expect, it } from 'vitest';
import { addNoteOnce } from '../../src/completion/record-effects.ts';
import { silentLogger } from '../../src/log.ts';
import { classifyHttpFailure } from '../../src/servicenow/classify-error.ts';
import { listEvents } from '../../src/store/events.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { insertRequest } from '../../src/store/requests.ts';

const NOW = new Date('2026-12-05T10:00:00Z');

it('a work note a proxy blocked waits for the operator and is written once the path is open', async () => {
  const db = openMemoryDatabase();
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'secured-signing', requester: 'helen@corp.example',
    subject: 'Contract', messageId: '<req@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' }, signers: [], dueDate: '2026-12-17',
    documents: [{ fileName: 'contract.pdf', originalSha256: '1'.repeat(64) }],
  }, NOW);
  let blocked = true;
  let patches = 0;
  const servicenow = {
    async addWorkNote() {
      patches++;
      if (blocked) {
        throw classifyHttpFailure('add a work note to sc_req_item/abc', { status: 403, headers: new Headers({ 'Content-Type': 'text/html' }), bodyText: '<html><body>Blocked by policy</body></html>' }, { now: NOW.getTime(), auth: 'basic' });
      }
    },
    async findJournalEntries() {
      throw classifyHttpFailure('read the journal', { status: 403, headers: new Headers({ 'Content-Type': 'application/json' }), bodyText: '{"error":{"message":"User Not Authorized","detail":"ACL"},"status":"failure"}' },
        { now: NOW.getTime(), auth: 'basic', access: { subject: 'sys_journal_field', permission: 'read' } });
    },
  };
  const deps = { db, config: { servicenow: { upload_settle_seconds: 0 } } as never, servicenow: servicenow as never, logger: silentLogger(), now: () => NOW };
  const note = { effect: 'work-note', marker: '[signrelay r_x]', text: 'signed' };
  const record = { table: 'sc_req_item', sysId: 'abc' };
  expect(await addNoteOnce(deps, { id }, record, note).then(() => undefined, (e: unknown) => e)).toMatchObject({ kind: 'config', code: 'servicenow_not_the_api' });
  blocked = false;
  expect(await addNoteOnce(deps, { id }, record, note)).toBeNull();
  expect(patches).toBe(2);
  expect(listEvents(db, id).filter((e) => e.detail?.effect === 'work-note').map((e) => e.detail!.phase)).toEqual(['intent', 'failed', 'intent', 'done']);
});
