// The "already out for signing" guard's question: is a request of this PDF for this record
// still at work? A failed request counts when its signers were invited, or may have been
// (its send's answer was lost): a second request of the same PDF would invite them again.
import { describe, expect, it } from 'vitest';
import { addEvent } from '../../src/store/events.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { insertRequest, openRequestWithDocument, transition, type NewRequest } from '../../src/store/requests.ts';
import type { RequestState } from '../../src/store/request-states.ts';

const now = new Date('2026-12-06T10:00:00Z');
const pdf = 'b'.repeat(64);
const sample: NewRequest = {
  token: 'tok-out', state: 'received', route: 'default', provider: 'secured-signing', requester: 'hr@corp.example',
  subject: 'RITM0010001 contract', messageId: '<m1@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' },
  signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@x.example' }], dueDate: '2026-12-20',
  documents: [{ fileName: 'contract.pdf', originalSha256: pdf }],
};

/** A request walked through `states`, with its send's phases recorded where `send` says. */
function requestThrough(states: RequestState[], send: string[] = []) {
  const db = openMemoryDatabase();
  const id = insertRequest(db, sample, now);
  for (const state of states) {
    if (state === 'sent' || state === 'failed') for (const phase of send.splice(0)) addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'send', phase } }, now);
    transition(db, id, state, now);
  }
  return { db, id, found: () => openRequestWithDocument(db, { number: 'rITM0010001' }, [pdf])?.id };
}

describe('a request of the same PDF for the same record, still at work', () => {
  it('is one out for signing', () => {
    const r = requestThrough(['stamped', 'uploaded', 'sent'], ['intent', 'done']);
    expect(r.found()).toBe(r.id);
  });

  it('is one that failed after its send\'s answer was lost: the signers may have been invited', () => {
    const r = requestThrough(['stamped', 'uploaded', 'failed'], ['intent']);
    expect(r.found()).toBe(r.id);
  });

  it('is one that failed after its signers were invited (the signing could not be followed, or the signed copy not delivered)', () => {
    const r = requestThrough(['stamped', 'uploaded', 'sent', 'failed'], ['intent', 'done']);
    expect(r.found()).toBe(r.id);
  });

  it('is not one whose send the provider refused, or that failed before it was sent', () => {
    expect(requestThrough(['stamped', 'uploaded', 'failed'], ['intent', 'failed']).found()).toBeUndefined();
    expect(requestThrough(['stamped', 'failed']).found()).toBeUndefined();
  });

  it('is not one that ended', () => {
    expect(requestThrough(['stamped', 'uploaded', 'sent', 'cancelled'], ['intent', 'done']).found()).toBeUndefined();
    expect(requestThrough(['stamped', 'uploaded', 'sent', 'declined'], ['intent', 'done']).found()).toBeUndefined();
  });
});
