// When the acknowledgement says signing closes: the due day's end where the provider closes
// then (Secured Signing), the moment the send gave where it counts whole days from the send
// (Signicat), and — for a send found again after its answer was lost, whose moment is not
// known here — no 23:59 it cannot promise (diff review 15 M3).
import { describe, expect, it } from 'vitest';
import { composeAcknowledgement } from '../../src/notices/compose-acknowledgement.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import type { RequestRow } from '../../src/store/requests.ts';

const request = {
  id: 'r_000000000001', subject: 'Contract', requester: 'ann@corp.example', dueDate: '2026-12-24', signers: [{ firstName: 'Bob', lastName: 'Stone', email: 'bob@example.com' }],
  recordNumber: 'RITM0010001', recordTable: 'sc_req_item', recordSysId: null, providerOrderId: 'order-1',
} as unknown as RequestRow;
const addresses = { from: 'signrelay <sign@corp.example>', replyTo: 'sign+secret@corp.example', messageId: '<ack@corp.example>', recordNotes: true };
const due = (text: string) => text.split('\n').find((line) => line.trimStart().startsWith('Due:'))?.trim();
const secured = providerTraits({ type: 'secured-signing' } as never);
const signicat = providerTraits({ type: 'signicat' } as never);

describe('the acknowledgement\'s closing time', () => {
  it.each([
    ['Secured Signing', secured, undefined, 'Due:        2026-12-24 (signing closes at 23:59 UTC that day)'],
    ['Signicat, sent', signicat, new Date('2026-12-24T10:07:00Z'), 'Due:        2026-12-24 (signing closes at 10:07 UTC that day)'],
    ['Signicat, a day later than due (the least it takes)', signicat, new Date('2026-12-25T09:00:00Z'), 'Due:        2026-12-24 (signing closes on 2026-12-25 at 09:00 UTC)'],
    ['Signicat, a send found again (its moment unknown)', signicat, undefined, 'Due:        2026-12-24 (signing closes that day, at the time of day it was sent)'],
  ])('%s', (_, provider, closesAt, line) => {
    expect(due(String(composeAcknowledgement(request, [{ providerRef: 'doc-1', fileName: 'contract.pdf' }], provider, addresses, closesAt).text))).toBe(line);
  });

  it('says when the due date is the route\'s default, none having been given', () => {
    const byRoute = { ...request, dueFrom: 'route' } as RequestRow;
    expect(due(String(composeAcknowledgement(byRoute, [{ providerRef: 'doc-1', fileName: 'contract.pdf' }], secured, addresses).text)))
      .toBe('Due:        2026-12-24 (the route\'s default: none was given; signing closes at 23:59 UTC that day)');
  });
});
