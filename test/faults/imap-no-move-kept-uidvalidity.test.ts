// A server without MOVE whose account may not expunge in INBOX keeps a mail signrelay filed by
// COPY: its copy is in Processed, and only its delete is tried again while the daemon runs. When
// INBOX's UIDVALIDITY changed (a restore, a migration, a rebuilt index), the mail came back under
// a new place, the intake answered it as a duplicate (no "filed before"), and signrelay copied
// it a second time — a copy flagged \Deleted beside the first (diff review 25 L1). Without MOVE a
// mail with a Message-ID is looked for in its target before it is copied. Whole daemon, real Dovecot.
import { appendFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { buildMail, contractPdf, reportOnFailure, startWorld, type World } from '../integration/world.ts';
import { waitFor } from '../support/wait-for.ts';
import { ACL_PLUGIN, capabilitiesWithout, writeAcl } from '../support/dovecot-config.ts';

let world: World;
const aclFile = () => `${world.dovecot.dir}/mail/sign/dovecot-acl`;
beforeAll(async () => {
  world = await startWorld();
  appendFileSync(`${world.dovecot.dir}/dovecot.conf`, `\n${capabilitiesWithout('MOVE')}\n${ACL_PLUGIN}\n`);
  await world.dovecot.restart();
  await world.dovecot.append('sign', 'Processed', 'Subject: seed\r\nMessage-ID: <seed@x>\r\n\r\nseed\r\n');
  writeAcl(aclFile(), 'lrswitkxa'); // every right but expunge (a: doveadm may change the folder's UIDVALIDITY)
  world.startDaemon({ messageRetry: { minDelayMs: 300, maxDelayMs: 1_000 } });
});
reportOnFailure(() => world);
afterAll(async () => world?.close());

it('a kept mail met again after INBOX\'s UIDVALIDITY changed is not copied again, and is filed once the right is given', async () => {
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: 'Contract for RITM0010001', text: 'Signer: Ann Lee <ann.lee@example.com>', messageId: '<kept-uv@corp.example>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  const entries = () => world.logs.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const kept = () => entries().filter((e) => String(e.message).startsWith('a mail could not be filed: the IMAP server kept it'));
  const copies = async () => (await world.dovecot.list('sign', 'Processed')).filter((m) => m.messageId === '<kept-uv@corp.example>').length;
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

  rmSync(aclFile());
  await waitFor(async () => ((await world.dovecot.list('sign', 'INBOX')).length === 0) || undefined, { what: 'the mail to leave INBOX' });
  expect(await copies()).toBe(1);
  expect(listRequests(world.daemon!.db, {}).length).toBe(1);
});
