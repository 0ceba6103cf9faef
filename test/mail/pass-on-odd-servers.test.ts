// A server that speaks IMAP4rev2 only (go-imap v2's, serving rev2) lists no MOVE, IDLE or
// UIDPLUS of their own: RFC 9051 folds them into IMAP4rev2, and imapflow counts them so
// (its hasCapability). signrelay read the tokens as listed: it filed by COPY, \Deleted,
// EXPUNGE and SEARCH instead of one MOVE, said the server had no IDLE and cut imapflow's IDLE
// to 10 s, and could never see a mail another program took (diff review 25 L2). And a watched
// folder refused when opened again mid-pass is no "folder missing" (L4). The client
// stands in for imapflow after such a login: what the watcher asks of it, it records.
import { describe, expect, it } from 'vitest';
import winston from 'winston';
import type { ImapFlow } from 'imapflow';
import { pollWithoutIdle } from '../../src/mail/imap-client.ts';
import { classifyImapError } from '../../src/mail/classify-imap-error.ts';
import { runWatchPass, type PassContext } from '../../src/mail/watch-pass.ts';
import { createRetrySchedule } from '../../src/mail/retry-schedule.ts';

/** What imapflow holds after logging in to a rev2-only server: CAPABILITY IMAP4rev2 … (no MOVE, IDLE, UIDPLUS tokens). */
function rev2Client(sent: string[]) {
  return {
    capabilities: new Map<string, boolean | number>([['IMAP4rev2', true], ['LITERAL+', true], ['SPECIAL-USE', true]]),
    enabled: new Set<string>(),
    usable: true,
    maxIdleTime: 5 * 60_000,
    mailbox: { path: 'INBOX', exists: 1, uidValidity: 7n, permanentFlags: new Set(['\\*']) },
    async getMailboxLock() { return { release() {} }; },
    async fetchAll() { return [{ uid: 5, size: 100, envelope: { messageId: '<m@x>', from: [{ address: 'ann@corp.example' }] } }]; },
    async messageMove(uid: string, folder: string): Promise<object> {
      sent.push(`UID MOVE ${uid} ${folder}`);
      return { path: 'INBOX', destination: folder, uidMap: new Map([[5, 1]]) };
    },
    async messageCopy(uid: string, folder: string) { sent.push(`UID COPY ${uid} ${folder}`); return { path: 'INBOX', destination: folder, uidMap: new Map([[5, 1]]) }; },
    async messageDelete(uid: string) { sent.push(`STORE+EXPUNGE ${uid}`); return true; },
    async search() { sent.push('UID SEARCH'); return []; },
    async fetchOne() { return { internalDate: new Date('2026-12-06T10:00:00Z'), headers: Buffer.from('Message-ID: <m@x>\r\n\r\n') }; },
  };
}

function context(client: ReturnType<typeof rev2Client>, taken: number[]): PassContext {
  return {
    mailbox: 'requests', folder: 'INBOX', place: (v) => `a/INBOX/${v}`, account: 'sign on imap.corp.example', filingFolders: ['Processed', 'Rejected'],
    logger: winston.createLogger({ silent: true }),
    retries: createRetrySchedule(),
    handle: async () => ({ moveTo: 'Processed' }),
    concurrency: 1,
    onTakenElsewhere: (m) => taken.push(m.uid),
    heartbeat() {}, isStopping: () => false,
    noteUidValidity: () => client.mailbox.uidValidity.toString(),
    createFolder: async () => {}, processed() {}, deferred() {}, failed() {},
  };
}

const guard = <T>(p: Promise<T>) => p;

describe('a server that speaks IMAP4rev2 only', () => {
  it('has its mail filed by one MOVE', async () => {
    const sent: string[] = [];
    const client = rev2Client(sent);
    await runWatchPass(client as unknown as ImapFlow, context(client, []), guard);
    expect(sent).toEqual(['UID MOVE 5 Processed']);
  });

  it('is not taken for a server without IDLE: imapflow\'s IDLE is left as it is', () => {
    const client = rev2Client([]);
    expect(pollWithoutIdle(client as unknown as ImapFlow)).toBe(false);
    expect(client.maxIdleTime).toBe(5 * 60_000);
  });

  it('tells a mail another program took: a MOVE that names nothing after one that named what it moved', async () => {
    const sent: string[] = [];
    const taken: number[] = [];
    const client = rev2Client(sent);
    await runWatchPass(client as unknown as ImapFlow, context(client, taken), guard);
    client.messageMove = async (uid: string, folder: string) => { sent.push(`UID MOVE ${uid} ${folder}`); return { path: 'INBOX', destination: folder }; };
    await runWatchPass(client as unknown as ImapFlow, context(client, taken), guard);
    expect(sent).toEqual(['UID MOVE 5 Processed', 'UID MOVE 5 Processed']);
    expect(taken).toEqual([5]);
  });
});

describe('a watched folder opened again mid-pass (no MOVE; \\Deleted not allowed at the last SELECT)', () => {
  it('a refusal without a code is a passing error of that step, not "the folder does not exist" for the operator to fix', async () => {
    const client = rev2Client([]);
    client.capabilities = new Map([['IMAP4rev1', true], ['UIDPLUS', true]]);
    client.mailbox.permanentFlags = new Set(['\\Seen']);
    Object.assign(client, {
      async mailboxOpen() { throw Object.assign(new Error('Command failed'), { responseStatus: 'NO', responseText: 'Mailbox is busy', executedCommand: '7 SELECT INBOX' }); },
    });
    const error = await runWatchPass(client as unknown as ImapFlow, context(client, []), guard).then(() => null, (err: unknown) => err);
    const told = classifyImapError(error, { mailbox: 'requests', host: 'imap.corp.example', port: 993, user: 'sign', folder: 'INBOX', folderSetting: 'mailboxes.requests.folder' });
    expect(told).toMatchObject({ kind: 'transient', code: 'imap_error' });
    expect(told.message).toMatch(/^The IMAP folder "INBOX" could not be opened again to delete a filed mail: .*Command failed/);
  });
});
