// Memory, measured from the outside while some work runs: this process's RSS, and the peak
// RSS of its child processes (the PDF workers), sampled from /proc every few milliseconds.
// Linux only, like the Dovecot the suite runs against.
import { readdirSync, readFileSync } from 'node:fs';

export interface MemoryPeaks {
  /** How far this process's RSS rose above where it started, in MB. */
  selfGrowthMb: number;
  /** The highest RSS reached by a child process started meanwhile (a fresh PDF worker), in MB. */
  childPeakMb: number;
}

function childPids(): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${process.pid}/task`)) {
    try {
      pids.push(...readFileSync(`/proc/${process.pid}/task/${task}/children`, 'latin1').split(' ').filter(Boolean).map(Number));
    } catch {
      // the thread ended meanwhile
    }
  }
  return pids;
}

function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

export async function measureMemory<T>(work: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; peaks: MemoryPeaks }> {
  const base = process.memoryUsage().rss;
  let selfPeak = base;
  let childPeak = 0;
  // Children that were there before (an idle worker, Dovecot) are not this work's.
  const before = new Set(childPids());
  const sample = () => {
    selfPeak = Math.max(selfPeak, process.memoryUsage().rss);
    for (const pid of childPids()) if (!before.has(pid)) childPeak = Math.max(childPeak, rssMb(pid));
  };
  const sampler = setInterval(sample, 25);
  const [result] = await Promise.allSettled([work()]);
  clearInterval(sampler);
  sample();
  return { result: result!, peaks: { selfGrowthMb: (selfPeak - base) / (1024 * 1024), childPeakMb: childPeak } };
}
