// A soak's memory curve: every 2 s, how many mails were sent and the daemon's memory (its
// main process's RSS, and its tree's RSS and PSS); read back at a count of mails as the
// median of the samples taken while the 50 mails up to that count were sent. With the
// daemon's metrics port, each sample also holds its JS heap and the memory outside it.
import { readHeapFigures, type HeapFigures } from './process-metrics.ts';
import { sampleTree, type MemorySample } from './proc-memory.ts';
import { median } from './stats.ts';

export interface CurveSample extends MemorySample {
  sent: number;
  /** The daemon's last answer from /metrics (undefined before the first). */
  heap?: HeapFigures;
}

export function startCurve(pid: number, sent: () => number, metricsPort?: number, intervalMs = 2_000) {
  const samples: CurveSample[] = [];
  let heap: HeapFigures | undefined;
  const take = () => {
    samples.push({ ...sampleTree(pid), sent: sent(), heap });
    if (metricsPort !== undefined) void readHeapFigures(metricsPort).then((read) => { heap = read ?? heap; });
  };
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

export interface CurvePoint {
  mainRss: number;
  rss: number;
  pss: number;
  heap?: HeapFigures;
}

export function curveAt(samples: CurveSample[], count: number, window = 50): CurvePoint {
  let inside = samples.filter((s) => s.sent > count - window && s.sent <= count);
  // A daemon faster than the sampling may skip the window: take the first sample past it.
  if (inside.length === 0) inside = samples.filter((s) => s.sent >= count).slice(0, 1);
  const heaps = inside.flatMap((s) => (s.heap ? [s.heap] : []));
  const heapMedian = (key: keyof HeapFigures) => median(heaps.map((h) => h[key]));
  return {
    mainRss: median(inside.map((s) => s.mainRss)), rss: median(inside.map((s) => s.rss)), pss: median(inside.map((s) => s.pss)),
    heap: heaps.length === 0 ? undefined : { heap: heapMedian('heap'), heapTotal: heapMedian('heapTotal'), external: heapMedian('external'), arrayBuffers: heapMedian('arrayBuffers') },
  };
}
