// `npm run bench` (after the hostile-PDF and chaos benches) or `node bench/perf.ts`: the
// daemon measured end to end from the outside — a real Dovecot, the simulators and
// `signrelay run` children — every figure of issue 11 beside its target, then one summary
// line; exit 1 when a target is missed (listed), 2 when the bench itself failed. See
// bench/README.md for what each figure means and how it is taken.
//
//   --quick              smaller counts, to try it out (a few minutes)
//   --only S[,S]         only these sections: pdf, ready, intake, completion, big, burst, sustained
//   --keep               keep the temp dir (daemon logs, data dirs, configs)
import { parseArgs } from 'node:util';
import type { BenchContext } from './perf/context.ts';
import { bigPdf, realWorldPdfs, type CorpusPdf } from './perf/corpus.ts';
import { FigureBook } from './perf/figures.ts';
import { dovecotMaster } from './perf/imap-sessions.ts';
import { onInterrupt } from './perf/interrupt.ts';
import { bigSection } from './perf/sections/big.ts';
import { burstSection } from './perf/sections/burst.ts';
import { completionSection } from './perf/sections/completion.ts';
import { inProcessSection } from './perf/sections/in-process.ts';
import { intakeSection } from './perf/sections/intake.ts';
import { readySection } from './perf/sections/ready.ts';
import { sustainedSection } from './perf/sections/sustained.ts';
import { summaryLine } from './perf/summary.ts';
import { startWorld } from './perf/world.ts';

const SECTIONS: Record<string, { title: string; run: (ctx: BenchContext) => Promise<void> }> = {
  pdf: { title: 'per PDF, in this process', run: inProcessSection },
  ready: { title: 'start-up and idle memory', run: readySection },
  intake: { title: 'intake latency, warm and cold', run: intakeSection },
  completion: { title: 'completion latency', run: completionSection },
  big: { title: 'the 20 MB PDF', run: bigSection },
  burst: { title: 'a burst of mails', run: burstSection },
  sustained: { title: 'sustained load', run: sustainedSection },
};

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(`usage: node bench/perf.ts [--quick] [--only ${Object.keys(SECTIONS).join(',')}] [--keep]\n`);
    return 0;
  }
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean) ?? Object.keys(SECTIONS);
  const unknown = only.filter((s) => !(s in SECTIONS));
  if (unknown.length > 0) throw new Error(`--only: unknown section(s) ${unknown.join(', ')} (known: ${Object.keys(SECTIONS).join(', ')})`);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const book = new FigureBook(out);
  const keep = values.keep ?? false;

  out(`perf: ${values.quick ? 'quick' : 'full'} run of ${only.join(', ')} (targets in brackets; memory is judged on the RSS sum of the daemon's process tree)`);
  const world = await startWorld();
  onInterrupt(() => world.close(keep));
  let big: CorpusPdf | undefined;
  const ctx: BenchContext = {
    world, book, out, quick: values.quick ?? false, corpus: realWorldPdfs(), dovecotMaster: dovecotMaster(world.dovecot.dir),
    bigPdf: async () => (big ??= await bigPdf()),
  };
  const failed: string[] = [];
  try {
    for (const name of only) {
      out(`\n${name}: ${SECTIONS[name]!.title}`);
      const started = Date.now();
      try {
        await SECTIONS[name]!.run(ctx);
      } catch (err) {
        failed.push(name);
        out(`  FAIL the section could not finish: ${err instanceof Error ? err.message : String(err)}`);
      }
      out(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    if (world.observed.failures.length > 0) out(`\nsimulator answers >= 400: ${world.observed.failures.length} (first: ${world.observed.failures.slice(0, 3).join(' | ')})`);
    await world.close(keep);
    if (keep) out(`kept: ${world.dir}`);
  }
  const missed = book.missed();
  out(`\n${summaryLine(book)}`);
  if (missed.length === 0 && failed.length === 0) {
    out('all targets met');
    return 0;
  }
  out(`missed: ${[...missed.map((f) => `${f.key} ${f.format(f.value)} (target ${f.target})`), ...failed.map((s) => `section ${s} failed`)].join('; ')}`);
  return 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`perf: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(2);
});
