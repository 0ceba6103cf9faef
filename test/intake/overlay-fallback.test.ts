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
