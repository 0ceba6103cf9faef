// A server without MOVE, where the account may not delete or expunge mail in the request
// folder (its ACL lacks t or e: a shared or managed mailbox). signrelay files such a mail by
// UID COPY, \Deleted and UID EXPUNGE. Dovecot answers the STORE and EXPUNGE OK and keeps the
// mail (RFC 4314 allows it): signrelay said "mail moved" and handed it over again at every pass
// (imap variants review L1). Without the right to change flags at all, imapflow's own fallback
// answered false after its COPY, and signrelay copied the mail a second time (review L3). Now
// the mail kept is a refused move — a warning naming the rights, the watcher's error, retried
// later — its copy is made once, and it is filed once the rights are given. Whole daemon, real Dovecot.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { reportOnFailure, type World } from '../integration/world.ts';
import { waitFor } from '../support/wait-for.ts';
import { copiesIn, deliverRequest, logEntries, startAclWorld } from './acl-world.ts';

describe.each([
  // Every right but expunge: the server answers the delete OK and keeps the mail, flagged \Deleted.
  { rights: 'lrswitkx', case: 'may flag it deleted, not expunge it' },
  // Read and mark seen only: no \Deleted can be set, imapflow's fallback answered false after its COPY.
  { rights: 'lrs', case: 'may not even flag it deleted' },
])('a server without MOVE whose account $case (ACL $rights on INBOX)', ({ rights }) => {
  let world: World;
  let aclFile: string;
  beforeAll(async () => {
    ({ world, aclFile } = await startAclWorld({ folder: 'INBOX', rights, withoutMove: true }));
  });
  reportOnFailure(() => world);
  afterAll(async () => world?.close());

  it('a mail the server keeps is a refused move, copied once, and filed once the rights are given', async () => {
    await deliverRequest(world, '<kept@corp.example>');
    const entries = () => logEntries(world);
    const notFiled = () => entries().filter((e) => e.message?.toString().startsWith('a mail could not be filed:'));
    const copies = () => copiesIn(world, '<kept@corp.example>');
    const deferrals = () => entries().filter((e) => e.mailbox === 'requests' && e.message === 'mail deferred');
    await waitFor(() => deferrals().length >= 3 || undefined, { what: 'the mail deferred three times', timeoutMs: 60_000 });

    // One copy, however often it was tried; the mail still in INBOX; nothing said moved; one request.
    expect(await copies()).toBe(1);
    expect((await world.dovecot.list('sign', 'INBOX')).map((m) => m.messageId)).toEqual(['<kept@corp.example>']);
    expect(entries().filter((e) => e.mailbox === 'requests' && (e.message === 'mail moved' || e.message?.toString().startsWith('mail was filed already')))).toEqual([]);
    expect(notFiled()).toHaveLength(deferrals().length);
    expect(notFiled()[0]).toMatchObject({
      level: 'warn', from: 'INBOX', to: 'Processed',
      message: 'a mail could not be filed: the IMAP server kept it in the watched folder after copying it; check that the account may delete and expunge there (IMAP ACL rights t and e)',
    });
    expect(world.daemon!.requestWatcher.status().lastError).toMatchObject({
      code: 'imap_move_failed',
      message: expect.stringMatching(/^Could not move message UID 1 from "INBOX" to "Processed": its copy is there, but the server kept it in "INBOX".*IMAP ACL rights t and e/),
    });
    expect(listRequests(world.daemon!.db, {}).length).toBe(1);

    rmSync(aclFile);
    await waitFor(async () => ((await world.dovecot.list('sign', 'INBOX')).length === 0) || undefined, { what: 'the mail to leave INBOX', timeoutMs: 30_000 });
    expect(await copies()).toBe(1);
    expect(entries().filter((e) => e.mailbox === 'requests' && e.message === 'mail moved')).toHaveLength(1);
    expect(listRequests(world.daemon!.db, {}).length).toBe(1);
  });
});
