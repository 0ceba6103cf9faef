// The configuration reference (docs/configuration.md, its settings table) is checked against
// the schema, like the example file: every setting must be named (as `key`) in the row of its
// section, so the reference a reader sees cannot fall behind the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { schemaPaths, type Def } from './schema-paths.ts';

/** Where the reference lives: the README's documentation section links to it. */
const REFERENCE = new URL('../../docs/configuration.md', import.meta.url).pathname;

/** The settings table's rows: section (first cell, without backticks) → the row's text. */
function configurationRows(): Map<string, string> {
  const reference = readFileSync(REFERENCE, 'utf8');
  const rows = new Map<string, string>();
  for (const line of reference.split('\n')) {
    const match = /^\| `([a-z_.A-Z]+)` \|(.*)\|$/.exec(line);
    if (match) rows.set(match[1]!, match[2]!);
  }
  return rows;
}

describe('the configuration reference (docs/configuration.md)', () => {
  const rows = configurationRows();

  it('has the settings table, one row per section', () => {
    for (const section of ['mailboxes.requests', 'mailboxes.returns', 'smtp', 'provider', 'routes.NAME', 'servicenow', 'limits', 'storage']) {
      expect(rows.has(section), section).toBe(true);
    }
  });
  const leaves = (def: Def, prefix: string[]) => {
    // The provider's types each get their settings named; the mail and ServiceNow `auth` unions have sections of their own.
    const all = schemaPaths(def, prefix, [], (path) => path === 'provider');
    return all.filter((path) => !all.some((other) => other.startsWith(`${path}.`)));
  };

  it('names every setting in the row of its section', () => {
    const paths = [
      ...leaves(configSchema._zod.def as unknown as Def, []),
      ...leaves(configSchema.shape.routes._zod.def.valueType._zod.def as unknown as Def, ['routes', 'NAME']),
    ];
    const missing = paths.filter((path) => {
      // A map's own row (`records`, `routes.NAME`) is its documentation.
      if ([...rows.keys()].some((row) => row === path || row.startsWith(`${path}.`))) return false;
      // The row of the longest section that contains the setting: `mailboxes.requests`, `servicenow`, `routes.NAME`.
      const section = [...rows.keys()].filter((row) => path.startsWith(`${row}.`)).sort((a, b) => b.length - a.length)[0];
      if (section === undefined) return true;
      const rest = path.slice(section.length + 1);
      const row = rows.get(section)!;
      return !row.includes(`\`${rest}\``) && !row.includes(`\`${rest.split('.').at(-1)}\``);
    });
    expect(missing).toEqual([]);
  });
});
