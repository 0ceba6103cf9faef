// A completion mail whose recipient a gateway rewrote (the +TOKEN dropped from To) and that
// carries no PDF to read a token from — an oversize completion read from its headers, or a
// provider's notice — is still matched by the address the servers on the way recorded:
// Envelope-To, X-Envelope-To, Resent-To, Exchange's original envelope recipients, or a
// Received header's "for <…>". Before, it went to Unmatched and waited for reconciliation.
// Likewise an HTML-only one that names its document's reference: its HTML is read as text.
import { expect, it } from 'vitest';
import { DEFAULT_COMPLETION_FROM } from '../../src/sandbox/secured-signing/completion-mail.ts';
import { getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, sendRequest, useWorld } from './world.ts';

const getWorld = useWorld({ completionMails: false });

it.each([
  ['Envelope-To', 'RITM0010001', (token: string) => ({ 'Envelope-To': `returns+${token}@corp.example` })],
  ['a Received header\'s "for"', 'RITM0010002', (token: string) => ({ Received: `from mx1.securedsigning.com by mx.corp.example with ESMTPS id 4Q; for <returns+${token}@corp.example>; Sat, 5 Dec 2026 05:00:00 +0000` })],
  ['X-MS-Exchange-Organization-OriginalEnvelopeRecipients', 'RITM0010003', (token: string) => ({ 'X-MS-Exchange-Organization-OriginalEnvelopeRecipients': `returns+${token}@corp.example` })],
])('the return address in %s matches a completion mail without a token in To or a PDF', async (_header, record, headers) => {
  const world = getWorld();
  const { request, reference } = await sendRequest(world, record);
  await world.simulator.complete(reference);
  await world.dovecot.deliver('returns@corp.example', await buildMail({
    from: DEFAULT_COMPLETION_FROM, to: 'returns@corp.example', subject: 'contract has been signed', text: 'All parties have signed.', headers: headers(request.token),
  }));
  await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 30_000, what: `${record} delivered` });
  expect(await world.dovecot.list('returns', 'Unmatched')).toHaveLength(0);
}, 180_000);

it('an HTML-only completion mail without a token is matched by the document reference in its HTML', async () => {
  const world = getWorld();
  const { request, reference } = await sendRequest(world, 'RITM0010004');
  await world.simulator.complete(reference);
  await world.dovecot.deliver('returns@corp.example', await buildMail({
    from: DEFAULT_COMPLETION_FROM, to: 'returns@corp.example', subject: 'contract has been signed',
    html: `<html><body><p>All parties have signed document <b>${reference}</b>.</p></body></html>`,
  }));
  await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 30_000, what: 'RITM0010004 delivered' });
  expect(await world.dovecot.list('returns', 'Unmatched')).toHaveLength(0);
}, 180_000);
