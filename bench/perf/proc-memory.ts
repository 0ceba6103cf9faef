// Memory of a process and everything under it, read from /proc from the outside: the sum
// of RSS and the sum of PSS (/proc/PID/smaps_rollup; PSS shares pages mapped by several
// processes — the Node binary, shared libraries — among them, so a forked worker does not
// count them twice). A sampler reads them every interval while a section runs.
import { readdirSync, readFileSync } from 'node:fs';

export interface MemorySample {
  at: number;
  /** Sums over the process and its descendants, in bytes. */
  rss: number;
  pss: number;
  /** The process alone (the daemon's main process). */
  mainRss: number;
  processes: number;
}

export function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The pid and all its descendants (one pass over /proc). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** Rss and Pss of one process in bytes; zeros once it is gone. */
export function processMemory(pid: number): { rss: number; pss: number } {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0) * 1024;
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

export function sampleTree(root: number): MemorySample {
  const pids = processTree(root);
  let rss = 0;
  let pss = 0;
  let mainRss = 0;
  for (const pid of pids) {
    const m = processMemory(pid);
    rss += m.rss;
    pss += m.pss;
    if (pid === root) mainRss = m.rss;
  }
  return { at: Date.now(), rss, pss, mainRss, processes: pids.length };
}

export interface MemorySampler {
  samples: MemorySample[];
  /** The largest tree RSS, tree PSS and main-process RSS sampled between `from` and `to` (NaN: none). */
  peak(from?: number, to?: number): { rss: number; pss: number; mainRss: number };
  stop(): MemorySample[];
}

export function startSampler(root: number, intervalMs = 100): MemorySampler {
  const samples: MemorySample[] = [];
  const take = () => {
    const s = sampleTree(root);
    if (s.rss > 0) samples.push(s);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    peak(from = 0, to = Number.POSITIVE_INFINITY) {
      const inside = samples.filter((s) => s.at >= from && s.at <= to);
      if (inside.length === 0) return { rss: Number.NaN, pss: Number.NaN, mainRss: Number.NaN };
      return { rss: Math.max(...inside.map((s) => s.rss)), pss: Math.max(...inside.map((s) => s.pss)), mainRss: Math.max(...inside.map((s) => s.mainRss)) };
    },
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}
