// Inspection and stamping in one task (prepare-pdf.ts): the document's own tags are read in
// the stamped file, so what is the document's and what is signrelay's must never be
// confused — text signrelay draws from a mail (a subject, a file name) is never taken for
// the document's own tags, and a document's tag that only the stamped file shows is seen.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { findTags } from '../../src/pdf/find-tags.ts';
import { inspectPdf, preparePdf } from '../../src/pdf/pdf-tasks.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';
import { makeContract, makePages, makePdf, makeTaggedContract, REQUESTER_TAGS } from './make-pdf.ts';
import { assemblePdf, streamObject } from '../hostile/make-hostile-pdf.ts';

/**
 * Three pages whose page tree lies in a /Count: node A holds one page and claims three.
 * pdf-lib walks /Kids (p1, p2, p3) but places a new page by the counts — right after A, not
 * at the end — unless they are set right first; every reader reads the three pages.
 */
function lyingCountPdf(): Buffer {
  const font = '/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>';
  const page = (parent: number, content: number) => `<< /Type /Page /Parent ${parent} 0 R /MediaBox [0 0 595 842] ${font} /Contents ${content} 0 R >>`;
  const text = (words: string) => streamObject('', Buffer.from(`BT /F1 12 Tf 72 760 Td (${words}) Tj ET`, 'latin1'));
  return assemblePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R 5 0 R 6 0 R] /Count 3 >>',
    '<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 3 >>',
    page(3, 7), page(2, 8), page(2, 9),
    text('Page one'), text('Page two'), text('Page three'),
  ]);
}

const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const RECIPIENT_TAG = `[!Recipient.C,signrelay,Returns,returns+${TOKEN}@corp.example]`;
const ANN = { firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' };
const LIMITS = { maxPages: 50, maxPdfBytes: 20 * 1024 * 1024, fileName: 'contract.pdf' };
const stamping = configSchema.shape.stamping.parse(undefined);

function input(over: Partial<StampInput> = {}): StampInput {
  return { token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C', signers: [ANN], request: { fileName: 'contract.pdf', subject: 'Services agreement' }, stamping, ...over };
}

async function tagsIn(bytes: Uint8Array): Promise<string[]> {
  return findTags((await extractPdfText(bytes)).join('\n')).map((t) => t.text).sort();
}

describe('preparePdf: inspection and stamp in one task', () => {
  it('gives the facts inspection gives, and a stamp holding exactly the tags drawn', async () => {
    const bytes = await makeContract();
    const prepared = await preparePdf(bytes, LIMITS, input());
    const inspected = await inspectPdf(bytes, LIMITS);
    expect(prepared.facts).toEqual(inspected);
    expect(prepared.facts).toMatchObject({ pages: 2, hasSignTags: false, tags: [] });
    expect(await tagsIn(prepared.stamped!)).toEqual(['[!Sign.1,Ann,Lee,ann.lee@corp.example]', RECIPIENT_TAG].sort());
  });

  it('reads a prepared document\'s own signers and, with no signers named, draws only the recipient tag', async () => {
    const prepared = await preparePdf(await makeTaggedContract(), LIMITS, input({ signers: [] }));
    expect(prepared.facts.ownSigners.map((s) => s.email)).toEqual(['ann.lee@corp.example', 'bruno.diaz@northwind.example']);
    expect(prepared.facts.signTagCount).toBe(2);
    expect(await tagsIn(prepared.stamped!)).toEqual([...REQUESTER_TAGS, RECIPIENT_TAG].sort());
  });

  it('still reports the document\'s own tags when signers are named (the caller refuses the mix)', async () => {
    const prepared = await preparePdf(await makeTaggedContract(), LIMITS, input());
    expect(prepared.facts.tags.map((t) => t.text)).toEqual(REQUESTER_TAGS);
  });

  it('never takes a tag in the mail\'s subject, drawn on the signature page, for the document\'s own', async () => {
    // With no signers named, a tag the document does not carry would decide who signs.
    const forged = '[!Sign.1,Eve,Evil,eve@attacker.example]';
    const prepared = await preparePdf(await makeContract(), LIMITS, input({ signers: [], request: { fileName: 'contract.pdf', subject: `Please sign ${forged}` } }));
    expect(prepared.facts).toMatchObject({ tags: [], ownSigners: [], hasSignTags: false });
    expect(await tagsIn(prepared.stamped!)).toEqual([RECIPIENT_TAG]);
  });

  it('draws a long subject cut to a bound, and a word wider than the page over several lines whole', async () => {
    // A 3,000-character subject took seconds to lay out, a longer one past the task's time
    // limit, failing the request for its subject: it is cut, and a long word is split by halving.
    const word = `W${'x'.repeat(180)}Z`;
    const subject = `${word} ${'y'.repeat(20_000)}`;
    const prepared = await preparePdf(await makeContract(), LIMITS, input({ request: { fileName: 'contract.pdf', subject } }));
    const page = (await extractPdfText(prepared.stamped!)).at(-1)!.replace(/\s+/g, '');
    expect(page).toContain(word);
    expect(page).toMatch(/y{100,}(…|\.\.\.)Reference/);
    expect(page).not.toMatch(/y{600}/);
  });

  it('in overlay mode counts a document tag identical to a drawn one as the document\'s', async () => {
    const bytes = await makePdf({ pages: [['Agreement', REQUESTER_TAGS[0]!]] });
    const prepared = await preparePdf(bytes, LIMITS, input({ stamping: { ...stamping, mode: 'overlay' } }));
    expect(prepared.facts.tags.map((t) => t.text)).toEqual([REQUESTER_TAGS[0]]);
    expect(await tagsIn(prepared.stamped!)).toEqual([REQUESTER_TAGS[0]!, REQUESTER_TAGS[0]!, RECIPIENT_TAG].sort());
  });

  it('makes the cheap refusals before stamping, with inspection\'s codes', async () => {
    await expect(preparePdf(await makePages(3), { ...LIMITS, maxPages: 2 }, input())).rejects.toMatchObject({ code: 'pdf_too_many_pages', message: expect.stringContaining('has 3 pages, more than the 2') });
    await expect(preparePdf(new TextEncoder().encode('not a pdf at all'), LIMITS, input())).rejects.toMatchObject({ code: 'pdf_not_a_pdf' });
    await expect(preparePdf(await makeContract(), { ...LIMITS, maxPdfBytes: 100 }, input())).rejects.toMatchObject({ code: 'pdf_too_large' });
  });

  it('only inspects for a provider that reads no tags when no signer is named (nothing to list)', async () => {
    const prepared = await preparePdf(await makeContract(), LIMITS, input({ textTags: false, signers: [] }));
    expect(prepared.stamped).toBeUndefined();
    expect(prepared.facts.pages).toBe(2);
  });

  it('counts again a page tree whose counts would put the signature page elsewhere than at the end (every reader reads its 3 pages)', async () => {
    // pdf-lib places an added page by the /Count entries the file supplies: a node saying 3
    // over its 1 page had it put the page in the middle (refused as stamped_pages_mismatch,
    // which still guards what pdf.js and pdf-lib read apart); the counts are set to the pages
    // as the document is loaded (page-tree.ts).
    const prepared = await preparePdf(lyingCountPdf(), LIMITS, input());
    expect(prepared.facts.pages).toBe(3);
    const pages = await extractPdfText(prepared.stamped!);
    expect(pages.slice(0, 3)).toEqual(['Page one', 'Page two', 'Page three']);
    expect(pages.at(-1)).toContain(RECIPIENT_TAG);
  });
});
