// A send whose answer was lost (Signicat: no way to look an order up by its client
// reference) waits for the order's creation notice before it is sent again — for
// provider.send_notice_wait_seconds of time this process has been up, not since the send:
// after an outage longer than the wait, the notice may be unread in the return mailbox, and
// the job runner starts before the watchers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createSubmitHandler } from '../../src/intake/submit-request.ts';
import { silentLogger } from '../../src/log.ts';
import type { FindSentInput, SigningProvider } from '../../src/providers/provider.ts';
import { signicatTraits } from '../../src/providers/signicat/traits.ts';
import { BlobStore } from '../../src/store/blobs.ts';
import { addEvent, listEvents } from '../../src/store/events.ts';
import type { JobRow } from '../../src/store/jobs.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import { getRequest, insertRequest, setDocumentReference, setDocumentStamped, transition } from '../../src/store/requests.ts';

const config = (wait?: number) => configSchema.parse({
  mailboxes: { requests: { host: 'h', user: 'u', password: 'p', address: 'sign@corp.example' }, returns: { address: 'returns@corp.example', folder: 'Returns' } },
  smtp: { host: 'h', from: 'signrelay <sign@corp.example>' },
  provider: {
    type: 'signicat', client_id: 'c', client_secret: 's', signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }],
    ...(wait === undefined ? {} : { send_notice_wait_seconds: wait }),
  },
  servicenow: { instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' } },
  alerts: { to: ['admins@corp.example'] },
  routes: { default: {} },
});

const MINUTE = 60_000;
let dataDir: string;
let db: Db;
let clock: number;
const now = () => new Date(clock);

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'signrelay-notice-wait-'));
  db = openDatabase(dataDir);
  clock = Date.parse('2026-03-02T10:00:00Z');
});

afterEach(() => db.close());

/** A request uploaded, whose send was attempted at the clock's time and never answered. */
function lostSend(): string {
  const blobs = new BlobStore(dataDir);
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'signicat', requester: 'helen@corp.example', subject: 'RITM0010001',
    messageId: null, record: { number: 'RITM0010001' }, signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }], dueDate: '2099-01-31',
    documents: [{ fileName: 'contract.pdf', originalSha256: blobs.put(Buffer.from('%PDF-1.7 original')) }],
  }, now());
  setDocumentStamped(db, id, 1, blobs.put(Buffer.from('%PDF-1.7 stamped')), 'contract--signrelay-abcdefghijklmnopqrst.pdf');
  transition(db, id, 'stamped', now());
  setDocumentReference(db, id, 1, 'doc-1');
  addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'upload', phase: 'done', seq: 1, reference: 'doc-1' } }, now());
  transition(db, id, 'uploaded', now());
  addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'send', phase: 'intent', references: ['doc-1'] } }, now());
  return id;
}

/** Signicat as findSent sees it when no notice came: unknown while still waiting, "not sent" after. */
function provider(asked: FindSentInput[]): SigningProvider {
  let uploads = 0;
  return {
    ...signicatTraits(),
    async upload() {
      return { reference: `doc-renewed-${++uploads}` };
    },
    async send() {
      return { orderId: 'order-2', tasks: [{ id: 'task-1', signer: 'ann@example.com' }], documents: [null] };
    },
    async findSent(input) {
      asked.push(input);
      if (input.stillWaiting) throw Object.assign(new Error('not known yet'), { kind: 'transient', code: 'provider_send_unconfirmed' });
      return null;
    },
    status: () => Promise.reject(new Error('not used')),
    download: () => Promise.reject(new Error('not used')),
    sendReminder: () => Promise.reject(new Error('not used')),
    extend: () => Promise.reject(new Error('not used')),
    cancel: () => Promise.reject(new Error('not used')),
    downloadCertificate: () => Promise.reject(new Error('not used')),
    accountInfo: () => Promise.reject(new Error('not used')),
  } as SigningProvider;
}

const job = (requestId: string) => ({ id: 1, kind: 'submit', requestId, payload: {}, state: 'pending', attempts: 0, runAt: '', lastError: null, createdAt: '', interrupted: 0, waitingFor: null }) as JobRow;

function handler(wait: number | undefined, asked: FindSentInput[], returnsCaughtUp?: () => boolean) {
  return createSubmitHandler({ db, blobs: new BlobStore(dataDir), config: config(wait), provider: provider(asked), logger: silentLogger(), now, returnsCaughtUp });
}

describe('a send whose answer was lost, without a notice', () => {
  it('waits 15 minutes by default, then sends again', async () => {
    const id = lostSend();
    const asked: FindSentInput[] = [];
    const submit = handler(undefined, asked);
    clock += 14 * MINUTE;
    await expect(submit.run(job(id))).rejects.toThrow('not known yet');
    clock += 2 * MINUTE;
    await submit.run(job(id));
    expect(asked.map((a) => a.stillWaiting)).toEqual([true, false]);
    expect(getRequest(db, id)?.state).toBe('sent');
  });

  it('counts only time this process has been up: after a longer outage it waits again before sending', async () => {
    const id = lostSend();
    clock += 3 * 60 * MINUTE; // signrelay was down for three hours after the send
    const asked: FindSentInput[] = [];
    const submit = handler(undefined, asked); // the restart
    await expect(submit.run(job(id))).rejects.toThrow('not known yet');
    clock += 14 * MINUTE;
    await expect(submit.run(job(id))).rejects.toThrow('not known yet');
    clock += 2 * MINUTE;
    await submit.run(job(id));
    expect(asked.map((a) => a.stillWaiting)).toEqual([true, true, false]);
    expect(listEvents(db, id).filter((e) => e.detail?.effect === 'send' && e.detail.phase === 'done')).toHaveLength(1);
  });

  it('past the wait, keeps waiting while the return mailbox is not read to its end (its watcher down), then sends once', async () => {
    const id = lostSend();
    const asked: FindSentInput[] = [];
    let caughtUp = false;
    const submit = handler(undefined, asked, () => caughtUp);
    clock += 16 * MINUTE;
    await expect(submit.run(job(id))).rejects.toThrow('not known yet');
    clock += 60 * MINUTE; // the return mailbox still unreachable an hour on: no second order
    await expect(submit.run(job(id))).rejects.toThrow('not known yet');
    caughtUp = true; // read to its end, and no notice in it
    await submit.run(job(id));
    expect(asked.map((a) => a.stillWaiting)).toEqual([true, true, false]);
    expect(listEvents(db, id).filter((e) => e.detail?.effect === 'send' && e.detail.phase === 'intent')).toHaveLength(2);
    expect(getRequest(db, id)?.state).toBe('sent');
  });

  it('takes provider.send_notice_wait_seconds', async () => {
    const id = lostSend();
    const asked: FindSentInput[] = [];
    const submit = handler(30, asked);
    clock += 29_000;
    await expect(submit.run(job(id))).rejects.toThrow('not known yet');
    clock += 2_000;
    await submit.run(job(id));
    expect(asked.map((a) => a.stillWaiting)).toEqual([true, false]);
  });
});
