// Section `sustained`: mails paced evenly, 4/s and then 2.5/s (a fresh daemon each), for
// a minute each: intake p50/p95; the 4/s p95 is judged (<= 1.0 s), 2.5/s is shown, as is
// the tree's peak RSS meanwhile. A daemon that falls behind is waited for at most a minute
// after the last delivery: what it has not sent by then counts as never sent.
import { freshDaemon, type BenchContext } from '../context.ts';
import { roundRobin } from '../corpus.ts';
import { atMost } from '../figures.ts';
import { startSampler } from '../proc-memory.ts';
import { awaitSends, buildMails, deliverPaced, describeMissing, intakeLatencies } from '../requests.ts';
import { megabytes, percentile, seconds } from '../stats.ts';

const CATCH_UP_MS = 60_000;

export async function sustainedSection(ctx: BenchContext): Promise<void> {
  const { world, book } = ctx;
  const durationS = ctx.quick ? 20 : 60;
  for (const rate of [4, 2.5]) {
    const count = Math.round(rate * durationS);
    const mails = await buildMails(world, Array.from({ length: count }, (_, i) => roundRobin(ctx.corpus, i)));
    const { daemon } = await freshDaemon(ctx, `sustained-${rate}`);
    const sampler = startSampler(daemon.pid);
    try {
      const delivered = await deliverPaced(world, mails, rate);
      const missing = await awaitSends(world, delivered.map((d) => d.record), 30_000, Date.now() + CATCH_UP_MS);
      const latencies = intakeLatencies(world, delivered);
      const judged = rate === 4 ? atMost(1_000, seconds) : {};
      const note = describeMissing(world, missing, ` within ${CATCH_UP_MS / 1000} s of the last delivery`) || undefined;
      book.add({ key: `sustained.${rate}.p50`, label: `sustained ${rate}/s for ${durationS} s (${count} mails): intake p50`, value: percentile(latencies, 50), format: seconds, note });
      book.add({ key: `sustained.${rate}.p95`, label: `sustained ${rate}/s: intake p95`, value: percentile(latencies, 95), format: seconds, ...judged });
      book.add({ key: `sustained.${rate}.rss`, label: `sustained ${rate}/s: RSS peak, sum over the tree`, value: sampler.peak().rss, format: megabytes });
    } finally {
      sampler.stop();
      await daemon.stop();
    }
  }
}
