// Cancelling a request whose send's answer was lost (Signicat: the order may exist, and only
// its notice names its id). The provider is asked first; an order it names is withdrawn; one
// it cannot name is not recorded as withdrawn, and the operator is told what to look for.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCancelHandler } from '../../src/completion/cancel-request.ts';
import { configSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import type { FindSentInput, SentDocument, SigningProvider } from '../../src/providers/provider.ts';
import { signicatTraits } from '../../src/providers/signicat/traits.ts';
import { addEvent, listEvents } from '../../src/store/events.ts';
import type { JobRow } from '../../src/store/jobs.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import { getRequest, insertRequest, setDocumentReference, transition } from '../../src/store/requests.ts';

const config = configSchema.parse({
  mailboxes: { requests: { host: 'h', user: 'u', password: 'p', address: 'sign@corp.example' }, returns: { address: 'returns@corp.example', folder: 'Returns' } },
  smtp: { host: 'h', from: 'signrelay <sign@corp.example>' },
  provider: { type: 'signicat', client_id: 'c', client_secret: 's', signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }] },
  servicenow: { instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' }, work_note: false },
  alerts: { to: ['admins@corp.example'] },
  routes: { default: {} },
});

let db: Db;
beforeEach(() => {
  db = openDatabase(mkdtempSync(join(tmpdir(), 'signrelay-cancel-lost-')));
});
afterEach(() => db.close());

/** An uploaded request whose send was attempted and never answered; `notice`: an order id its return address was told. */
function lostSend(notice?: string): string {
  const now = new Date();
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'signicat', requester: 'helen@corp.example', subject: 'RITM0010001',
    messageId: null, record: { number: 'RITM0010001' }, signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }], dueDate: '2099-01-31',
    documents: [{ fileName: 'contract.pdf', originalSha256: 'a'.repeat(64) }],
  }, now);
  for (const state of ['stamped', 'uploaded'] as const) transition(db, id, state, now);
  setDocumentReference(db, id, 1, 'doc-1');
  addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'send', phase: 'intent', references: ['doc-1'] } }, now);
  if (notice) addEvent(db, { requestId: id, kind: 'mail', detail: { received: 'notice', references: [notice] } }, now);
  return id;
}

function provider(asked: FindSentInput[], withdrawn: SentDocument[]): SigningProvider {
  return {
    ...signicatTraits(),
    async findSent(input) {
      asked.push(input);
      const order = input.announcedOrderIds?.find((id) => id === 'order-7');
      return order ? { orderId: order, tasks: [{ id: 'task-1', signer: 'ann@example.com' }], documents: [null] } : null;
    },
    async cancel(document) {
      withdrawn.push(document);
    },
  } as SigningProvider;
}

const job = (requestId: string) => ({ id: 1, kind: 'cancel', requestId, payload: { reason: 'wrong file' }, state: 'pending', attempts: 0, runAt: '', lastError: null, createdAt: '', interrupted: 0 }) as JobRow;
const handler = (asked: FindSentInput[], withdrawn: SentDocument[]) =>
  createCancelHandler({ db, config, provider: provider(asked, withdrawn), logger: silentLogger(), now: () => new Date() });
const phases = (id: string, effect: string) => listEvents(db, id).filter((e) => e.detail?.effect === effect).map((e) => e.detail!.phase);

describe('cancelling a request whose send\'s answer was lost', () => {
  it('withdraws the order the provider names from its notice', async () => {
    const id = lostSend('order-7');
    const asked: FindSentInput[] = [];
    const withdrawn: SentDocument[] = [];
    await handler(asked, withdrawn).run(job(id));
    expect(asked[0]).toMatchObject({ announcedOrderIds: ['order-7'], stillWaiting: false });
    expect(withdrawn.map((d) => d.orderId)).toEqual(['order-7']);
    expect(phases(id, 'withdraw-1')).toEqual(['intent', 'done']);
    expect(getRequest(db, id)).toMatchObject({ state: 'cancelled', providerOrderId: 'order-7' });
  });

  it('records nothing as withdrawn when no order can be named, and alerts the operator with what to look for', async () => {
    const id = lostSend();
    const withdrawn: SentDocument[] = [];
    await handler([], withdrawn).run(job(id));
    expect(withdrawn).toEqual([]);
    expect(phases(id, 'withdraw-1')).toEqual([]);
    expect(phases(id, 'withdraw')).toEqual(['unknown']);
    const alert = listEvents(db, id).find((e) => e.detail?.alert === 'undeliverable');
    expect(String(alert?.detail?.text)).toContain('withdraw the order whose client reference is abcdefghijklmnopqrst at Signicat');
    expect(getRequest(db, id)?.state).toBe('cancelled');
  });
});
