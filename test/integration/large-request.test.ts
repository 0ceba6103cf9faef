// A large request mail (over READ_IN_PARTS_ABOVE_BYTES) through the daemon: read in parts —
// the outline, then each attachment downloaded on its own — never whole. The PDF attached
// and the one inside a forwarded message are both the request's documents, byte for byte.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { READ_IN_PARTS_ABOVE_BYTES } from '../../src/intake/process-request-mail.ts';
import { getDocuments, listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { scannedPdf } from '../pdf/make-pdf.ts';
import { buildMail, contractPdf, startWorld, type World } from './world.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  // The limits a production daemon has (the world's own keep its mails small).
  world.config.limits.max_mail_bytes = 30_000_000;
  world.config.limits.max_pdf_bytes = 20 * 1024 * 1024;
  world.startDaemon();
}, 60_000);
afterAll(async () => world?.close());


const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

it('reads a large request in parts and takes its PDF, and the one in a forwarded mail, byte for byte', async () => {
  const scan = await scannedPdf(READ_IN_PARTS_ABOVE_BYTES);
  const forwardedPdf = await contractPdf('Annex');
  const forwarded = await buildMail({ subject: 'Annex', text: 'The annex.', attachments: [{ filename: 'annex.pdf', content: forwardedPdf }], messageId: '<annex@corp.example>' });
  const mail = await buildMail({
    subject: 'RITM0010002 scanned contract', text: 'Signer: Ann Lee <ann.lee@example.com>', messageId: '<large-request@corp.example>',
    attachments: [{ filename: 'scan.pdf', content: scan }, { filename: 'annex.eml', content: forwarded, contentType: 'message/rfc822' }],
  });
  expect(mail.length).toBeGreaterThan(READ_IN_PARTS_ABOVE_BYTES);
  await world.dovecot.deliver('sign@corp.example', mail);

  const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010002'),
    { what: 'the large request sent' });
  expect(getDocuments(world.daemon!.db, request.id).map((d) => [d.fileName, d.originalSha256])).toEqual([
    ['scan.pdf', sha256(scan)], ['annex.pdf', sha256(forwardedPdf)],
  ]);
  const readInParts = world.logs.join('').split('\n').filter((line) => line.includes('"request mail read in parts"')).map((line) => JSON.parse(line));
  expect(readInParts).toEqual([expect.objectContaining({ parts: 2, size: expect.any(Number) })]);
  expect(world.simulator.calls.filter((c: { path: string; status: number }) => c.path.includes('/Document/Uploader/') && c.status === 200)).toHaveLength(2);
});
