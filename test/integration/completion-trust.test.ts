// completion.trust_attachment: the documented switch that takes the signed PDF from the
// completion mail instead of downloading it — the mail's bytes reach the record and the
// API is not asked for the document, when the border MTA authenticated the mail and they
// verify against the document that was sent (test/security/trusted-attachment.test.ts:
// forged ones do not).
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { BORDER_AUTHSERV, borderVouched, buildMail, sendRequest, useWorld } from './world.ts';

const getWorld = useWorld({ completionMails: false, configYaml: `completion: {trust_attachment: true}\nintake: {authentication: {trusted_authserv_ids: [${BORDER_AUTHSERV}]}}` });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

it('attaches the PDF from the completion mail when the attachment is trusted', async () => {
  const world = getWorld();
  const { request, reference } = await sendRequest(world, 'RITM0010001');
  await world.simulator.complete(reference);
  const fromMail = world.simulator.documents.get(reference)!.signedBytes!;
  await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
    from: 'Secured Signing <noreply@securedsigning.com>', to: `returns+${request.token}@corp.example`, subject: 'contract has been signed',
    text: 'signed', attachments: [{ filename: 'contract.pdf', content: fromMail }], headers: borderVouched('securedsigning.com'),
  }));
  await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
  const [attachment] = world.servicenow.records.find((r) => r.number === 'RITM0010001')!.attachments;
  expect(attachment!.hash).toBe(sha256(fromMail));
  expect(world.simulator.calls.some((c) => c.path.includes('/Download/GetDocumentData/'))).toBe(false);
});
