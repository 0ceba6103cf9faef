// A soak's memory curve: every 2 s, how many mails were sent and the daemon's memory (its
// main process's RSS, and its tree's RSS and PSS); read back at a count of mails as the
// median of the samples taken while the 50 mails up to that count were sent.
import { sampleTree, type MemorySample } from './proc-memory.ts';
import { median } from './stats.ts';

export interface CurveSample extends MemorySample {
  sent: number;
}

export function startCurve(pid: number, sent: () => number, intervalMs = 2_000) {
  const samples: CurveSample[] = [];
  const take = () => samples.push({ ...sampleTree(pid), sent: sent() });
  take();
  const timer = setInterval(take, intervalMs);
  return {
    latest: () => samples.at(-1)!,
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

export function curveAt(samples: CurveSample[], count: number, window = 50): { mainRss: number; rss: number; pss: number } {
  let inside = samples.filter((s) => s.sent > count - window && s.sent <= count);
  // A daemon faster than the sampling may skip the window: take the first sample past it.
  if (inside.length === 0) inside = samples.filter((s) => s.sent >= count).slice(0, 1);
  return { mainRss: median(inside.map((s) => s.mainRss)), rss: median(inside.map((s) => s.rss)), pss: median(inside.map((s) => s.pss)) };
}
