// Cancelling a request whose send's answer was lost (Signicat: the order may exist, and only
// its notice names its id). The provider is asked first; an order it names is withdrawn. While
// the notice may still come (provider.send_notice_wait_seconds, as the submit job waits) the
// job waits for it; an order still unnamed after that is not recorded as withdrawn, and the
// operator is told — once — what to look for.
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
import { jobsForRequest, type JobRow } from '../../src/store/jobs.ts';
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
let clock: number;
const now = () => new Date(clock);
const MINUTE = 60_000;
beforeEach(() => {
  db = openDatabase(mkdtempSync(join(tmpdir(), 'signrelay-cancel-lost-')));
  clock = Date.parse('2026-03-02T10:00:00Z');
});
afterEach(() => db.close());

/** An uploaded request whose send was attempted at the clock's time and never answered; `notice`: an order id its return address was told. */
function lostSend(notice?: string): string {
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'signicat', requester: 'helen@corp.example', subject: 'RITM0010001',
    messageId: null, record: { number: 'RITM0010001' }, signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }], dueDate: '2099-01-31',
    documents: [{ fileName: 'contract.pdf', originalSha256: 'a'.repeat(64) }],
  }, now());
  for (const state of ['stamped', 'uploaded'] as const) transition(db, id, state, now());
  setDocumentReference(db, id, 1, 'doc-1');
  addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'send', phase: 'intent', references: ['doc-1'] } }, now());
  if (notice) announce(id, notice);
  return id;
}

const announce = (id: string, orderId: string) => addEvent(db, { requestId: id, kind: 'mail', detail: { received: 'notice', references: [orderId] } }, now());

/** Signicat as findSent sees it: the order its notice named, else "not known yet" while waiting, else none. */
function provider(asked: FindSentInput[], withdrawn: SentDocument[]): SigningProvider {
  return {
    ...signicatTraits(),
    async findSent(input) {
      asked.push(input);
      const order = input.announcedOrderIds?.find((id) => id === 'order-7');
      if (order) return { orderId: order, tasks: [{ id: 'task-1', signer: 'ann@example.com' }], documents: [null] };
      if (input.stillWaiting) throw Object.assign(new Error('not known yet'), { kind: 'transient', code: 'provider_send_unconfirmed' });
      return null;
    },
    async cancel(document) {
      withdrawn.push(document);
    },
  } as SigningProvider;
}

const job = (requestId: string) => ({ id: 1, kind: 'cancel', requestId, payload: { reason: 'wrong file' }, state: 'pending', attempts: 0, runAt: '', lastError: null, createdAt: '', interrupted: 0, waitingFor: null }) as JobRow;
const handler = (asked: FindSentInput[], withdrawn: SentDocument[], returnsCaughtUp?: () => boolean) =>
  createCancelHandler({ db, config, provider: provider(asked, withdrawn), logger: silentLogger(), now, returnsCaughtUp });
const phases = (id: string, effect: string) => listEvents(db, id).filter((e) => e.detail?.effect === effect).map((e) => e.detail!.phase);
const alerts = (id: string) => listEvents(db, id).filter((e) => e.detail?.alert === 'undeliverable');
const notices = (id: string) => jobsForRequest(db, id).filter((j) => j.kind === 'mail' && j.payload.purpose === 'notice');

describe('cancelling a request whose send\'s answer was lost', () => {
  it('withdraws the order the provider names from its notice', async () => {
    const id = lostSend('order-7');
    const asked: FindSentInput[] = [];
    const withdrawn: SentDocument[] = [];
    await handler(asked, withdrawn).run(job(id));
    expect(asked[0]).toMatchObject({ announcedOrderIds: ['order-7'] });
    expect(withdrawn.map((d) => d.orderId)).toEqual(['order-7']);
    expect(phases(id, 'withdraw-1')).toEqual(['intent', 'done']);
    expect(getRequest(db, id)).toMatchObject({ state: 'cancelled', providerOrderId: 'order-7' });
  });

  it('cancelled before the order\'s notice came: waits for it, then withdraws the order it names', async () => {
    const id = lostSend();
    const asked: FindSentInput[] = [];
    const withdrawn: SentDocument[] = [];
    const cancel = handler(asked, withdrawn);
    clock += MINUTE;
    await expect(cancel.run(job(id))).rejects.toThrow('not known yet');
    // Cancelled here at once (no later job sends it), the order not given up on.
    expect(getRequest(db, id)?.state).toBe('cancelled');
    expect(withdrawn).toEqual([]);
    expect(alerts(id)).toEqual([]);
    clock += 2 * MINUTE;
    announce(id, 'order-7'); // the CREATED notice, read by the return mailbox's watcher
    await cancel.run(job(id));
    expect(asked.map((a) => a.stillWaiting)).toEqual([true, true]);
    expect(withdrawn.map((d) => d.orderId)).toEqual(['order-7']);
    expect(phases(id, 'withdraw-1')).toEqual(['intent', 'done']);
    expect(alerts(id)).toEqual([]);
  });

  it('past the wait while the return mailbox is not read to its end, still waits', async () => {
    const id = lostSend();
    let caughtUp = false;
    const cancel = handler([], [], () => caughtUp);
    clock += 60 * MINUTE;
    await expect(cancel.run(job(id))).rejects.toThrow('not known yet');
    expect(alerts(id)).toEqual([]);
    caughtUp = true;
    await cancel.run(job(id));
    expect(alerts(id)).toHaveLength(1);
  });

  it('no order named within provider.send_notice_wait_seconds: nothing recorded as withdrawn, the operator alerted once with what to look for', async () => {
    const id = lostSend();
    const withdrawn: SentDocument[] = [];
    const cancel = handler([], withdrawn);
    clock += 16 * MINUTE;
    await cancel.run(job(id));
    expect(withdrawn).toEqual([]);
    expect(phases(id, 'withdraw-1')).toEqual([]);
    expect(phases(id, 'withdraw')).toEqual(['unknown']);
    expect(String(alerts(id)[0]?.detail?.text)).toContain('withdraw the order whose client reference is abcdefghijklmnopqrst at Signicat');
    expect(getRequest(db, id)?.state).toBe('cancelled');
    // A second cancel (a requester's reply after the operator's, a run after a crash) tells nobody again.
    await cancel.run(job(id));
    expect(alerts(id)).toHaveLength(1);
    expect(phases(id, 'withdraw')).toEqual(['unknown']);
    expect(notices(id)).toHaveLength(1); // the requester was told at the first run, not again
  });
});
