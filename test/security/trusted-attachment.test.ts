// "With completion.trust_attachment, a mail's PDF reaches the record only if the border MTA
// authenticated the mail and it is the request's own document, signed", through the real
// daemon, Dovecot and both simulators. A completion mail's From is forgeable and every
// signer has the token: a mail the border did not authenticate is not taken, even with a
// copy that verifies (the stamped document with a page added, mailed right after the last
// signature). And mail the border vouches for must still verify: a forged mail sent before
// the genuine one must not put its PDF on the record, and neither may one alone — another
// PDF, the stamped document with a page changed, the signed copy without the request's
// token, the stamped document unsigned. Those lead to the provider's own copy, downloaded,
// with the reason recorded; the simulator's genuine signed copy is taken from the mail
// without a download.
import { createHash } from 'node:crypto';
import { PDFDict, PDFDocument, PDFName, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { defaultCompletionSubject, DEFAULT_COMPLETION_FROM, sendCompletionMails } from '../../src/sandbox/secured-signing/completion-mail.ts';
import { TOKEN_INFO_KEY } from '../../src/pdf/token-places.ts';
import { listEvents } from '../../src/store/events.ts';
import { getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { BORDER_AUTHSERV, borderVouched, buildMail, contractPdf, sendRequest, useWorld, type World } from '../integration/world.ts';

const getWorld = useWorld({
  completionMails: false, borderVouches: ['securedsigning.com'],
  configYaml: `completion: {trust_attachment: true}\nintake: {authentication: {trusted_authserv_ids: [${BORDER_AUTHSERV}]}}`,
});
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const recordOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!;
const downloads = (world: World, reference: string) => world.simulator.calls.filter((c) => c.path.endsWith(`/Download/GetDocumentData/${reference}`));

/** A forged completion mail; `vouched`: as if the border MTA had authenticated it (a provider's sender misused), so only the PDF check stands. */
async function forge(world: World, token: string, name: string, pdf: Uint8Array, vouched = true): Promise<void> {
  await world.dovecot.deliver(`returns+${token}@corp.example`, await buildMail({
    from: DEFAULT_COMPLETION_FROM, to: `returns+${token}@corp.example`, subject: 'contract has been signed', text: 'All parties have signed.',
    messageId: `<forged-${name}-${token}@securedsigning.com>`, attachments: [{ filename: `contract--signrelay-${token}.pdf`, content: pdf }],
    ...(vouched ? { headers: borderVouched('securedsigning.com') } : {}),
  }));
}

async function withPageAdded(pdf: Uint8Array): Promise<Uint8Array> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595, 842]).drawText('Addendum: the contractor waives every claim. Signed.', { x: 72, y: 700, size: 11, font });
  return doc.save();
}

/** The simulator's own completion mail, as it sends it when it has an SMTP server. */
async function genuineMail(world: World, reference: string): Promise<void> {
  const sent = await sendCompletionMails(world.simulator.documents.get(reference)!, {
    smtp: { host: '127.0.0.1', port: world.smtp.port }, from: DEFAULT_COMPLETION_FROM, subject: defaultCompletionSubject,
  });
  expect(sent).toHaveLength(1);
}

async function withPageChanged(pdf: Uint8Array): Promise<Uint8Array> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.getPage(0).drawText('The contractor waives every claim.', { x: 72, y: 700, size: 11, font });
  return doc.save();
}

async function withoutToken(pdf: Uint8Array): Promise<Uint8Array> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  doc.setKeywords([]);
  (doc.context.lookup(doc.context.trailerInfo.Info) as PDFDict).delete(PDFName.of(TOKEN_INFO_KEY));
  return doc.save();
}

describe('completion.trust_attachment', () => {
  it('a forged PDF mailed before completion loses to the genuine signed copy mailed after it', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010001');
    const forged = await contractPdf('Forged terms');
    await forge(world, request.token, 'early', forged);
    // Its job asks the provider, which says the document is still being signed, and ends.
    await waitUntil(world.daemon!.events, () => listEvents(world.daemon!.db, request.id).some((e) => e.detail?.completionUnconfirmed === true), { timeoutMs: 30_000, what: 'the forged mail\'s claim unconfirmed' });

    await world.simulator.complete(reference);
    await genuineMail(world, reference);
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 40_000, what: 'the request delivered' });

    const signed = world.simulator.documents.get(reference)!.signedBytes!;
    expect(recordOf(world, 'RITM0010001').attachments.map((a) => a.hash)).toEqual([sha256(signed)]);
    expect(downloads(world, reference)).toEqual([]); // taken from the mail: it verified against what was sent
    const chosen = listEvents(world.daemon!.db, request.id).find((e) => e.detail?.signedCopy === 1);
    expect(chosen?.detail).toMatchObject({ source: 'mail attachment', sha256: sha256(signed) });
    expect(JSON.stringify(chosen?.detail)).toContain(sha256(forged)); // the forged copy was looked at, and refused
  }, 180_000);

  it('a mail the border MTA did not authenticate is not taken, even with a copy that verifies: the provider\'s is downloaded', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010006');
    await world.simulator.complete(reference);
    const doc = world.simulator.documents.get(reference)!;
    // The last signer's race: the stamped document with a page added, from a forged provider address, at once.
    await forge(world, request.token, 'unvouched', await withPageAdded(doc.signedBytes!), false);
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 40_000, what: 'the request delivered' });

    expect(recordOf(world, 'RITM0010006').attachments.map((a) => a.hash)).toEqual([sha256(doc.signedBytes!)]);
    expect(downloads(world, reference)).toHaveLength(1);
    const chosen = listEvents(world.daemon!.db, request.id).find((e) => e.detail?.signedCopy === 1);
    expect(chosen?.detail).toMatchObject({ source: 'provider download', why: 'no completion mail carried a PDF' });
    expect(world.logs.join('')).toContain('a completion mail\'s PDFs are not kept: its From is not authenticated');
  }, 180_000);

  it.each([
    ['another PDF', 'RITM0010002', () => contractPdf('Forged terms'), /token/],
    ['the stamped document with a page changed', 'RITM0010003', (stamped: Uint8Array) => withPageChanged(stamped), /page 1/],
    ['the signed copy without the request\'s token', 'RITM0010004', (_s: Uint8Array, signed: Uint8Array) => withoutToken(signed), /token/],
    ['the stamped document, unsigned', 'RITM0010005', (stamped: Uint8Array) => Promise.resolve(stamped), /nothing was added/],
  ] as Array<[string, string, (stamped: Uint8Array, signed: Uint8Array) => Promise<Uint8Array>, RegExp]>)(
    'a forged mail alone with %s: the signed copy is downloaded from the provider, and why is recorded', async (name, record, make, why) => {
      const world = getWorld();
      const { request, reference } = await sendRequest(world, record);
      await world.simulator.complete(reference);
      const doc = world.simulator.documents.get(reference)!;
      const forged = await make(doc.bytes, doc.signedBytes!);
      await forge(world, request.token, name.replace(/\W+/g, '-'), forged);
      await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 40_000, what: 'the request delivered' });

      expect(recordOf(world, record).attachments.map((a) => a.hash)).toEqual([sha256(doc.signedBytes!)]);
      expect(downloads(world, reference)).toHaveLength(1);
      const chosen = listEvents(world.daemon!.db, request.id).find((e) => e.detail?.signedCopy === 1);
      expect(chosen?.detail).toMatchObject({ source: 'provider download', why: expect.stringMatching(/did not verify/) });
      expect(JSON.stringify(chosen?.detail)).toMatch(why);
      expect(world.logs.join('')).not.toMatch(/"stack"|\n\s+at /);
    }, 180_000);
});
