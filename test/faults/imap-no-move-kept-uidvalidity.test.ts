// A server without MOVE whose account may not expunge in INBOX keeps a mail signrelay filed by
// COPY: its copy is in Processed, and only its delete is tried again while the daemon runs. When
// INBOX's UIDVALIDITY changed (a restore, a migration, a rebuilt index), the mail came back under
// a new place, the intake answered it as a duplicate (no "filed before"), and signrelay copied
// it a second time — a copy flagged \Deleted beside the first (diff review 25 L1). Without MOVE a
// mail with a Message-ID is looked for in its target before it is copied. Whole daemon, real Dovecot.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { reportOnFailure, type World } from '../integration/world.ts';
import { waitFor } from '../support/wait-for.ts';
import { copiesIn, deliverRequest, logEntries, startAclWorld } from './acl-world.ts';

let world: World;
let aclFile: string;
beforeAll(async () => {
  // Every right but expunge (a: doveadm may change the folder's UIDVALIDITY).
  ({ world, aclFile } = await startAclWorld({ folder: 'INBOX', rights: 'lrswitkxa', withoutMove: true }));
});
reportOnFailure(() => world);
afterAll(async () => world?.close());

it('a kept mail met again after INBOX\'s UIDVALIDITY changed is not copied again, and is filed once the right is given', async () => {
  await deliverRequest(world, '<kept-uv@corp.example>');
  const entries = () => logEntries(world);
  const kept = () => entries().filter((e) => String(e.message).startsWith('a mail could not be filed: the IMAP server kept it'));
  const copies = () => copiesIn(world, '<kept-uv@corp.example>');
  await waitFor(() => kept().length >= 2 || undefined, { what: 'the mail kept twice' });
  expect(await copies()).toBe(1);

  const before = await world.dovecot.uidValidity('sign', 'INBOX');
  await world.dovecot.setUidValidity('sign', 'INBOX', String(Number(before) + 1000));
  await world.dovecot.restart();
  await waitFor(() => entries().some((e) => e.message === 'imap uidvalidity changed' && e.mailbox === 'requests') || undefined, { what: 'the change seen' });
  // Tried again under its new place — kept again, its copy found, not made anew.
  const keptBefore = kept().length;
  await waitFor(() => kept().length >= keptBefore + 2 || undefined, { what: 'the mail kept twice more under its new place' });
  expect(await copies()).toBe(1);
  expect(listRequests(world.daemon!.db, {}).length).toBe(1);

  rmSync(aclFile);
  await waitFor(async () => ((await world.dovecot.list('sign', 'INBOX')).length === 0) || undefined, { what: 'the mail to leave INBOX' });
  expect(await copies()).toBe(1);
  expect(listRequests(world.daemon!.db, {}).length).toBe(1);
});
