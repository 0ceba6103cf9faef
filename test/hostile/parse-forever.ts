// A stand-in daemon for worker-orphan.test.ts (not a test): hands a PDF that never finishes
// parsing to the PDF worker, with a time limit far away, says so, and waits to be killed.
import { readFileSync } from 'node:fs';
import { inspectPdf } from '../../src/pdf/pdf-tasks.ts';

void inspectPdf(readFileSync(new URL('../../fixtures/hostile/form-fan-out.pdf', import.meta.url)), { maxPages: 5, maxPdfBytes: 1e7 }, { timeoutMs: 600_000 });
process.stdout.write('parsing\n');
setInterval(() => {}, 1_000);
