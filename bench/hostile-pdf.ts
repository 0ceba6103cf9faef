// Speed and memory of refusing hostile PDFs (`npm run bench`): each case is run through the
// real PDF worker and measured from the outside (this process's RSS growth, the worker's
// peak RSS, the time to the refusal), against the targets the README states. The suite
// (test/hostile/) checks only that each is refused, and why; the numbers are measured here.
// Prints one line per case and exits 1 when a target is missed.
import { readFileSync } from 'node:fs';
import { SignrelayError } from '../src/errors.ts';
import { inspectPdf, type PdfLimits } from '../src/pdf/pdf-tasks.ts';
import { flateBombPdf, hugeArrayPdf } from '../test/hostile/make-hostile-pdf.ts';
import { measureMemory } from '../test/hostile/measure-memory.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/hostile/${name}`, import.meta.url));
const LIMITS: PdfLimits = { maxPages: 500, maxPdfBytes: 20 * 1024 * 1024, fileName: 'contract.pdf' };

interface Case {
  name: string;
  pdf: () => Promise<Uint8Array> | Uint8Array;
  worker: { timeoutMs?: number; maxHeapMb?: number };
  /** Targets: refused within this many ms, the worker under this many MB, the daemon growing under this many MB. */
  maxMs: number;
  maxWorkerMb: number;
  maxDaemonGrowthMb: number;
}

// A fresh heap limit per case gives each a fresh worker, so each peak is its own.
let heap = 250;
const CASES: Case[] = [
  { name: 'spinning PDF (2^40 nested forms), 1.5 s limit', pdf: () => fixture('form-fan-out.pdf'), worker: { timeoutMs: 1_500, maxHeapMb: heap++ }, maxMs: 4_000, maxWorkerMb: 400, maxDaemonGrowthMb: 100 },
  { name: '1 GiB Flate bomb', pdf: () => flateBombPdf(2 ** 30), worker: { maxHeapMb: heap++ }, maxMs: 10_000, maxWorkerMb: 300, maxDaemonGrowthMb: 100 },
  { name: '10 GiB twice-deflated bomb (17 KB)', pdf: () => fixture('flate-bomb-10gib.pdf'), worker: { maxHeapMb: heap++ }, maxMs: 10_000, maxWorkerMb: 300, maxDaemonGrowthMb: 100 },
  { name: 'bomb posing as an image', pdf: () => fixture('flate-bomb-posing-as-image.pdf'), worker: { maxHeapMb: heap++ }, maxMs: 10_000, maxWorkerMb: 400, maxDaemonGrowthMb: 100 },
  { name: 'one array of 30 million numbers (59 KB)', pdf: () => hugeArrayPdf(30_000_000, '0'), worker: { timeoutMs: 60_000 }, maxMs: 20_000, maxWorkerMb: 1_000, maxDaemonGrowthMb: 100 },
];

async function main(): Promise<number> {
  let missed = 0;
  process.stdout.write('hostile PDFs: time to refusal, worker peak RSS, daemon RSS growth (targets in brackets)\n');
  for (const c of CASES) {
    const pdf = await c.pdf();
    const started = Date.now();
    const { result, peaks } = await measureMemory(() => inspectPdf(pdf, LIMITS, c.worker));
    const ms = Date.now() - started;
    const refused = result.status === 'rejected' && result.reason instanceof SignrelayError && result.reason.code === 'pdf_too_complex';
    const ok = refused && ms <= c.maxMs && peaks.childPeakMb <= c.maxWorkerMb && peaks.selfGrowthMb <= c.maxDaemonGrowthMb;
    if (!ok) missed++;
    process.stdout.write(`${ok ? 'ok  ' : 'MISS'} ${c.name}: ${refused ? 'refused' : 'NOT REFUSED'} in ${ms} ms [${c.maxMs}], worker ${peaks.childPeakMb.toFixed(0)} MB [${c.maxWorkerMb}], daemon +${peaks.selfGrowthMb.toFixed(0)} MB [${c.maxDaemonGrowthMb}]\n`);
  }
  process.stdout.write(missed === 0 ? 'all targets met\n' : `${missed} target(s) missed\n`);
  return missed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
