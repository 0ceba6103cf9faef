// `npm run soak` (or `node bench/soak.ts`): does the daemon's memory level off? One daemon
// takes 2,000 request mails (the real-world corpus, round robin) paced at 5/s — never more
// than 10 waiting in the INBOX, so a daemon slower than that sets the pace — while every
// sent request is signed a second later and its completion flows back to ServiceNow. The
// main process's RSS (from /proc) is sampled every 2 s; the verdict: RSS after 2,000 mails
// within 1.2× of RSS after 200 (each the median of the samples taken while the 50 mails up
// to that count were sent). Exit 1 when it grew more, 2 when the soak itself failed.
//
//   --mails N      request mails in all (default 2000; the checkpoints scale with it)
//   --rate R       mails per second at most (default 5)
//   --ahead K      at most K delivered and not yet sent (default 10)
//   --quick        --mails 300
//   --keep         keep the temp dir (daemon log, data dir)
//   --env K=V      set K=V in the daemon's environment, on top of the service unit's (repeatable;
//                  e.g. --env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 to try jemalloc)
import { parseArgs } from 'node:util';
import { dovecotMaster } from './perf/imap-sessions.ts';
import { freshDaemon } from './perf/context.ts';
import { realWorldPdfs, roundRobin } from './perf/corpus.ts';
import { onInterrupt } from './perf/interrupt.ts';
import { startSigner, type Signer } from './perf/soak-signer.ts';
import { curveAt, startCurve } from './perf/soak-curve.ts';
import { freePort, type HeapFigures } from './perf/process-metrics.ts';
import { awaitSends, deliverRequest, intakeLatencies, type Delivered } from './perf/requests.ts';
import { megabytes, percentile, seconds, sleep } from './perf/stats.ts';
import { startWorld } from './perf/world.ts';
import { readOptions, UsageError } from './perf/usage-error.ts';
import { assignments } from '../test/support/unit-environment.ts';

const GROWTH_LIMIT = 1.2;

const USAGE = 'usage: node bench/soak.ts [--mails N | --quick] [--rate R] [--ahead K] [--keep] [--env K=V]…\n';

function options() {
  let values;
  try {
    ({ values } = parseArgs({ options: { mails: { type: 'string' }, rate: { type: 'string' }, ahead: { type: 'string' }, quick: { type: 'boolean' }, keep: { type: 'boolean' }, env: { type: 'string', multiple: true } } }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const total = Number(values.mails ?? (values.quick ? 300 : 2_000));
  const rate = Number(values.rate ?? 5);
  const ahead = Number(values.ahead ?? 10);
  if (!(total >= 20) || !(rate > 0) || !(ahead >= 1)) throw new UsageError('--mails must be at least 20, --rate and --ahead positive');
  return { total, rate, ahead, keep: values.keep ?? false, extraEnv: daemonEnv(values.env ?? []) };
}

async function main(): Promise<number> {
  const parsed = readOptions('soak', USAGE, options);
  if (!parsed) return 2;
  const { total, rate, ahead, keep, extraEnv } = parsed;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`soak: ${total} request mails at up to ${rate}/s (at most ${ahead} waiting), each signed a second after it is sent; the daemon's main-process RSS every 2 s`);
  if (Object.keys(extraEnv).length > 0) out(`daemon environment added: ${Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`);

  const world = await startWorld();
  onInterrupt(() => world.close(keep));
  let signer: Signer | undefined;
  try {
    const corpus = realWorldPdfs();
    const metricsPort = await freePort();
    const { daemon } = await freshDaemon({ world, dovecotMaster: dovecotMaster(world.dovecot.dir) }, 'soak', metricsPort, extraEnv);
    const curve = startCurve(daemon.pid, () => world.observed.sends.size, metricsPort);
    signer = startSigner(world);
    const delivered: Delivered[] = [];
    const started = Date.now();
    let housekept = 0;
    let reported = 0;
    for (let i = 0; i < total; i++) {
      while (delivered.length - world.observed.sends.size >= ahead) {
        if (!daemon.running()) throw new Error(`the daemon exited (log: ${daemon.logFile})`);
        await sleep(20);
      }
      await sleep(Math.max(0, started + (i * 1000) / rate - Date.now()));
      delivered.push(await deliverRequest(world, roundRobin(corpus, i)));
      const sent = world.observed.sends.size;
      if (sent - reported >= 100) {
        reported = sent;
        out(`  ${sent} sent, ${signer.attached()} attached, ${(sent / ((Date.now() - started) / 1000)).toFixed(1)}/s, main RSS ${megabytes(curve.latest().mainRss)}${heapNow(curve.latest().heap)}`);
      }
      if (sent - housekept >= 200) {
        housekept = sent;
        world.dropStoredBytes();
        await world.emptyMailboxes(true);
      }
    }
    const missing = await awaitSends(world, delivered.map((d) => d.record), 60_000);
    await signer.drain(60_000);
    const samples = curve.stop();
    const minutes = (Date.now() - started) / 60_000;
    const latencies = intakeLatencies(world, delivered);
    out(`\n${world.observed.sends.size} sent (${missing.length} not), ${signer.attached()} signed copies attached, in ${minutes.toFixed(1)} min; intake p50 ${seconds(percentile(latencies, 50))} p95 ${seconds(percentile(latencies, 95))}`);
    out('mails sent   main RSS   tree RSS   tree PSS   JS heap used / reserved   external (buffers)');
    const points = [0.1, 0.25, 0.5, 0.75, 1].map((share) => Math.round(share * total));
    for (const count of points) {
      const at = curveAt(samples, count);
      const heap = at.heap ? `   ${`${megabytes(at.heap.heap)} / ${megabytes(at.heap.heapTotal)}`.padStart(23)}   ${megabytes(at.heap.external)} (${megabytes(at.heap.arrayBuffers)})` : '';
      out(`${String(count).padStart(10)}   ${megabytes(at.mainRss).padStart(8)}   ${megabytes(at.rss).padStart(8)}   ${megabytes(at.pss).padStart(8)}${heap}`);
    }
    const first = curveAt(samples, points[0]!).mainRss;
    const last = curveAt(samples, total).mainRss;
    const ratio = last / first;
    const ok = Number.isFinite(ratio) && ratio <= GROWTH_LIMIT && missing.length === 0;
    out(`\n${ok ? 'ok  ' : 'MISS'} main RSS after ${total} mails / after ${points[0]}: ${ratio.toFixed(2)}x  [target <= ${GROWTH_LIMIT}x]${missing.length > 0 ? ` (${missing.length} never sent)` : ''}`);
    out(`soak ${total} mails: rss ${megabytes(first)} -> ${megabytes(last)} (${ratio.toFixed(2)}x); intake p95 ${seconds(percentile(latencies, 95))}`);
    return ok ? 0 : 1;
  } finally {
    signer?.stop();
    await world.close(keep);
    if (keep) out(`kept: ${world.dir}`);
  }
}

function daemonEnv(pairs: string[]): Record<string, string> {
  const { env, invalid } = assignments(pairs);
  if (invalid.length > 0) throw new UsageError(`--env takes KEY=VALUE, not "${invalid[0]}"`);
  return env;
}

function heapNow(heap: HeapFigures | undefined): string {
  return heap ? ` (JS heap ${megabytes(heap.heap)} of ${megabytes(heap.heapTotal)}, external ${megabytes(heap.external)})` : '';
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(2);
});
