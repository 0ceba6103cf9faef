// The one summary line at the end of a perf run, from whatever figures this run measured:
// `ready 0.8s; intake p50 0.58s p95 0.9s cold 0.62s; completion …; stamp 1.4x pdf-lib`.
import type { FigureBook } from './figures.ts';
import { megabytes, seconds } from './stats.ts';

const times = (v: number) => `${v.toFixed(2)}x`;

type Part = [word: string, key: string, format: (v: number) => string];

const GROUPS: Array<[string, Part[]]> = [
  ['ready', [['', 'ready', seconds]]],
  ['intake', [['p50', 'intake.p50', seconds], ['p95', 'intake.p95', seconds], ['cold', 'intake.cold', seconds]]],
  ['completion', [['p50', 'completion.p50', seconds], ['p95', 'completion.p95', seconds], ['big', 'big.completion', seconds]]],
  ['burst', [['', 'burst.ratio', (v) => `${times(v)} pdf-lib`]]],
  ['rss', [['idle', 'memory.idle.rss', megabytes], ['burst', 'memory.burst.rss', megabytes], ['big', 'memory.big.rss', megabytes]]],
  ['pss', [['idle', 'memory.idle.pss', megabytes], ['burst', 'memory.burst.pss', megabytes], ['big', 'memory.big.pss', megabytes]]],
  ['sustained 4/s', [['p95', 'sustained.4.p95', seconds]]],
  ['stamp', [['', 'pdf.ratio', (v) => `${times(v)} pdf-lib`]]],
];

export function summaryLine(book: FigureBook): string {
  const groups: string[] = [];
  for (const [name, parts] of GROUPS) {
    const words = parts.flatMap(([word, key, format]) => {
      const value = book.value(key);
      return value === undefined ? [] : [[word, format(value)].filter(Boolean).join(' ')];
    });
    if (words.length > 0) groups.push(`${name} ${words.join(' ')}`);
  }
  return groups.join('; ');
}
