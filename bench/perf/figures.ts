// The bench's figures: each measured value beside its target, judged or only informative,
// printed as a section line the moment it is known; at the end one summary line and the
// list of missed targets (the exit code follows from it).

export interface Figure {
  /** Names it for the summary line: "intake.p50". */
  key: string;
  /** What it is, for the line: "intake p95 (warm, 30 mails)". */
  label: string;
  value: number;
  /** How the value is written: seconds(ms), megabytes(bytes), … */
  format: (value: number) => string;
  /** The target as written beside the value ("<= 1.00s"); absent: information only. */
  target?: string;
  /** Whether the value meets the target; absent: information only. */
  ok?: (value: number) => boolean;
  /** Said after the value: what it was judged on, why it could not be measured, … */
  note?: string;
}

export interface Verdict {
  figure: Figure;
  /** true met, false missed, null information only. */
  met: boolean | null;
}

export class FigureBook {
  readonly verdicts: Verdict[] = [];
  private readonly out: (line: string) => void;

  constructor(out: (line: string) => void) {
    this.out = out;
  }

  /** Records a figure and prints its line; a NaN value with a target is a miss (not measured). */
  add(figure: Figure): number {
    const met = figure.ok ? Number.isFinite(figure.value) && figure.ok(figure.value) : null;
    this.verdicts.push({ figure, met });
    const mark = met === null ? 'info' : met ? 'ok  ' : 'MISS';
    const target = figure.target ? `  [target ${figure.target}]` : '';
    const note = figure.note ? `  (${figure.note})` : '';
    this.out(`  ${mark} ${figure.label}: ${figure.format(figure.value)}${target}${note}`);
    return figure.value;
  }

  /** The value recorded under `key`, when it was measured in this run. */
  value(key: string): number | undefined {
    return this.verdicts.find((v) => v.figure.key === key)?.figure.value;
  }

  missed(): Figure[] {
    return this.verdicts.filter((v) => v.met === false).map((v) => v.figure);
  }
}

/** "<= 1.00s", ">= 0.50x": a target line and its test, from a limit and how it is written. */
export const atMost = (limit: number, format: (v: number) => string) => ({ target: `<= ${format(limit)}`, ok: (v: number) => v <= limit });
export const atLeast = (limit: number, format: (v: number) => string) => ({ target: `>= ${format(limit)}`, ok: (v: number) => v >= limit });
