// A configured overlay that does not fit a document's page (decide-request.ts): the request
// is not refused — the requester should not pay for the configuration — and the document is
// stamped with a signature page instead, while the request is decided: two PDF tasks (the
// overlay that failed, then the signature page), not four, and the stamp committed is that one.
import { PDFDocument } from 'pdf-lib';
import { afterAll, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { decideRequest } from '../../src/intake/decide-request.ts';
import { planStamps, stampServes } from '../../src/intake/stamp-plan.ts';
import { pdfPoolStatus, stopPdfPool } from '../../src/pdf/pdf-pool.ts';
import { NOW, requestMail, samplePdf, testPolicy } from './intake-helpers.ts';

afterAll(() => stopPdfPool());

const stamping = configSchema.shape.stamping.parse({ mode: 'overlay', overlay: { page: -1, x: 5000, y: 72 } });
const config = { mailboxes: { returns: { address: 'returns@corp.example' } }, stamping } as Parameters<typeof planStamps>[0];

it('stamps a signature page in place of an overlay off the page, in two PDF tasks, and says why', async () => {
  const mail = await requestMail('Signer: Ann Lee <ann.lee@example.com>');
  const plan = planStamps(config, { recipientLetter: 'C' });
  const before = pdfPoolStatus();
  const decision = await decideRequest(mail, testPolicy(), NOW, plan);
  // What the pool was doing, should another file's work have run beside this decision (files share the process).
  expect(pdfPoolStatus().tasks - before.tasks, `pool before: ${JSON.stringify(before)}; after: ${JSON.stringify(pdfPoolStatus())}; decision: ${decision.action === 'reject' ? decision.reason : decision.action}`).toBe(2);

  expect(decision.action).toBe('request');
  if (decision.action !== 'request') return;
  const made = decision.prepared[0]!;
  expect(made.overlayRefused).toMatch(/overlay/i);
  expect(made.input.stamping.mode).toBe('signature-page');
  // What committing the request asks for (the overlay) is served by it: no stamp again.
  expect(stampServes(made, { ...plan.inputFor(decision.draft, 0), ownText: decision.pdfs[0] })).toBe(true);
  const pages = async (bytes: Uint8Array) => (await PDFDocument.load(bytes)).getPageCount();
  expect(await pages(made.bytes)).toBe((await pages(await samplePdf())) + 1);
});

it('stamps a signature page in place of an overlay whose tags do not read back (the page ends inside a string), and says why', async () => {
  // What the overlay draws after an unclosed string is read as part of it, by pdf.js and poppler
  // alike: not the requester's to fix — the document has no tag-like text to remove.
  const doc = await PDFDocument.load(await samplePdf());
  doc.getPage(doc.getPageCount() - 1).node.addContentStream(doc.context.register(doc.context.stream('BT /F1 11 Tf 60 600 Td (Terms continue')));
  const pdf = await doc.save();
  const fitting = { mailboxes: { returns: { address: 'returns@corp.example' } }, stamping: configSchema.shape.stamping.parse({ mode: 'overlay', overlay: { page: -1, x: 72, y: 72 } }) } as Parameters<typeof planStamps>[0];
  const mail = await requestMail('Signer: Ann Lee <ann.lee@example.com>', { attachments: [{ filename: 'contract.pdf', content: Buffer.from(pdf) }] });
  const decision = await decideRequest(mail, testPolicy(), NOW, planStamps(fitting, { recipientLetter: 'C' }));
  expect(decision.action === 'reject' ? decision.reason : decision.action).toBe('request');
  if (decision.action !== 'request') return;
  const made = decision.prepared[0]!;
  expect(made.overlayRefused).toContain('do not read back');
  expect(made.input.stamping.mode).toBe('signature-page');
});
