// Memory of a process and everything under it, read from /proc from the outside: the sum
// of RSS (/proc/PID/statm) and the sum of PSS (/proc/PID/smaps_rollup; PSS shares pages
// mapped by several processes — the Node binary, shared libraries — among them, so a forked
// worker does not count them twice). A sampler reads them every interval while a section runs.
//
// The sampler shares the machine with the daemon it measures, so it reads cheaply: the tree
// from each process's own list of children, RSS from statm (a few counters), and PSS, for
// which the kernel walks every page of every mapping, only every `pssEveryMs`. Reading
// smaps_rollup of the whole tree every 100 ms, and finding the tree by reading the stat of
// every process on the machine, took ~7 of the bench's CPU-seconds during a 40 s burst,
// taken from the daemon it was measuring.
import { readdirSync, readFileSync } from 'node:fs';

export interface MemorySample {
  at: number;
  /** Sums over the process and its descendants, in bytes; `pss` is NaN where it was not read. */
  rss: number;
  pss: number;
  /** The process alone (the daemon's main process). */
  mainRss: number;
  processes: number;
}

/** A process's children: each of its threads keeps a list of the processes it started. */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
      } catch {
        return []; // the thread ended meanwhile
      }
    });
  } catch {
    return []; // the process ended meanwhile
  }
}

/** The pid and all its descendants. */
export function processTree(root: number): number[] {
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...childrenOf(pid));
  }
  return tree;
}

const PAGE_BYTES = 4096;

/** Resident bytes of one process (statm's second field counts pages); 0 once it is gone. */
function processRss(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_BYTES;
  } catch {
    return 0;
  }
}

/** Proportional set size of one process in bytes; 0 once it is gone. */
function processPss(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** One sample of the tree under `root`; its PSS only when `withPss` (NaN otherwise: see above). */
export function sampleTree(root: number, withPss = true): MemorySample {
  const pids = processTree(root);
  let rss = 0;
  let pss = withPss ? 0 : Number.NaN;
  let mainRss = 0;
  for (const pid of pids) {
    const bytes = processRss(pid);
    rss += bytes;
    if (withPss) pss += processPss(pid);
    if (pid === root) mainRss = bytes;
  }
  return { at: Date.now(), rss, pss, mainRss, processes: pids.length };
}

export interface MemorySampler {
  samples: MemorySample[];
  /** The largest tree RSS, tree PSS and main-process RSS sampled between `from` and `to` (NaN: none). */
  peak(from?: number, to?: number): { rss: number; pss: number; mainRss: number };
  stop(): MemorySample[];
}

export function startSampler(root: number, intervalMs = 100, pssEveryMs = 1_000): MemorySampler {
  const samples: MemorySample[] = [];
  let pssAt = Number.NEGATIVE_INFINITY;
  const take = () => {
    const withPss = Date.now() - pssAt >= pssEveryMs;
    const s = sampleTree(root, withPss);
    if (withPss) pssAt = s.at;
    if (s.rss > 0) samples.push(s);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    peak(from = 0, to = Number.POSITIVE_INFINITY) {
      const inside = samples.filter((s) => s.at >= from && s.at <= to);
      if (inside.length === 0) return { rss: Number.NaN, pss: Number.NaN, mainRss: Number.NaN };
      const pss = inside.map((s) => s.pss).filter((p) => !Number.isNaN(p));
      return { rss: Math.max(...inside.map((s) => s.rss)), pss: pss.length > 0 ? Math.max(...pss) : Number.NaN, mainRss: Math.max(...inside.map((s) => s.mainRss)) };
    },
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}
