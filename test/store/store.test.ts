import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobStore, sha256 } from '../../src/store/blobs.ts';
import { hasEffect, listEvents, addEvent, countEventsWith } from '../../src/store/events.ts';
import { countRepliesTo, dueJobs, enqueueJob, failJob, finishJob, retryJob } from '../../src/store/jobs.ts';
import { placePrefix } from '../../src/mail/message-place.ts';
import { findMessage, findMessageById, markMoved, placeLegacyRows, recordMessage } from '../../src/store/messages.ts';
import { loadToken, saveToken } from '../../src/store/oauth-tokens.ts';
import { migrate, openDatabase, openMemoryDatabase } from '../../src/store/open-database.ts';
import { canTransition, isFinal, REQUEST_STATES } from '../../src/store/request-states.ts';
import { getDocuments, getRequest, getRequestByToken, insertRequest, knownRequesters, listRequests, type NewRequest, transition } from '../../src/store/requests.ts';

const now = new Date('2026-11-23T10:00:00Z');
const sample: NewRequest = {
  token: 'tok123', state: 'received', route: 'default', provider: 'secured-signing', requester: 'hr@corp.example',
  subject: 'RITM0010001 contract', messageId: '<m1@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' },
  signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@x.example' }], dueDate: '2026-12-07',
  documents: [{ fileName: 'contract.pdf', originalSha256: 'a'.repeat(64) }],
};

describe('the request state machine', () => {
  it.each([
    ['received', 'stamped', true], ['stamped', 'uploaded', true], ['uploaded', 'sent', true], ['sent', 'completed', true],
    ['completed', 'delivered', true], ['sent', 'declined', true], ['failed', 'uploaded', true],
    // A delivered request fails only when the mail that delivered it bounces (intake/process-bounce.ts); it goes nowhere else.
    ['delivered', 'failed', true], ['delivered', 'completed', false], ['delivered', 'cancelled', false],
    ['received', 'sent', false], ['sent', 'stamped', false], ['rejected', 'received', false],
  ] as const)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('has final states whose work is done (delivered only turns failed when its mail bounces)', () => {
    expect(REQUEST_STATES.filter(isFinal)).toEqual(['delivered', 'rejected', 'declined', 'expired', 'cancelled']);
  });

  it('records an audit event per transition and refuses illegal moves', () => {
    const db = openMemoryDatabase();
    const id = insertRequest(db, sample, now);
    transition(db, id, 'stamped', now);
    transition(db, id, 'uploaded', now);
    expect(() => transition(db, id, 'delivered', now)).toThrow(/cannot go from uploaded to delivered/);
    expect(getRequest(db, id)?.state).toBe('uploaded');
    expect(listEvents(db, id).map((e) => [e.fromState ?? null, e.toState])).toEqual([[null, 'received'], ['received', 'stamped'], ['stamped', 'uploaded']]);
  });
});

describe('repositories', () => {
  it('round-trips requests and documents', () => {
    const db = openMemoryDatabase();
    const id = insertRequest(db, sample, now);
    const row = getRequestByToken(db, 'tok123');
    expect(row).toMatchObject({ id, route: 'default', recordNumber: 'RITM0010001', signers: sample.signers, dueDate: '2026-12-07' });
    expect(getDocuments(db, id)).toEqual([expect.objectContaining({ seq: 1, fileName: 'contract.pdf', providerRef: null })]);
    expect(listRequests(db, { state: 'received' }).map((r) => r.id)).toEqual([id]);
    expect(listRequests(db, { state: 'sent' })).toEqual([]);
  });

  it('counts a request\'s events by a field of their detail, in SQL', () => {
    const db = openMemoryDatabase();
    const id = insertRequest(db, sample, now);
    const other = insertRequest(db, { ...sample, token: 'tok456' }, now);
    for (const [requestId, kind, detail] of [
      [id, 'note', { certificateCheck: 1 }], [id, 'note', { certificateCheck: 1 }], [id, 'note', { certificateCheck: 2 }],
      [id, 'effect', { certificateCheck: 1 }], [other, 'note', { certificateCheck: 1 }], [id, 'note', { certificateCheck: '1' }],
    ] as const) addEvent(db, { requestId, kind, detail }, now);
    expect(countEventsWith(db, id, 'note', 'certificateCheck', 1)).toBe(2);
    expect(countEventsWith(db, id, 'note', 'certificateCheck', 2)).toBe(1);
    expect(countEventsWith(db, id, 'note', 'certificateCheck', '1')).toBe(1);
    expect(countEventsWith(db, id, 'note', 'certificateCheck', 3)).toBe(0);
    expect(() => countEventsWith(db, id, 'note', "x') OR 1=1 --", 1)).toThrow(/not a detail field name/);
  });

  it('keys messages by mailbox+UIDVALIDITY+UID and by Message-ID', () => {
    const db = openMemoryDatabase();
    const key = { mailbox: 'requests', place: '17', uid: 4 };
    recordMessage(db, { ...key, messageId: '<a@x>', outcome: 'rejected', reason: 'no PDF', folder: 'Rejected', requestId: null }, now);
    expect(findMessage(db, key)?.outcome).toBe('rejected');
    expect(findMessage(db, { ...key, place: '18' })).toBeUndefined();
    expect(findMessageById(db, 'requests', '<a@x>')?.uid).toBe(4);
    expect(() => recordMessage(db, { ...key, messageId: null, outcome: 'ignored', reason: 'x', folder: 'Rejected', requestId: null }, now)).toThrow(/UNIQUE/);
    markMoved(db, key, now);
    expect(findMessage(db, key)?.movedAt).toBe(now.toISOString());
  });

  it('gives rows recorded before mails were keyed by place the place their mailbox watches now, once', () => {
    const db = openMemoryDatabase();
    const prefix = placePrefix({ user: 'sign', host: 'imap.corp.example' }, 'INBOX');
    expect(prefix).toBe('imap://sign@imap.corp.example/INBOX;UIDVALIDITY=');
    recordMessage(db, { mailbox: 'requests', place: '17', uid: 4, messageId: '<a@x>', outcome: 'request', reason: 'r', folder: 'Processed', requestId: null }, now);
    recordMessage(db, { mailbox: 'returns', place: '17', uid: 4, messageId: '<b@x>', outcome: 'completion', reason: 'c', folder: 'Processed', requestId: null }, now);
    expect(placeLegacyRows(db, 'requests', prefix)).toBe(1);
    expect(placeLegacyRows(db, 'requests', prefix)).toBe(0);
    expect(findMessage(db, { mailbox: 'requests', place: `${prefix}17`, uid: 4 })?.messageId).toBe('<a@x>');
    expect(findMessage(db, { mailbox: 'returns', place: '17', uid: 4 })?.messageId).toBe('<b@x>'); // another mailbox's rows are its own
  });

  it('hands out due jobs in order and keeps failures', () => {
    const db = openMemoryDatabase();
    const a = enqueueJob(db, { kind: 'mail', payload: { to: 'x' } }, now);
    const b = enqueueJob(db, { kind: 'submit', runAt: new Date(now.getTime() + 60_000) }, now);
    expect(dueJobs(db, now).map((j) => j.id)).toEqual([a]);
    retryJob(db, a, 'smtp down', new Date(now.getTime() + 120_000), now);
    expect(dueJobs(db, new Date(now.getTime() + 61_000)).map((j) => j.id)).toEqual([b]);
    finishJob(db, b, now);
    failJob(db, a, 'gave up', now);
    expect(dueJobs(db, new Date(now.getTime() + 10 * 60_000))).toEqual([]);
  });

  it('counts the replies to a mailbox, its subaddresses and any case included, within the window', () => {
    const db = openMemoryDatabase();
    const reply = (to: string, at: Date, purpose = 'reply') => enqueueJob(db, { kind: 'mail', payload: { purpose, message: { to } } }, at);
    reply('victim@corp.example', now);
    reply('Victim+1@Corp.Example', now);
    reply('victim+2@corp.example', now);
    reply('victim@corp.example', now, 'acknowledgement');
    reply('victim+3@corp.example', new Date(now.getTime() - 2 * 3_600_000));
    reply('other.victim@corp.example', now);
    reply('victim@other.example', now);
    const since = new Date(now.getTime() - 3_600_000);
    expect(countRepliesTo(db, 'victim+99@corp.example', since)).toBe(3);
    expect(countRepliesTo(db, 'VICTIM@corp.example', since, 'acknowledgement')).toBe(1);
    expect(countRepliesTo(db, 'other.victim@corp.example', since)).toBe(1);
    reply('+4790000001@sms.example', now);
    expect(countRepliesTo(db, '+4790000002@sms.example', since)).toBe(0);
  });

  it('finds recorded effect intents', () => {
    const db = openMemoryDatabase();
    const id = insertRequest(db, sample, now);
    expect(hasEffect(db, id, 'send', 'intent')).toBe(false);
    addEvent(db, { requestId: id, kind: 'effect', detail: { effect: 'send', phase: 'intent' } }, now);
    expect(hasEffect(db, id, 'send', 'intent')).toBe(true);
    expect(hasEffect(db, id, 'send', 'done')).toBe(false);
  });

  it('persists rotated OAuth tokens', () => {
    const db = openMemoryDatabase();
    expect(loadToken(db, 'secured-signing')).toBeNull();
    saveToken(db, 'secured-signing', { accessToken: 'a1', refreshToken: 'r1', expiresAt: 5 }, now);
    saveToken(db, 'secured-signing', { accessToken: 'a2', refreshToken: 'r2', expiresAt: 9 }, now);
    expect(loadToken(db, 'secured-signing')).toMatchObject({ accessToken: 'a2', refreshToken: 'r2', expiresAt: 9 });
  });
});

describe('the data directory', () => {
  it('is private, in WAL mode, and migrations apply once', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sr-')), 'data');
    const db = openDatabase(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'signrelay.db')).mode & 0o777).toBe(0o600);
    expect(migrate(db)).toBe(0);
    db.close();
    expect(migrate(openDatabase(dir))).toBe(0);
  });

  it('stores blobs by sha256, atomically and once', () => {
    const blobs = new BlobStore(mkdtempSync(join(tmpdir(), 'sr-')));
    const bytes = Buffer.from('%PDF-1.7 hello');
    const hash = blobs.put(bytes);
    expect(hash).toBe(sha256(bytes));
    expect(blobs.put(bytes)).toBe(hash);
    expect(blobs.get(hash).equals(bytes)).toBe(true);
    expect(statSync(blobs.pathOf(hash)).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(blobs.dir, hash.slice(0, 2)))).toEqual([`${hash}.pdf`]); // no temp files left
  });
});

describe('knownRequesters', () => {
  it('names, in lower case, who had a request go out for signing since the date — not those only refused, nor long ago', () => {
    const db = openMemoryDatabase();
    const request = (requester: string, state: 'sent' | 'delivered' | 'rejected', at: Date) => {
      const id = insertRequest(db, { token: `t${Math.random().toString(36).slice(2, 12)}`, state: 'received', route: 'default', provider: 'secured-signing', requester, subject: 's', messageId: null, record: null, signers: [], dueDate: '2030-01-01', documents: [] }, at);
      db.prepare('UPDATE requests SET state = ? WHERE id = ?').run(state, id);
    };
    const now = new Date('2030-06-01T00:00:00Z');
    request('Helen.Officer@corp.example', 'delivered', now);
    request('ann@corp.example', 'sent', now);
    request('stranger@corp.example', 'rejected', now);
    request('gone@corp.example', 'delivered', new Date('2028-01-01T00:00:00Z'));
    expect([...knownRequesters(db, new Date('2029-06-01T00:00:00Z'))].sort()).toEqual(['ann@corp.example', 'helen.officer@corp.example']);
  });
});
