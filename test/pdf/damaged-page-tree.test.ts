// Damage pdf-lib finds only after loading — a page listed twice in /Kids, a /Count of 0,
// negative or lower than the pages, a crop box that is not four numbers, an object number
// past PDF's limit — was a plain Error while the signature page was added (retried five
// times, then filed without a reply), or a stamped copy other readers could not read (fuzz
// review M2, L1). A /Count higher than the pages was kept and raised by one in the copy
// sent: poppler and qpdf read a blank page pdf.js did not (L2). Prepared through the worker
// pool, as the daemon's intake does.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { preparePdf } from '../../src/pdf/pdf-tasks.ts';
import { assembleNumberedPdf, assemblePdf, streamObject } from '../hostile/make-hostile-pdf.ts';
import { pdftotext } from './pdftotext.ts';
import { ANN, HELVETICA, LIMITS, stampInput, textStream, TOKEN } from './stamp-input.ts';

const input = stampInput;
const FONT = HELVETICA;
const text = textStream;
const page = (content: number, extra = '') => `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] ${FONT} /Contents ${content} 0 R ${extra}>>`;

/** Pages from `kids` (object numbers; 3 and 5 are pages) under a root saying `count`. */
function treePdf(kids: string, count: string, pageExtra = ''): Buffer {
  return assemblePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${count} >>`,
    page(4, pageExtra),
    text('Page one.'),
    page(6),
    text('Page two.'),
  ]);
}

const run = promisify(execFile);

/** What pdfinfo (poppler) and qpdf say the page count is. */
async function popplerAndQpdfPages(pdf: Uint8Array): Promise<[number, number]> {
  const dir = await mkdtemp(join(tmpdir(), 'signrelay-pages-'));
  try {
    const file = join(dir, 'in.pdf');
    await writeFile(file, pdf);
    const info = (await run('pdfinfo', [file])).stdout;
    const qpdf = (await run('qpdf', ['--show-npages', file])).stdout;
    return [Number(/Pages:\s+(\d+)/.exec(info)![1]), Number(qpdf.trim())];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('a page tree pdf-lib would read otherwise than a viewer: refused as damaged, with a reply', () => {
  it.each([
    ['a page listed twice in /Kids', treePdf('3 0 R 3 0 R', '1')],
    ['a node listed twice', assemblePdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [7 0 R 7 0 R] /Count 2 >>',
      page(4),
      text('Page one.'),
      page(6),
      text('Page two.'),
      '<< /Type /Pages /Parent 2 0 R /Kids [3 0 R] /Count 1 >>',
    ])],
    ['a /Count of -1', treePdf('3 0 R', '-1')],
    ['a /Count of 0 over a page', treePdf('3 0 R', '0')],
    ['a /Count of 1 over two pages (viewers show one)', treePdf('3 0 R 5 0 R', '1')],
  ])('%s', async (_name, bytes) => {
    for (const signers of [[ANN], []]) {
      await expect(preparePdf(bytes, LIMITS, input(signers))).rejects.toMatchObject({
        kind: 'input', code: 'pdf_damaged', message: expect.stringContaining('contract.pdf could not be read as a PDF (it may be damaged): export it again and resend'),
      });
    }
  });
});

describe('a crop box that is not four numbers is no crop box, as to every reader', () => {
  it('is stamped, the signature page the size of the page\'s media box', async () => {
    const bytes = treePdf('3 0 R', '1', '/CropBox [0 0 100]');
    expect(await pdftotext(bytes, [])).toContain('Page one.');
    const prepared = await preparePdf(bytes, LIMITS, input());
    expect(prepared.facts.pages).toBe(1);
    const stamped = await pdftotext(prepared.stamped!, []);
    expect(stamped).toContain('Page one.');
    expect(stamped).toContain('[!Sign.1,Ann,Lee,ann.lee@corp.example]');
    expect(Buffer.from(prepared.stamped!).toString('latin1')).toMatch(/\/MediaBox \[ 0 0 595 842 \]\s*\/CropBox \[ 0 0 595 842 \]/);
  });

  it('so is one inherited from the page tree', async () => {
    const bytes = assemblePdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 /CropBox [0 0 (wide) 842] >>',
      page(4),
      text('Page one.'),
    ]);
    const prepared = await preparePdf(bytes, LIMITS, input());
    expect(await pdftotext(prepared.stamped!, [])).toContain('[!Sign.1,Ann,Lee,ann.lee@corp.example]');
  });
});

describe('a /Count higher than the pages: set to the pages in the copy sent', () => {
  it('every reader reads the page and the signature page, and no blank one', async () => {
    const bytes = treePdf('3 0 R', '2');
    const prepared = await preparePdf(bytes, LIMITS, input());
    expect(prepared.facts.pages).toBe(1);
    expect((await extractPdfText(prepared.stamped!)).length).toBe(2);
    expect(await popplerAndQpdfPages(prepared.stamped!)).toEqual([2, 2]);
  });

  it('in every node of the tree', async () => {
    const bytes = assemblePdf([
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [7 0 R 5 0 R] /Count 9 >>',
      '<< /Type /Page /Parent 7 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents 4 0 R >>',
      text('Page one.'),
      page(6),
      text('Page two.'),
      '<< /Type /Pages /Parent 2 0 R /Kids [3 0 R] /Count 4 >>',
    ]);
    const prepared = await preparePdf(bytes, LIMITS, input());
    expect(prepared.facts.pages).toBe(2);
    expect(await popplerAndQpdfPages(prepared.stamped!)).toEqual([3, 3]);
    const pages = await extractPdfText(prepared.stamped!);
    expect(pages.slice(0, 2)).toEqual(['Page one.', 'Page two.']);
  });
});

describe('an object number past PDF\'s limit (8,388,607)', () => {
  it.each([8_388_608, 2 ** 31])('%i: refused as damaged — pdf-lib would number what it adds past it, which poppler and qpdf cannot read', async (number) => {
    const bytes = assembleNumberedPdf([
      [1, '<< /Type /Catalog /Pages 2 0 R >>'],
      [2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'],
      [3, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${number} 0 R >> >> /Contents 4 0 R >>`],
      [4, text('Page one.')],
      [number, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'],
    ]);
    await expect(preparePdf(bytes, LIMITS, input())).rejects.toMatchObject({ kind: 'input', code: 'pdf_damaged' });
  });

  it('one under it (a million) is stamped', async () => {
    const bytes = assembleNumberedPdf([
      [1, '<< /Type /Catalog /Pages 2 0 R >>'],
      [2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'],
      [3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 1000000 0 R >> >> /Contents 4 0 R >>'],
      [4, text('Page one.')],
      [1_000_000, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'],
    ]);
    const prepared = await preparePdf(bytes, LIMITS, input());
    expect(prepared.facts.pages).toBe(1);
  });
});

// A reference to an object the file lacks named, once stamped, an object signrelay added (pdf-lib
// numbers them from the largest number the file defines): a page's dangling /Annots became
// signrelay's Info dictionary, poppler gave the page up, and a file every reader shows was
// refused (diff review 23 L1). It is the null the standard says it means.
describe('a reference to a missing object', () => {
  it('is null in the copy sent: a page whose /Annots names a missing object is stamped and read whole by both readers', async () => {
    const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
    const original = assemblePdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${FONT} >> >> /Contents 4 0 R /Annots 9 0 R >>`,
      streamObject('', Buffer.from('BT /F1 12 Tf 72 760 Td (The agreement.) Tj ET', 'latin1'))]);
    const prepared = await preparePdf(original, LIMITS, input());
    const text = await pdftotext(prepared.stamped!, []);
    expect(text).toContain('The agreement.');
    expect(text).toContain(`[!Recipient.C,signrelay,Returns,returns+${TOKEN}@corp.example]`);
    expect(Buffer.from(prepared.stamped!).toString('latin1')).toMatch(/\/Annots null/);
  });
});
