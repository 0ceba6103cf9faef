// Small statistics and formatting for the perf bench: percentiles of latencies (nearest
// rank, so a p95 of 30 samples is the 29th), medians, and how figures are written.

/** Nearest-rank percentile, NaN values left out (Infinity stands for "never": it counts); NaN when none is left. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Milliseconds as seconds: 0.58s. */
export const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)}s` : ms === Infinity ? 'never' : 'n/a');

/** Bytes as MB (10^6, as the table): 110MB. */
export const megabytes = (bytes: number) => (Number.isFinite(bytes) ? `${Math.round(bytes / 1e6)}MB` : 'n/a');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
