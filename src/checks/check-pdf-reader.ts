// The PDF reader item of `signrelay check`: poppler's pdftotext, which reads every stamped PDF
// beside pdf.js before it is sent (src/pdf/poppler-text.ts), runs here within its limits.
import { popplerProblem } from '../pdf/poppler-text.ts';
import type { CheckItem } from './checklist.ts';

export function pdfReaderCheckItem(): CheckItem {
  return {
    title: 'second PDF reader (pdftotext)',
    async run() {
      const problem = await popplerProblem();
      if (problem === undefined) return { ok: true, detail: 'pdftotext reads a test PDF' };
      // The problem says what to do; the fix says what waits meanwhile.
      return { ok: false, detail: problem, fix: 'until it works no request PDF is sent: their mails wait in the request folder and go on once it does' };
    },
  };
}
