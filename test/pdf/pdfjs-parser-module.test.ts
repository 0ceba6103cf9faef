// pdf.js's parser ("fake worker") is handed its module by extract-text.ts, not told its file:
// told the file, pdf.js imported it as a URL at the first PDF, and under an install path
// holding `#`, `%` or `?` that named another file — every PDF was then refused to its
// requester as damaged (install review M1). And pdf.js failing to set its parser up is the
// machine's failure, the mail waiting, never a reply that blames the file.
import { readFileSync } from 'node:fs';
import { GlobalWorkerOptions } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { pdfJsRefusal } from '../../src/pdf/inspect-pdf.ts';

const sample = () => new Uint8Array(readFileSync(new URL('../../fixtures/pdf/sample-contract.pdf', import.meta.url)));

describe('pdf.js\'s parser module', () => {
  it('is the one imported, whatever file pdf.js would be told: a path with # (an install prefix) is never loaded', async () => {
    const told = GlobalWorkerOptions.workerSrc;
    GlobalWorkerOptions.workerSrc = '/opt/sign#relay/lib/node_modules/signrelay/node_modules/pdfjs-dist/legacy/build/pdf.worker.mjs';
    try {
      const pages = await extractPdfText(sample());
      expect(pages.join('\n')).toMatch(/\w/);
    } finally {
      GlobalWorkerOptions.workerSrc = told;
    }
  });

  it('failing to set up is the machine\'s failure (transient, the work waits), not the PDF\'s', () => {
    const refusal = pdfJsRefusal(new Error('Setting up fake worker failed: "Cannot find module \'/opt/sign\' imported from …".'), 'contract.pdf');
    expect(refusal).toMatchObject({ kind: 'transient', code: 'pdf_worker_unavailable' });
    expect(refusal.message).toContain('pdf.js could not set up its parser');
    expect(pdfJsRefusal(new Error('Invalid PDF structure.'), 'contract.pdf')).toMatchObject({ kind: 'input', code: 'pdf_damaged' });
  });
});
