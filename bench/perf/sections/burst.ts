// Section `burst`: 100 request mails appear in the INBOX at once (staged in another folder,
// then one `doveadm move`); from that moment until the last SmartTag/Send: requests/s,
// judged as a ratio to pdf-lib's own rate (load + addPage + drawText + save, sequential, in
// this process) on the same PDFs, measured just before in the same run. The peak memory of
// the daemon's tree meanwhile is judged on the RSS sum.
import { freshDaemon, type BenchContext } from '../context.ts';
import { roundRobin } from '../corpus.ts';
import { atLeast, atMost } from '../figures.ts';
import { barePdfLib } from '../pdf-tasks.ts';
import { startSampler } from '../proc-memory.ts';
import { awaitSends, buildMails, describeMissing, releaseStaged, stageMails } from '../requests.ts';
import { megabytes, sleep } from '../stats.ts';

const perSecond = (v: number) => `${v.toFixed(1)}/s`;
const times = (v: number) => `${v.toFixed(2)}x`;

export async function burstSection(ctx: BenchContext): Promise<void> {
  const { world, book } = ctx;
  const count = ctx.quick ? 30 : 100;
  const pdfs = Array.from({ length: count }, (_, i) => roundRobin(ctx.corpus, i));
  for (const pdf of ctx.corpus) await barePdfLib(pdf); // warm-up
  const started = performance.now();
  for (const pdf of pdfs) await barePdfLib(pdf);
  const pdfLibRate = count / ((performance.now() - started) / 1000);

  const mails = await buildMails(world, pdfs);
  const { daemon } = await freshDaemon(ctx, 'burst');
  await stageMails(world, mails);
  await sleep(1_000);
  const sampler = startSampler(daemon.pid);
  try {
    const { releasedAt, movedInMs } = await releaseStaged(world);
    const records = mails.map((m) => m.record);
    const missing = await awaitSends(world, records, 60_000);
    const last = Math.max(...records.map((r) => world.observed.sends.get(r)?.at ?? 0));
    const rate = missing.length > 0 ? 0 : count / ((last - releasedAt) / 1000);
    const peak = sampler.peak(releasedAt);
    const note = [`${count} mails in ${((last - releasedAt) / 1000).toFixed(1)} s; moved into the INBOX in ${movedInMs} ms`, describeMissing(world, missing)].filter(Boolean).join('; ');
    book.add({ key: 'burst.rate', label: `burst: ${count} mails at once -> all sent`, value: rate, format: perSecond, note });
    book.add({ key: 'burst.pdflib', label: 'pdf-lib\'s own rate on the same PDFs, this run', value: pdfLibRate, format: perSecond });
    book.add({ key: 'burst.ratio', label: 'burst rate / pdf-lib\'s rate', value: rate / pdfLibRate, format: times, ...atLeast(0.5, times) });
    book.add({ key: 'memory.burst.rss', label: 'RSS peak during the burst, sum over the tree — the verdict', value: peak.rss, format: megabytes, ...atMost(300e6, megabytes) });
    book.add({ key: 'memory.burst.pss', label: 'PSS peak during the burst (shown, not judged)', value: peak.pss, format: megabytes });
  } finally {
    sampler.stop();
    await daemon.stop();
  }
}
