// Hebrew on the signature page (names review M3): a subject `חוזה עבודה RITM0010001` was drawn
// with the record number mirrored (1000100MTIR) and `חוזה.pdf` as `fdp.חוזה` — fontkit turns a
// whole line round when it begins right to left — and `Offer – הצעה` with its Hebrew backwards.
// Read back by poppler, which marks the right-to-left text it finds drawn right to left (RLE …
// PDF) and gives it in reading order.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { stampPdfInProcess } from '../../src/pdf/stamp-pdf.ts';
import { pdftotext } from './pdftotext.ts';

const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const RTL = (text: string) => `\u202b${text}\u202c`;

it('draws Hebrew right to left and the record number and ".pdf" beside it left to right', async () => {
  const bytes = new Uint8Array(readFileSync(new URL('../../fixtures/pdf/sample-contract.pdf', import.meta.url)));
  const out = await stampPdfInProcess(bytes, {
    token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C',
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@corp.example' }],
    request: { fileName: 'חוזה.pdf', subject: 'חוזה RITM0010001 — Offer – הצעה', record: 'RITM0010001', requester: 'pat@corp.example', route: 'default' },
    stamping: configSchema.shape.stamping.parse(undefined),
  });
  const page = await pdftotext(out, ['-raw', '-f', '3']);
  expect(page).toContain(`Document ${RTL('חוזה')}.pdf`);
  expect(page).toContain(`Subject ${RTL('חוזה')} RITM0010001 — Offer – ${RTL('הצעה')}`);
  expect(page).not.toMatch(/1000100MTIR|fdp\.|העצה|הזוח/);
});
