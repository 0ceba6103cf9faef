// The example configuration is the reference: it must name every setting the schema knows
// (so the reference cannot drift from the code) and load as it is.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { schemaPaths, type Def } from './schema-paths.ts';

function yamlPaths(value: unknown, prefix: string[], out: Set<string>): Set<string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      out.add([...prefix, key].join('.'));
      yamlPaths(inner, [...prefix, key], out);
    }
  }
  return out;
}

describe('config/signrelay.example.yaml', () => {
  const example = parse(readFileSync('config/signrelay.example.yaml', 'utf8')) as unknown;
  const present = yamlPaths(example, [], new Set());

  it('shows every setting of the schema', () => {
    const missing = schemaPaths(configSchema._zod.def as unknown as Def, [], [])
      .filter((path) => !present.has(path) && !commentedOut(path));
    expect(missing).toEqual([]);
  });

  it('documents every route setting in its default route', () => {
    const route = configSchema.shape.routes._zod.def.valueType._zod.def as unknown as Def;
    const missing = schemaPaths(route, ['routes', 'default'], []).filter((path) => !present.has(path) && !commentedOut(path));
    expect(missing).toEqual([]);
  });
});

/** Optional settings may be shown commented out (`# key:`) under their section. */
function commentedOut(path: string): boolean {
  const key = path.split('.').at(-1)!;
  return new RegExp(`^\\s*#\\s*${key}:`, 'm').test(readFileSync('config/signrelay.example.yaml', 'utf8'));
}
