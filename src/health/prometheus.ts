// The Prometheus text exposition format (version 0.0.4), for `/metrics`: metric families
// with HELP and TYPE, label values escaped, histograms as cumulative buckets with _sum and
// _count. Pure.

export type Labels = Record<string, string>;

export interface Sample {
  labels?: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Sample[];
}

export interface HistogramFamily {
  name: string;
  help: string;
  type: 'histogram';
  /** Upper bounds, ascending; +Inf is added. */
  buckets: readonly number[];
  series: Array<{ labels: Labels; counts: number[]; sum: number; count: number }>;
}

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function labelText(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
}

const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

export function renderPrometheus(families: ReadonlyArray<MetricFamily | HistogramFamily>): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type === 'histogram') {
      for (const s of family.series) {
        family.buckets.forEach((le, i) => lines.push(`${family.name}_bucket${labelText({ ...s.labels, le: num(le) })} ${s.counts[i] ?? 0}`));
        lines.push(`${family.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
        lines.push(`${family.name}_sum${labelText(s.labels)} ${num(s.sum)}`, `${family.name}_count${labelText(s.labels)} ${s.count}`);
      }
    } else {
      for (const s of family.samples) lines.push(`${family.name}${labelText(s.labels)} ${num(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A histogram series that counts observations into cumulative buckets. */
export class Histogram {
  readonly buckets: readonly number[];
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(buckets: readonly number[]) {
    this.buckets = buckets;
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.buckets.forEach((le, i) => { if (value <= le) this.counts[i]!++; });
    this.sum += value;
    this.count++;
  }
}
