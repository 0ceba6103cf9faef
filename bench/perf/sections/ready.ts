// Section `ready`: spawn → both watchers in IDLE, seen from the outside (Dovecot's process
// titles), over several fresh daemons, the median judged; and each daemon's memory once it
// has sat quiet for a few seconds after that (idle), the median of the runs.
import { freshDaemon, type BenchContext } from '../context.ts';
import { atMost } from '../figures.ts';
import { sampleTree } from '../proc-memory.ts';
import { megabytes, median, seconds, sleep } from '../stats.ts';

const QUIET_MS = 3_000;

export async function readySection(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 2 : 5;
  const readies: number[] = [];
  const idle = { rss: [] as number[], pss: [] as number[], mainRss: [] as number[] };
  for (let i = 1; i <= runs; i++) {
    const { daemon, readyMs } = await freshDaemon(ctx, `ready-${i}`);
    readies.push(readyMs);
    await sleep(QUIET_MS);
    const samples = [];
    for (let s = 0; s < 5; s++) {
      samples.push(sampleTree(daemon.pid));
      await sleep(200);
    }
    idle.rss.push(median(samples.map((s) => s.rss)));
    idle.pss.push(median(samples.map((s) => s.pss)));
    idle.mainRss.push(median(samples.map((s) => s.mainRss)));
    await daemon.stop();
  }
  ctx.book.add({ key: 'ready', label: `spawn -> both watchers in IDLE (median of ${runs} fresh daemons)`, value: median(readies), format: seconds, ...atMost(1_000, seconds), note: `runs ${readies.map(seconds).join(' ')}` });
  ctx.book.add({ key: 'memory.idle.rss', label: `RSS idle, sum over the daemon's process tree, ${QUIET_MS / 1000} s after ready (median of ${runs}) — the verdict`, value: median(idle.rss), format: megabytes, ...atMost(120e6, megabytes) });
  ctx.book.add({ key: 'memory.idle.pss', label: 'PSS idle, same samples (shown, not judged)', value: median(idle.pss), format: megabytes });
  ctx.book.add({ key: 'memory.idle.main-rss', label: 'RSS idle of the daemon\'s main process alone, same samples (shown, not judged)', value: median(idle.mainRss), format: megabytes });
}
