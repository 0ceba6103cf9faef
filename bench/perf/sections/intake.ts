// Section `intake`: delivered → SmartTag/Send received at the simulator. Warm: after two
// warm-up mails, mails one at a time every 1.5 s, p50/p95 judged, and split where a session
// of the bench's own in IDLE beside the daemon's is told of the mail (idle-observer.ts):
// Dovecot's share before it, the daemon's from there to the stamped PDF's upload arriving at
// the simulator, the simulator's upload answer and SmartTag/Send after it. Then the daemon's
// memory during that run (steady). Cold: after the daemon
// sat idle 16 s, one mail — a few times; judged against the warm p95 target (the issue's
// target is "the same as warm"), with the memory it kept while idle shown.
import { freshDaemon, type BenchContext } from '../context.ts';
import { roundRobin } from '../corpus.ts';
import { atMost } from '../figures.ts';
import { startSampler, sampleTree } from '../proc-memory.ts';
import { awaitSends, buildMails, deliverPaced, deliverRequest, describeMissing, intakeLatencies, slowest, uploadLatencies } from '../requests.ts';
import { megabytes, median, percentile, seconds, sleep } from '../stats.ts';

const SPACING_MS = 1_500;
const IDLE_MS = 16_000;

export async function intakeSection(ctx: BenchContext): Promise<void> {
  const { world, book } = ctx;
  const count = ctx.quick ? 8 : 30;
  const colds = ctx.quick ? 1 : 3;
  const { daemon } = await freshDaemon(ctx, 'intake');
  try {
    for (let i = 0; i < 2; i++) {
      const warmUp = await deliverRequest(world, roundRobin(ctx.corpus, i));
      await awaitSends(world, [warmUp.record]);
    }
    const mails = await buildMails(world, Array.from({ length: count }, (_, i) => roundRobin(ctx.corpus, i + 2)));
    const observer = await world.observeRequests();
    const sampler = startSampler(daemon.pid);
    const delivered = await deliverPaced(world, mails, 1000 / SPACING_MS);
    const missing = await awaitSends(world, delivered.map((d) => d.record));
    const samples = sampler.stop();
    const latencies = intakeLatencies(world, delivered);
    const note = [describeMissing(world, missing), `slowest: ${slowest(delivered, latencies)}`].filter(Boolean).join('; ');
    book.add({ key: 'intake.p50', label: `intake p50, warm (${count} mails, one every ${SPACING_MS / 1000} s)`, value: percentile(latencies, 50), format: seconds, ...atMost(700, seconds), note });
    book.add({ key: 'intake.p95', label: 'intake p95, warm', value: percentile(latencies, 95), format: seconds, ...atMost(1_000, seconds) });
    await observer.close();
    const uploads = uploadLatencies(world, delivered);
    const told = delivered.map((d) => (observer.toldAfter(d.deliveredAt) ?? Number.NaN) - d.deliveredAt);
    const daemonShare = uploads.map((upload, i) => upload - told[i]!);
    const rest = latencies.map((latency, i) => latency - uploads[i]!);
    book.add({ key: 'intake.told.p50', label: 'of which delivered -> Dovecot tells a session in IDLE, p50 (its notice: the floor)', value: percentile(told.filter(Number.isFinite), 50), format: seconds });
    book.add({ key: 'intake.daemon.p50', label: 'of which told -> stamped PDF upload arrives, p50 (the daemon\'s own share)', value: percentile(daemonShare.filter(Number.isFinite), 50), format: seconds, note: `p95 ${seconds(percentile(daemonShare.filter(Number.isFinite), 95))}` });
    book.add({ key: 'intake.provider.p50', label: 'of which upload arrives -> SmartTag/Send arrives, p50 (the simulator reads the upload; the send)', value: percentile(rest.filter(Number.isFinite), 50), format: seconds });
    book.add({ key: 'memory.steady.rss', label: 'RSS during the warm run, sum over the tree: median (peak in the note)', value: median(samples.map((s) => s.rss)), format: megabytes, note: `peak ${megabytes(Math.max(...samples.map((s) => s.rss)))}` });
    book.add({ key: 'memory.steady.pss', label: 'PSS during the warm run: median (shown, not judged)', value: median(samples.map((s) => s.pss).filter((p) => !Number.isNaN(p))), format: megabytes });

    const cold: number[] = [];
    const kept: number[] = [];
    for (let i = 0; i < colds; i++) {
      await sleep(IDLE_MS);
      kept.push(sampleTree(daemon.pid).rss);
      const one = await deliverRequest(world, roundRobin(ctx.corpus, count + 2 + i));
      await awaitSends(world, [one.record]);
      cold.push(intakeLatencies(world, [one])[0]!);
    }
    book.add({ key: 'intake.cold', label: `intake, first mail after ${IDLE_MS / 1000} s idle (median of ${colds})`, value: median(cold), format: seconds, ...atMost(1_000, seconds), note: `runs ${cold.map(seconds).join(' ')}; target: as warm (its p95 target)` });
    book.add({ key: 'memory.idle-after-work.rss', label: `RSS after ${IDLE_MS / 1000} s idle following the warm run (median)`, value: median(kept), format: megabytes });
  } finally {
    await daemon.stop();
  }
}
