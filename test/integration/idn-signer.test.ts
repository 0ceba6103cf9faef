// A signer whose domain is internationalised (names review M4): `Li Lei <lilei@例子.广告>` was
// refused — "cannot be printed into a signature tag" — though the domain's ASCII (IDNA) form
// fits a tag and routes the same mail. The request goes out with that form, in the tag the
// provider reads and in the Send call alike.
import { expect, it } from 'vitest';
import { findTags } from '../../src/pdf/find-tags.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { getDocuments, listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, useWorld } from './world.ts';

const getWorld = useWorld();

it('sends a signer of an internationalised domain under its ASCII form, tag and invitation alike', async () => {
  const world = getWorld();
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: 'Contract RITM0010003',
    text: 'Signer: Li Lei <lilei@例子.广告>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010003'),
    { what: 'the request to be sent' });
  const ascii = 'lilei@xn--fsqu00a.xn--4rr70v';
  expect(request.signers).toEqual([{ firstName: 'Li', lastName: 'Lei', email: ascii }]);
  const docs = getDocuments(world.daemon!.db, request.id);
  expect(world.signing.asked({ providerOrderId: request.providerOrderId, references: docs.map((d) => d.providerRef!) }).signers).toEqual([ascii]);
  const sent = world.simulator.documents.get(docs[0]!.providerRef!)!;
  const tags = findTags((await extractPdfText(sent.bytes)).join('\n'));
  expect(tags.filter((t) => t.family === 'sign').map((t) => t.text)).toEqual([`[!Sign.1,Li,Lei,${ascii}]`]);
});
