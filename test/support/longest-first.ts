// The order `npm test` starts its files in. vitest's own sequencer runs the projects one
// after another (integration, then slow, then unit) and sorts by duration only within each,
// so the longest file of all (a chaos run, minutes) started last but one and the suite ended
// with one worker idle beside it. Here all projects share one queue, longest first: the slow
// files (the long end-to-end runs) ahead of the integration files, those ahead of the unit
// files, and within a kind the file that took longest last time (vitest's results cache;
// on a fresh clone, where there is none, the larger file), a file that failed last time
// first of its kind. The projects differ only in which files they hold, so nothing needs
// them apart.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const KIND_ORDER: Record<string, number> = { slow: 0, integration: 1, unit: 2 };

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // The base sort orders by duration (or size), failures first, within a project: keep that, then stably group by kind.
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => KIND_ORDER[spec.project.name] ?? Object.keys(KIND_ORDER).length;
    const cache = this.ctx.cache;
    const failed = (spec: TestSpecification) => (cache.getTestSpecificationResult(spec)?.failed ? 0 : 1);
    const duration = (spec: TestSpecification) => cache.getTestSpecificationResult(spec)?.duration;
    const position = new Map(sorted.map((spec, i) => [spec, i]));
    return [...sorted].sort((a, b) => rank(a) - rank(b) || failed(a) - failed(b) || byDuration(duration(a), duration(b)) || position.get(a)! - position.get(b)!);
  }
}

/** Longer first; files with a duration on record only against each other (the base order settles the rest). */
function byDuration(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined ? 0 : b - a;
}
