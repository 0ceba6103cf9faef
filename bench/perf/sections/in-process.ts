// Section `pdf`: per PDF of the corpus, in this process, mean ms — pdf-lib's bare load +
// addPage + drawText + save, the daemon's work per request PDF (inspection and stamp in one
// task) and, to compare, inspection and stamp as two tasks (pdf-tasks.ts) — and the
// verdict: the daemon's work within 1.5× bare pdf-lib. One round first to warm the JIT, then
// the mean of the measured rounds per PDF, then the mean over the PDFs.
import type { BenchContext } from '../context.ts';
import { atMost } from '../figures.ts';
import { barePdfLib, inspectInProcess, prepareInProcess, stampInProcess } from '../pdf-tasks.ts';
import { mean } from '../stats.ts';

const ms = (v: number) => `${v.toFixed(1)} ms`;
const times = (v: number) => `${v.toFixed(2)}x`;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

export async function inProcessSection(ctx: BenchContext): Promise<void> {
  const rounds = ctx.quick ? 1 : 3;
  const per = { bare: [] as number[], prepare: [] as number[], inspect: [] as number[], stamp: [] as number[] };
  for (const pdf of ctx.corpus) {
    const facts = await inspectInProcess(pdf);
    await barePdfLib(pdf);
    await prepareInProcess(pdf);
    await stampInProcess(pdf, facts);
    const runs = { bare: [] as number[], prepare: [] as number[], inspect: [] as number[], stamp: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      runs.bare.push(await timed(() => barePdfLib(pdf)));
      runs.prepare.push(await timed(() => prepareInProcess(pdf)));
      runs.inspect.push(await timed(() => inspectInProcess(pdf)));
      runs.stamp.push(await timed(() => stampInProcess(pdf, facts)));
    }
    for (const key of Object.keys(per) as Array<keyof typeof per>) per[key].push(mean(runs[key]));
  }
  const n = `${ctx.corpus.length} PDFs, mean of ${rounds} round(s) after a warm-up`;
  const bare = ctx.book.add({ key: 'pdf.bare', label: `bare pdf-lib load+addPage+drawText+save (${n})`, value: mean(per.bare), format: ms });
  const prepare = ctx.book.add({ key: 'pdf.prepare', label: 'inspect and stamp in one task (preparePdfInProcess), the worker\'s work per request PDF', value: mean(per.prepare), format: ms });
  const inspect = ctx.book.add({ key: 'pdf.inspect', label: 'inspect alone (inspectPdfInProcess)', value: mean(per.inspect), format: ms });
  const stamp = ctx.book.add({ key: 'pdf.stamp', label: 'stamp alone (stampPdfInProcess, tags from inspection)', value: mean(per.stamp), format: ms });
  ctx.book.add({ key: 'pdf.ratio', label: 'the worker\'s work per request PDF / bare pdf-lib', value: prepare / bare, format: times, ...atMost(1.5, times) });
  ctx.book.add({ key: 'pdf.both', label: '(inspect + stamp as two tasks) / bare pdf-lib, as it was', value: (inspect + stamp) / bare, format: times });
}
