// The order `npm test` starts its files in. vitest's own sequencer runs the projects one
// after another, by name (integration, then slow, then unit), and orders the files within
// each — a file that failed last time first, then the one that took longest (vitest's
// results cache; on a fresh clone, where there is none, the larger file). So the longest
// file of all (a chaos run, minutes) started late and the suite ended with workers idle
// beside it. Here the slow project goes first, then integration, then unit, each in
// vitest's own order; all share one queue. The projects differ only in which files they
// hold, so nothing needs them apart.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const PROJECT_ORDER = ['slow', 'integration', 'unit'];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const at = PROJECT_ORDER.indexOf(spec.project.name);
      return at < 0 ? PROJECT_ORDER.length : at;
    };
    // Array.prototype.sort is stable: within a project, vitest's order stays.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
