// The provider seam holds: nothing outside src/providers/ and src/sandbox/ names a
// provider's own module (src/providers/secured-signing/…, src/providers/signicat/…).
// Everything else gets a SigningProvider from create-provider.ts and asks its traits.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;
const PROVIDER_MODULE_RE = /from\s+['"][^'"]*providers\/(secured-signing|signicat)\/[^'"]*['"]|import\(\s*['"][^'"]*providers\/(secured-signing|signicat)\//;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the provider seam', () => {
  it('no module outside src/providers/ and src/sandbox/ imports a provider\'s own module', () => {
    const offenders = sourceFiles(SRC)
      .map((path) => relative(SRC, path))
      .filter((path) => !path.startsWith('providers/') && !path.startsWith('sandbox/'))
      .filter((path) => PROVIDER_MODULE_RE.test(readFileSync(join(SRC, path), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the rule sees an import when there is one (the pattern is not blind)', () => {
    expect(PROVIDER_MODULE_RE.test("import { x } from '../providers/secured-signing/client.ts';")).toBe(true);
    expect(PROVIDER_MODULE_RE.test("const m = await import('./providers/signicat/client.ts');")).toBe(true);
    expect(PROVIDER_MODULE_RE.test("import { createProvider } from '../providers/create-provider.ts';")).toBe(false);
  });
});
