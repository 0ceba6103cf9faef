// "Who sent it for signing, and how do we know it was them?" (audit review M1) — and what an
// auditor starts from in `show` (L4). A request accepted because the border MTA vouched for
// its sender keeps that verdict in its audit trail, written with the request: which method
// passed, for which domain, as which authserv-id reported it. `show` says it (text and JSON),
// with the request mail's Message-ID, where the signers came from and each document's
// original, stamped and signed SHA-256 in full; the record's `sent` note names the requester
// and how they were authenticated. Before, the verdict was computed and thrown away, and no
// note named the requester.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runShowCommand } from '../../src/commands/show.ts';
import { listEvents } from '../../src/store/events.ts';
import { getDocuments, getRequest, listRequests } from '../../src/store/requests.ts';
import { minimalConfigYaml, runOperator } from '../cli/helpers.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { BORDER_AUTHSERV, borderVouched, buildMail, contractPdf, type World } from './world.ts';
import { notesOf, signAndDeliver, useRecordWorld } from './record-world.ts';

async function show(world: World, id: string, json = false): Promise<string> {
  const config = join(world.config.storage.data_dir, '..', 'show.yaml');
  writeFileSync(config, minimalConfigYaml('routes: {default: {}}', world.config.storage.data_dir));
  return (await runOperator(runShowCommand, json ? [id, '--json'] : [id], config)).stdout;
}

describe('a request from a sender the border MTA vouched for (intake.authentication requires DKIM)', () => {
  const getWorld = useRecordWorld({
    provider: 'secured-signing',
    configYaml: `intake: {authentication: {require: [dkim], trusted_authserv_ids: [${BORDER_AUTHSERV}]}}`,
  });

  it('keeps how it was authenticated in its trail, shows it, and names the requester and the verdict in the sent note', async () => {
    const world = getWorld();
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010001', text: 'Signer: Ann Lee <ann.lee@example.com>', headers: borderVouched('corp.example'),
      attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    }));
    const db = world.daemon!.db;
    const request = await waitUntil(world.daemon!.events, () => listRequests(db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010001'), { what: 'the request sent' });
    const sentNote = await waitUntil(world.daemon!.events, () => notesOf(world, 'RITM0010001').find((n) => n.startsWith('Sent for signature')), { timeoutMs: 15_000, what: 'the sent note' });

    // In the trail, written with the request: before its first step (stamped).
    const events = listEvents(db, request.id);
    const mailAt = events.findIndex((e) => e.kind === 'mail' && e.detail?.received === 'request');
    expect(events[mailAt]!.detail).toEqual({
      received: 'request', messageId: request.messageId, from: 'helen.officer@corp.example',
      authenticated: [{ method: 'dkim', domain: 'corp.example', authservId: BORDER_AUTHSERV }], required: 'intake.authentication.require',
    });
    expect(events[mailAt]!.at).toBe(events.find((e) => e.toState === 'stamped')!.at);
    expect(mailAt).toBeLessThan(events.findIndex((e) => e.toState === 'stamped'));

    expect(sentNote).toMatch(/\. Requested by helen\.officer@corp\.example, authenticated by DKIM pass for corp\.example \(authserv-id mx\.corp\.example\)\. \(signrelay r_\w+, sent #\d+\)$/);

    const text = await show(world, request.id);
    expect(text).toMatch(/^requester: +helen\.officer@corp\.example$/m);
    expect(text).toMatch(/^authenticated: +DKIM pass for corp\.example \(authserv-id mx\.corp\.example\), as intake\.authentication\.require requires$/m);
    expect(text).toMatch(/mail received \(request\) +from helen\.officer@corp\.example, DKIM pass for corp\.example \(authserv-id mx\.corp\.example\); Message-ID </);
    const json = JSON.parse(await show(world, request.id, true)) as { requestMail: unknown };
    expect(json.requestMail).toEqual(events[mailAt]!.detail);
  });
});

describe('`show` of a request: what an auditor starts from (audit review L4)', () => {
  const getWorld = useRecordWorld({ provider: 'secured-signing' });

  it('names the request mail, where the signers came from, "not checked" when nothing was required, and every copy\'s SHA-256 in full', async () => {
    const world = getWorld();
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010002', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    }));
    const db = world.daemon!.db;
    const request = await waitUntil(world.daemon!.events, () => listRequests(db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010002'), { what: 'the request sent' });
    await signAndDeliver(world, request);
    const [doc] = getDocuments(db, request.id);
    const text = await show(world, request.id);

    expect(text).toMatch(new RegExp(`^mail: +${getRequest(db, request.id)!.messageId!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(text).toMatch(/^signers from: +the request mail's Signer lines$/m);
    expect(text).toMatch(/^authenticated: +not checked: no authentication was required$/m);
    // The existing lines keep their words.
    expect(text).toMatch(/^signers: +Ann Lee <ann\.lee@example\.com>$/m);
    expect(text).toMatch(/^state: +delivered$/m);
    expect(text).toMatch(new RegExp(`^1 +original +${doc!.originalSha256}$`, 'm'));
    expect(text).toMatch(new RegExp(`^1 +stamped +${doc!.stampedSha256}$`, 'm'));
    expect(text).toMatch(new RegExp(`^1 +signed +${doc!.signedSha256}$`, 'm'));
    expect(new Set([doc!.originalSha256, doc!.stampedSha256, doc!.signedSha256]).size).toBe(3);
  });
});
