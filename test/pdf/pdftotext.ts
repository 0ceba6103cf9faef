// Poppler's pdftotext as a second, independent text extractor (the first is pdf.js in
// src/pdf/extract-text.ts): a tag both find intact is real text, whatever pdf-lib believes.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `pdftotext [args] FILE -` on the bytes and returns stdout. */
export async function pdftotext(bytes: Uint8Array, args: string[] = ['-layout']): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'signrelay-pdftotext-'));
  try {
    const file = join(dir, 'in.pdf');
    await writeFile(file, bytes);
    const { stdout } = await run('pdftotext', [...args, file, '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** pdftotext's text, one string per page (it ends every page with a form feed). */
export async function pdftotextPages(bytes: Uint8Array): Promise<string[]> {
  return (await pdftotext(bytes)).split('\f').slice(0, -1);
}

export interface WordBox {
  word: string;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  page: number;
  pageWidth: number;
  pageHeight: number;
}

/** Every word with its box (`pdftotext -bbox`), to check text stays on the page. */
export async function pdftotextBoxes(bytes: Uint8Array): Promise<WordBox[]> {
  const html = await pdftotext(bytes, ['-bbox']);
  const boxes: WordBox[] = [];
  let page = 0;
  let pageWidth = 0;
  let pageHeight = 0;
  for (const line of html.split('\n')) {
    const p = /<page width="([\d.]+)" height="([\d.]+)">/.exec(line);
    if (p) {
      page++;
      pageWidth = Number(p[1]);
      pageHeight = Number(p[2]);
      continue;
    }
    const w = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)<\/word>/.exec(line);
    if (w) boxes.push({ word: w[5]!, xMin: Number(w[1]), yMin: Number(w[2]), xMax: Number(w[3]), yMax: Number(w[4]), page, pageWidth, pageHeight });
  }
  return boxes;
}
