// Section `completion`: requests are sent first, then signed one at a time (every 1.5 s
// at most), each completion mail's delivery → the attachment at ServiceNow; p50/p95
// judged, the share up to the signed copy's download shown.
import { signAndAwait, type Completion } from '../completions.ts';
import { freshDaemon, type BenchContext } from '../context.ts';
import { roundRobin } from '../corpus.ts';
import { atMost } from '../figures.ts';
import { awaitSends, buildMails, deliverPaced, describeMissing } from '../requests.ts';
import { percentile, seconds, sleep } from '../stats.ts';

const SPACING_MS = 1_500;

export async function completionSection(ctx: BenchContext): Promise<void> {
  const { world, book } = ctx;
  const count = ctx.quick ? 6 : 20;
  const mails = await buildMails(world, Array.from({ length: count }, (_, i) => roundRobin(ctx.corpus, i + 5)));
  const { daemon } = await freshDaemon(ctx, 'completion');
  try {
    const delivered = await deliverPaced(world, mails, 2);
    const missing = await awaitSends(world, delivered.map((d) => d.record));
    await sleep(2_000); // the work notes of the sends, and quiet
    const done: Completion[] = [];
    for (const d of delivered.filter((x) => !missing.includes(x.record))) {
      const started = Date.now();
      done.push(await signAndAwait(world, d.record));
      await sleep(Math.max(0, SPACING_MS - (Date.now() - started)));
    }
    const latencies = done.map((c) => c.latency);
    const note = describeMissing(world, missing) || undefined;
    book.add({ key: 'completion.p50', label: `completion p50 (${done.length} signed, one at a time)`, value: percentile(latencies, 50), format: seconds, ...atMost(700, seconds), note });
    book.add({ key: 'completion.p95', label: 'completion p95', value: percentile(latencies, 95), format: seconds, ...atMost(1_000, seconds) });
    book.add({ key: 'completion.download.p50', label: 'of which delivered -> signed copy download requested, p50', value: percentile(done.map((c) => c.download), 50), format: seconds });
  } finally {
    await daemon.stop();
  }
}
