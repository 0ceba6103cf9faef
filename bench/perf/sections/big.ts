// Section `big`: the ~20 MB PDF through the whole loop — intake latency (shown), the
// completion latency (judged: the same target as any PDF), and the peak memory of the
// daemon's process tree from its delivery to its attachment (judged on the RSS sum).
import { signAndAwait } from '../completions.ts';
import { freshDaemon, type BenchContext } from '../context.ts';
import { requestMail } from '../corpus.ts';
import { atMost } from '../figures.ts';
import { startSampler } from '../proc-memory.ts';
import { awaitSends, deliverRequest, describeMissing, intakeLatencies } from '../requests.ts';
import { megabytes, seconds, sleep } from '../stats.ts';

export async function bigSection(ctx: BenchContext): Promise<void> {
  const { world, book } = ctx;
  const runs = ctx.quick ? 1 : 2;
  const pdf = await ctx.bigPdf();
  const { daemon } = await freshDaemon(ctx, 'big');
  const sampler = startSampler(daemon.pid);
  try {
    const intake: number[] = [];
    const completion: number[] = [];
    const problems: string[] = [];
    for (let i = 0; i < runs; i++) {
      const record = world.newRecord();
      const raw = await requestMail(record, pdf);
      const delivered = await deliverRequest(world, pdf, { record, raw });
      const missing = await awaitSends(world, [record], 60_000);
      intake.push(intakeLatencies(world, [delivered])[0]!);
      if (missing.length > 0) {
        problems.push(describeMissing(world, missing));
        continue;
      }
      await sleep(1_000);
      completion.push((await signAndAwait(world, record, 120_000)).latency);
      await sleep(1_000);
    }
    const peak = sampler.peak();
    const note = [`${(pdf.bytes.byteLength / 1e6).toFixed(1)} MB PDF, worst of ${runs}`, ...problems].join('; ');
    book.add({ key: 'big.intake', label: 'intake of the 20 MB PDF', value: Math.max(...intake), format: seconds, note });
    book.add({ key: 'big.completion', label: 'completion of the 20 MB PDF', value: completion.length < runs ? Number.POSITIVE_INFINITY : Math.max(...completion), format: seconds, ...atMost(1_000, seconds) });
    book.add({ key: 'memory.big.rss', label: 'RSS peak around the 20 MB PDF, sum over the tree — the verdict', value: peak.rss, format: megabytes, ...atMost(400e6, megabytes) });
    book.add({ key: 'memory.big.main-rss', label: 'RSS peak of the daemon\'s main process alone, same samples (shown, not judged)', value: peak.mainRss, format: megabytes });
    book.add({ key: 'memory.big.pss', label: 'PSS peak around the 20 MB PDF (shown, not judged)', value: peak.pss, format: megabytes });
  } finally {
    sampler.stop();
    await daemon.stop();
  }
}
