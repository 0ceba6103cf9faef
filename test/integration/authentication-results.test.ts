// intake.authentication through the real daemon and Dovecot: a request that the border
// MTA (authserv-id mx.corp.example) vouched for goes to Secured Signing; one whose only
// pass comes from a header the sender wrote, or whose DMARC failed, is moved to Rejected
// with its reason recorded and a warning logged, and is never answered — its From may be
// forged, so a reply would be backscatter. `explain` decides the same.
import { expect, it } from 'vitest';
import { explainJson } from '../../src/commands/explain.ts';
import { decideFromSource } from '../../src/intake/decide-request.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { REQUESTS_MAILBOX } from '../../src/intake/process-request-mail.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { findMessageById } from '../../src/store/messages.ts';
import { getRequest, listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, useWorld } from './world.ts';

const getWorld = useWorld({ configYaml: 'intake: {authentication: {require: [dmarc], trusted_authserv_ids: [MX.corp.example]}}' });

const BORDER_PASS = 'mx.corp.example;\r\n\tdmarc=pass (p=reject dis=none) header.from=corp.example';
const BORDER_FAIL = 'mx.corp.example; spf=fail smtp.mailfrom=corp.example;\r\n\tdmarc=fail (p=reject dis=none) header.from=corp.example';
const FORGED_PASS = 'mx.corp.example.attacker.example; dkim=pass header.d=corp.example; dmarc=pass header.from=corp.example';

async function request(messageId: string, from: string, authResults: string[], record: string, extra: { pad?: number } = {}): Promise<Buffer> {
  const pdf = await contractPdf();
  const raw = await buildMail({
    from, subject: `Contract for ${record}`, messageId, text: 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: 'contract.pdf', content: extra.pad ? Buffer.concat([Buffer.from(pdf), Buffer.alloc(extra.pad, 0x20)]) : pdf }],
  });
  // The border MTA prepends its header: it sits above everything the sender wrote.
  return Buffer.concat([Buffer.from(authResults.map((v) => `Authentication-Results: ${v}\r\n`).join('')), raw]);
}

async function filed(messageId: string) {
  const world = getWorld();
  return waitUntil(getWorld().daemon!.events, () => {
    const row = findMessageById(world.daemon!.db, REQUESTS_MAILBOX, messageId);
    return row?.movedAt ? row : undefined;
  }, { timeoutMs: 15_000, what: `${messageId} filed and moved` });
}

it('sends a request the border MTA vouched for', async () => {
  const world = getWorld();
  await world.dovecot.deliver('sign@corp.example', await request('<genuine@corp.example>', 'Helen Officer <helen.officer@corp.example>', [BORDER_PASS, FORGED_PASS.replace('pass', 'fail')], 'RITM0010001'));
  await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).some((r) => r.recordNumber === 'RITM0010001'), { timeoutMs: 15_000, what: 'the genuine request sent' });
  expect((await filed('<genuine@corp.example>')).folder).toBe('Processed');
});

it.each([
  ['only a header the sender wrote says pass', '<forged@corp.example>', [FORGED_PASS], 'RITM0010002', 0,
    'no dmarc result from mx.corp.example; From domain corp.example (ignored Authentication-Results of untrusted authserv-id mx.corp.example.attacker.example)'],
  ['the border MTA reports DMARC failing', '<dmarc-fail@corp.example>', [BORDER_FAIL, FORGED_PASS], 'RITM0010003', 0,
    'dmarc=fail header.from=corp.example; From domain corp.example (ignored Authentication-Results of untrusted authserv-id mx.corp.example.attacker.example)'],
  ['an oversize mail fails (decided from its headers)', '<forged-big@corp.example>', [FORGED_PASS], 'RITM0010004', 2_100_000,
    'no dmarc result from mx.corp.example; From domain corp.example (ignored Authentication-Results of untrusted authserv-id mx.corp.example.attacker.example)'],
])('files a request in Rejected without a reply when %s', async (_name, messageId, headers, record, pad, detail) => {
  const world = getWorld();
  const from = 'The CEO <ceo@corp.example>';
  const raw = await request(messageId, from, headers, record, { pad });
  await world.dovecot.deliver('sign@corp.example', raw);

  const row = await filed(messageId);
  const reason = `ceo@corp.example is not authenticated as intake.authentication.require (dmarc) requires: ${detail}; filed without a reply, since the From may be forged`;
  expect(row).toMatchObject({ outcome: 'rejected', folder: 'Rejected', reason });
  expect(getRequest(world.daemon!.db, row.requestId!)).toMatchObject({ state: 'rejected', reason });
  expect(jobsForRequest(world.daemon!.db, row.requestId!)).toEqual([]); // no reply queued, nothing submitted
  expect((await world.dovecot.list('sign', 'Rejected')).some((m) => m.messageId === messageId)).toBe(true);
  const warning = world.logs.map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.level === 'warn' && l.messageId === messageId);
  expect(warning).toMatchObject({ message: 'request mail failed the authentication requirement; moved to Rejected without a reply', reason });

  // `explain` with the same configuration says the same.
  if (pad === 0) {
    const { decision } = await decideFromSource(raw, intakePolicyFrom(world.config), new Date());
    expect(explainJson(decision)).toMatchObject({ action: 'reject', reply: false, reason, authentication: { passed: false } });
  }
}, 180_000);

it('answers none of them, while a genuine mistake is answered', async () => {
  const world = getWorld();
  const control = await buildMail({ messageId: '<no-pdf@corp.example>', subject: 'Contract for RITM0010005', text: 'Signer: Ann Lee <ann.lee@example.com>' });
  await world.dovecot.deliver('sign@corp.example', Buffer.concat([Buffer.from(`Authentication-Results: ${BORDER_PASS}\r\n`), control]));
  await world.smtp.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === 'helen.officer@corp.example'), 15_000);
  expect(world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === 'ceo@corp.example'))).toEqual([]);
  expect(world.simulator.calls.filter((c) => c.path.endsWith('/SmartTag/Send') && c.status === 200)).toHaveLength(1);
});
