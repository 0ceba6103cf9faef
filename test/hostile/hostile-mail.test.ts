// Hostile and broken request mails through the real daemon (Dovecot, SMTP sink, simulators):
// each one is delivered, leaves INBOX, and ends in exactly one folder with its outcome and
// reason recorded in the `messages` table, with at most one reply — never a crash, a hang, a
// retry loop, a file outside the data directory or a download of a mail over the limit.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessageRow } from '../../src/store/messages.ts';
import { getDocuments, getRequest } from '../../src/store/requests.ts';
import { makePages } from '../pdf/make-pdf.ts';
import {
  brokenBoundaryMail, composedMail, messageIdOf, nestedMultipartMail, recordOf, pdfPart, rawMail, requestMail, senderOf, textPart, multipart,
} from './hostile-mails.ts';
import { flateBombPdf, hugeArrayPdf, plainPdf } from './make-hostile-pdf.ts';
import { filesUnder, foldersHolding, HOSTILE_LIMITS, useHostileWorld, waitUntilFiled, waitUntilJobsSettle } from './hostile-world.ts';

const getHostile = useHostileWorld();
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/hostile/${name}`, import.meta.url));
const contract = plainPdf('Contract to be signed');
const executable = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00', 'latin1'), Buffer.alloc(4_000, 0x90)]);
const crowd = (n: number, domain: string) => Array.from({ length: n }, (_, i) => `Person ${i} <person${i}@${domain}>`).join(', ');
const header = (id: string, extra: string[] = []) => [
  `From: Hostile Case <${senderOf(id)}>`, 'To: sign@corp.example', `Subject: Please sign ${recordOf(id)} (${id})`,
  `Message-ID: ${messageIdOf(id)}`, 'MIME-Version: 1.0', ...extra,
];

interface HostileCase {
  id: string;
  what: string;
  mail: (id: string) => Buffer | Promise<Buffer>;
  folder: 'Processed' | 'Rejected';
  outcome: 'request' | 'rejected' | 'ignored';
  reason: RegExp;
  replies: 0 | 1;
  /** Further checks on the request this mail made. */
  check?: (requestId: string | null) => void;
}

const ACCEPTED = /^request for route "default" with 1 document\(s\)$/;
const TOO_COMPLEX = /could not be read in time: it is too complex \(.+\); send a simpler PDF \(print it to PDF again\)$/;
const DAMAGED = /^contract\.pdf could not be read as a PDF \(it may be damaged\): export it again and resend$/;

const documentNames = (requestId: string | null) => getDocuments(getHostile().world.daemon!.db, requestId!).map((d) => d.fileName);

const CASES: HostileCase[] = [
  // Malformed MIME
  { id: 'mime-undeclared-boundary', what: 'parts separated by a boundary the header does not declare', mail: (id) => brokenBoundaryMail({ id }, 'undeclared', contract),
    folder: 'Rejected', outcome: 'rejected', reason: /^attach the document to be signed as a PDF file$/, replies: 1 },
  { id: 'mime-unclosed', what: 'no closing boundary', mail: (id) => brokenBoundaryMail({ id }, 'unclosed', contract),
    folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0 },
  { id: 'mime-truncated', what: 'cut off inside the PDF\'s base64', mail: (id) => brokenBoundaryMail({ id }, 'truncated', contract),
    folder: 'Rejected', outcome: 'rejected', reason: DAMAGED, replies: 1 },
  { id: 'mime-no-boundary', what: 'multipart without a boundary parameter', mail: (id) => brokenBoundaryMail({ id }, 'no-boundary-param', contract),
    folder: 'Rejected', outcome: 'rejected', reason: /^attach the document to be signed as a PDF file$/, replies: 1 },
  { id: 'mime-nested-200', what: '200 nested multiparts, the request in the innermost', mail: (id) => nestedMultipartMail({ id }, 200, contract),
    folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0 },
  { id: 'mime-nested-5000', what: '5000 nested multiparts (past the parser\'s node limit)', mail: (id) => nestedMultipartMail({ id }, 5000, contract),
    folder: 'Rejected', outcome: 'rejected', reason: /^the mail could not be read \(.+\)$/, replies: 0 },
  // Charsets
  { id: 'charset-unknown', what: 'an unknown charset in the text, the subject and the file name',
    mail: (id) => rawMail([...header(id).filter((h) => !h.startsWith('Subject')), 'Subject: =?x-nonsense?Q?Please_sign_RITM0010001?=', 'Content-Type: multipart/mixed; boundary=b'],
      multipart('b', [textPart('Signer: Ann L\xe9e <ann.lee@example.com>', 'x-nonsense'), pdfPart(contract, "filename*=x-bogus''caf%E9.pdf")])),
    folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0, check: expectSignerNamedFromAddress },
  { id: 'charset-lie', what: 'Latin-1 bytes declared as UTF-8', mail: (id) => rawMail([...header(id), 'Content-Type: multipart/mixed; boundary=b'],
    multipart('b', [textPart('Signer: Ann L\xe9e <ann.lee@example.com>', 'utf-8'), pdfPart(contract)])),
  folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0, check: expectSignerNamedFromAddress },
  { id: 'charset-missing', what: '8-bit text and an 8-bit subject with no charset at all', mail: (id) => rawMail([...header(id, ['Content-Type: multipart/mixed; boundary=b']).map((h) => (h.startsWith('Subject') ? `${h} \xe9t\xe9` : h))],
    multipart('b', [{ headers: ['Content-Type: text/plain'], body: 'Signer: Ann L\xe9e <ann.lee@example.com>' }, pdfPart(contract)])),
  folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0, check: expectSignerNamedFromAddress },
  // Attachment names
  { id: 'name-traversal', what: 'an attachment named ../../etc/passwd.pdf', mail: (id) => requestMail({ id }, pdfPart(contract, 'filename="../../etc/passwd.pdf"')),
    folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0, check: (r) => expect(documentNames(r)).toEqual(['passwd.pdf']) },
  { id: 'name-traversal-windows', what: 'an attachment named ..\\..\\Windows\\evil.pdf', mail: (id) => requestMail({ id }, pdfPart(contract, 'filename="..\\\\..\\\\Windows\\\\evil.pdf"')),
    folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0, check: (r) => expect(documentNames(r)).toEqual(['evil.pdf']) },
  { id: 'name-unicode-tricks', what: 'CJK, a right-to-left override and a NUL in the name', mail: (id) => requestMail({ id }, pdfPart(contract, "filename*=utf-8''%E5%A5%91%E7%B4%84%E2%80%AE%00fdp.exe.pdf")),
    folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0, check: (r) => expect(documentNames(r)).toEqual(['契約fdp.exe.pdf']) },
  // Not a PDF, or too much of one
  { id: 'exe-named-pdf', what: 'a Windows executable named contract.pdf', mail: (id) => requestMail({ id }, pdfPart(executable, 'filename="contract.pdf"', 'application/octet-stream')),
    folder: 'Rejected', outcome: 'rejected', reason: /^contract\.pdf is not a PDF file: save or export the document as PDF and attach that$/, replies: 1 },
  { id: 'pdf-over-size', what: 'a PDF over limits.max_pdf_bytes', mail: (id) => requestMail({ id }, pdfPart(Buffer.concat([contract, Buffer.alloc(3_100_000, 0x20)]))),
    folder: 'Rejected', outcome: 'rejected', reason: /^contract\.pdf is 3\d*(\.\d)? MB but a PDF may be at most 2\.9 MB: reduce its size/, replies: 1 },
  { id: 'pdf-over-pages', what: 'a PDF over limits.max_pages', mail: async (id) => requestMail({ id }, pdfPart(await makePages(HOSTILE_LIMITS.max_pages + 10))),
    folder: 'Rejected', outcome: 'rejected', reason: /^contract\.pdf has 60 pages, more than the 50 signrelay accepts/, replies: 1 },
  // PDFs crafted against the parsers
  { id: 'pdf-spins', what: 'nested forms that keep pdf.js busy for ever (time limit)', mail: (id) => requestMail({ id }, pdfPart(fixture('form-fan-out.pdf'))),
    folder: 'Rejected', outcome: 'rejected', reason: /^contract\.pdf could not be read in time: it is too complex \(reading it takes more than 5 s\)/, replies: 1 },
  { id: 'pdf-eats-heap', what: 'one array of 3 million dictionaries in 22 KB (heap limit)', mail: async (id) => requestMail({ id }, pdfPart(await hugeArrayPdf(3_000_000))),
    // The heap limit stops it in a second; on a machine busy enough the (shortened) time limit may come first.
    folder: 'Rejected', outcome: 'rejected', reason: /^contract\.pdf could not be read in time: it is too complex \(reading it (needs more than 64 MB of memory|takes more than 5 s)\)/, replies: 1 },
  { id: 'pdf-page-tree-loop', what: 'a page tree that contains itself', mail: (id) => requestMail({ id }, pdfPart(fixture('page-tree-loop.pdf'))),
    folder: 'Rejected', outcome: 'rejected', reason: DAMAGED, replies: 1 },
  { id: 'pdf-nested-arrays', what: '20 000 nested arrays', mail: (id) => requestMail({ id }, pdfPart(fixture('nested-arrays.pdf'))),
    folder: 'Rejected', outcome: 'rejected', reason: DAMAGED, replies: 1 },
  { id: 'pdf-huge-object-count', what: 'an object stream claiming 100 million objects', mail: (id) => requestMail({ id }, pdfPart(fixture('objstm-huge-count.pdf'))),
    folder: 'Rejected', outcome: 'rejected', reason: DAMAGED, replies: 1 },
  // Zip bombs
  { id: 'zip-bomb-2gib', what: 'a Flate stream of 2 GiB in 2 MB', mail: async (id) => requestMail({ id }, pdfPart(await flateBombPdf(2 * 2 ** 30))),
    folder: 'Rejected', outcome: 'rejected', reason: /\(its compressed content unpacks to more than 128 MB\)/, replies: 1 },
  { id: 'zip-bomb-10gib-twice', what: 'a twice-deflated stream of 10 GiB in 17 KB', mail: (id) => requestMail({ id }, pdfPart(fixture('flate-bomb-10gib.pdf'))),
    folder: 'Rejected', outcome: 'rejected', reason: /\(its compressed content unpacks to more than 128 MB\)/, replies: 1 },
  { id: 'zip-bomb-posing-as-image', what: 'the same, claiming to be an image', mail: (id) => requestMail({ id }, pdfPart(fixture('flate-bomb-posing-as-image.pdf'))),
    folder: 'Rejected', outcome: 'rejected', reason: /\(reading it needs more than 64 MB at once\)/, replies: 1 },
  // Recipients
  { id: 'recipients-10000', what: '5000 addresses in To and 5000 in Cc', mail: (id) => composedMail({ id }, {
    to: `sign@corp.example, ${crowd(5000, 'to.example')}`, cc: crowd(5000, 'cc.example'), text: 'Signer: Ann Lee <ann.lee@example.com>', attachments: [{ filename: 'contract.pdf', content: contract }] }),
  folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0 },
  { id: 'recipients-10000-refused', what: 'the same without a PDF: one reply, to the sender alone', mail: (id) => composedMail({ id }, {
    to: `sign@corp.example, ${crowd(5000, 'to.example')}`, cc: crowd(5000, 'cc.example'), text: 'Signer: Ann Lee <ann.lee@example.com>' }),
  folder: 'Rejected', outcome: 'rejected', reason: /^attach the document to be signed as a PDF file$/, replies: 1 },
  // Forms that must simply work
  { id: 'html-only', what: 'an HTML-only mail', mail: (id) => composedMail({ id }, {
    html: '<p>Please sign.</p><p>Signer: <b>Ann Lee</b> &lt;ann.lee@example.com&gt;</p>', attachments: [{ filename: 'contract.pdf', content: contract }] }),
  folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0 },
  { id: 'forwarded', what: 'a request forwarded as an attachment (message/rfc822)', mail: async (id) => composedMail({ id }, {
    text: 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: 'original.eml', contentType: 'message/rfc822', content: await composedMail({ id: `${id}-inner`, subject: 'the original' }, { text: 'see attached', attachments: [{ filename: 'inner.pdf', content: contract }] }) }] }),
  folder: 'Processed', outcome: 'request', reason: ACCEPTED, replies: 0, check: (r) => expect(documentNames(r)).toEqual(['inner.pdf']) },
];

function expectSignerNamedFromAddress(requestId: string | null): void {
  const request = getRequest(getHostile().world.daemon!.db, requestId!)!;
  // "Ann L\ufffde" (the bytes that were not UTF-8) never reaches the tags or the provider.
  expect(request.signers).toEqual([{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' }]);
}

async function deliverAndFile(id: string, raw: Buffer, timeoutMs = 20_000) {
  const { world } = getHostile();
  await world.dovecot.deliver('sign@corp.example', raw, senderOf(id));
  return waitUntilFiled(world, messageIdOf(id), timeoutMs);
}

function attemptsOf(row: MessageRow): number {
  const attempt = getHostile().world.daemon!.db.prepare('SELECT attempts FROM message_attempts WHERE mailbox = ? AND uid_validity = ? AND uid = ?')
    .get(row.mailbox, row.place, row.uid) as { attempts: number } | undefined;
  return attempt?.attempts ?? 0;
}

/** Mails signrelay sent the sender of case `id`: rejection replies (`reply`) or acknowledgements of a request sent for signing. */
function mailsTo(id: string, kind: 'reply' | 'acknowledgement' = 'reply') {
  const marked = new RegExp(`^X-Signrelay: ${kind}\\r?$`, 'mi');
  return getHostile().world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === senderOf(id)) && marked.test(m.raw.toString('latin1')));
}

function allMailsTo(id: string) {
  return getHostile().world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === senderOf(id)));
}

describe('each hostile mail ends in exactly one folder, with its reason and at most one reply', () => {
  // All delivered at once, as a mailbox under attack would see them; the daemon takes them
  // one by one, and each case waits for its own.
  beforeAll(async () => {
    for (const c of CASES) await getHostile().world.dovecot.deliver('sign@corp.example', await c.mail(c.id), senderOf(c.id));
  }, 180_000);

  it.each(CASES)('$id: $what', async (c) => {
    const { world } = getHostile();
    const row = await waitUntilFiled(world, messageIdOf(c.id), 60_000);
    expect(row.outcome).toBe(c.outcome);
    expect(row.reason).toMatch(c.reason);
    expect(row.folder).toBe(c.folder);
    // Decided on the first attempt: nothing threw, nothing was retried.
    expect(attemptsOf(row)).toBe(1);
    expect(await foldersHolding(world, messageIdOf(c.id))).toEqual([c.folder]);
    c.check?.(row.requestId);

    await waitUntilJobsSettle(world);
    expect(mailsTo(c.id, 'reply')).toHaveLength(c.replies);
    // A request sent for signing is acknowledged once; nothing else reaches the sender.
    expect(mailsTo(c.id, 'acknowledgement')).toHaveLength(c.outcome === 'request' ? 1 : 0);
    const replies = allMailsTo(c.id);
    expect(replies).toHaveLength(c.replies + (c.outcome === 'request' ? 1 : 0));
    for (const reply of replies) {
      expect(reply.envelope.rcptTo.map((r) => r.address)).toEqual([senderOf(c.id)]);
      expect(reply.raw.toString('latin1')).toMatch(new RegExp(`^In-Reply-To: ${messageIdOf(c.id)}`, 'mi'));
    }
  }, 180_000);
});

describe('a 50 MB mail', () => {
  it('is refused from its headers and never downloaded', async () => {
    const { world, imap } = getHostile();
    const id = 'mail-50mb';
    const big = Buffer.concat([contract, Buffer.alloc(37_000_000, 0x20)]);
    const raw = requestMail({ id }, pdfPart(big));
    expect(raw.length).toBeGreaterThan(50_000_000);
    const before = imap.downloaded();
    const row = await deliverAndFile(id, raw, 30_000);
    const downloaded = imap.downloaded() - before;
    expect(row).toMatchObject({ outcome: 'rejected', folder: 'Rejected' });
    expect(row.reason).toMatch(/^the mail is 4\d\.\d MB; the limit is 5\.7 MB: send a smaller PDF/);
    // Dovecot sent the daemon its headers and a few IMAP answers, not the 50 MB.
    expect(downloaded).toBeLessThan(64_000);
    expect(attemptsOf(row)).toBe(1);
    expect(await foldersHolding(world, messageIdOf(id))).toEqual(['Rejected']);
    await waitUntilJobsSettle(world);
    expect(mailsTo(id)).toHaveLength(1);
  }, 180_000);
});

describe('after all of it', () => {
  it('nothing was written outside the data directory, and inside it only content-named blobs', () => {
    const { dataDir, world } = getHostile();
    // The data dir's parent was created empty for this world.
    expect(readdirSync(dirname(dataDir))).toEqual(['data']);
    for (const file of filesUnder(dataDir)) {
      expect(file).toMatch(/^(signrelay\.db(-wal|-shm)?|signrelay\.pid|signrelay\.lock|credential-fingerprint\.key|history-mark\.json|blobs\/|blobs\/[0-9a-f]{2}\/|blobs\/[0-9a-f]{2}\/[0-9a-f]{64}\.pdf)$/);
    }
    for (const base of [dataDir, resolve(dataDir, 'blobs'), process.cwd(), '/']) {
      expect(existsSync(resolve(base, '../../etc/passwd.pdf'))).toBe(false);
      expect(existsSync(resolve(base, '..\\..\\Windows\\evil.pdf'))).toBe(false);
    }
    expect(world.daemon!.requestWatcher.status().state).not.toBe('backoff');
  });

  it('no mail is left in INBOX and none was filed twice', async () => {
    const { world } = getHostile();
    expect(await world.dovecot.list('sign', 'INBOX')).toHaveLength(0);
    const rows = world.daemon!.db.prepare("SELECT message_id, count(*) AS n FROM messages WHERE mailbox = 'requests' GROUP BY message_id HAVING n > 1").all();
    expect(rows).toEqual([]);
  });
});
