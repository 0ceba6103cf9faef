// The docs a newcomer walks: every relative link in the README, docs/ and the benches' and
// chaos test's READMEs points at a file that exists and, with a #anchor, at a heading of
// that file (GitHub's anchors); docs/README.md indexes every page of docs/; and the README
// stays the short first read (the rest lives in docs/).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, isExternal, linksOf, slugOf } from './markdown.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const README_MAX_BYTES = 12 * 1024;

const DOCS = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
const CHECKED = ['README.md', ...DOCS, 'test/chaos/README.md', 'bench/README.md'];

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** What is wrong with one link of `from` (repository-relative), or undefined when it holds. */
function brokenLink(from: string, target: string): string | undefined {
  if (isExternal(target)) return undefined;
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  if (path.startsWith('/')) return 'an absolute path (GitHub resolves it from the site, not the repository)';
  const file = path === '' ? from : relative(ROOT, join(ROOT, dirname(from), path));
  if (file.startsWith('..')) return 'outside the repository';
  if (!existsSync(join(ROOT, file))) return `${file} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(join(ROOT, file)).isDirectory() || !file.endsWith('.md')) return `#${anchor} on ${file}, which has no headings`;
  return anchorsOf(read(file)).has(anchor) ? undefined : `${file} has no heading #${anchor}`;
}

describe('docs links', () => {
  it.each(CHECKED)('every relative link in %s points at an existing file and heading', (from) => {
    const broken = linksOf(read(from))
      .map(({ line, target }) => ({ at: `${from}:${line}`, target, problem: brokenLink(from, target) }))
      .filter((link) => link.problem !== undefined);
    expect(broken).toEqual([]);
  });

  it('finds the links there are (the check is not blind)', () => {
    const links = linksOf(read('README.md')).map((link) => link.target);
    expect(links).toContain('docs/README.md');
    expect(links).toContain('docs/configuration.md');
    expect(links).toContain('docs/operations.md#rotating-credentials');
    // A link inside code is not a link; a link whose text is code is.
    expect(linksOf('`[a](nowhere.md)`\n```\n[b](nowhere.md)\n```\n[`c`](here.md) [d\ne](there.md#x)')).toEqual([
      { line: 5, target: 'here.md' }, { line: 5, target: 'there.md#x' },
    ]);
    expect(brokenLink('docs/README.md', 'nowhere.md')).toBe('docs/nowhere.md does not exist');
    expect(brokenLink('docs/README.md', 'operations.md#no-such-heading')).toBe('docs/operations.md has no heading #no-such-heading');
    expect(brokenLink('docs/README.md', 'https://example.com/x.md#y')).toBeUndefined();
  });

  it('makes anchors as GitHub does', () => {
    expect(slugOf('Reliability: what is guaranteed, and how it is tested')).toBe('reliability-what-is-guaranteed-and-how-it-is-tested');
    expect(slugOf('Microsoft 365 (app-only)')).toBe('microsoft-365-app-only');
    expect(slugOf('Google Workspace / Gmail')).toBe('google-workspace--gmail');
    expect(slugOf('The `signrelay` command and **its** [flags](x.md)')).toBe('the-signrelay-command-and-its-flags');
    expect(slugOf('snake_case — and Ünïcode')).toBe('snake_case--and-ünïcode');
    expect([...anchorsOf('# A\n## Notes\n```\n## Not a heading\n```\n## Notes\n<a id="kept"></a>')]).toEqual(['a', 'notes', 'notes-1', 'kept']);
  });
});

describe('the docs a newcomer walks', () => {
  it(`keeps README.md at most ${README_MAX_BYTES} bytes`, () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('links docs/README.md from the README, and every page of docs/ from docs/README.md', () => {
    expect(linksOf(read('README.md')).map((link) => link.target)).toContain('docs/README.md');
    const indexed = new Set(linksOf(read('docs/README.md')).map((link) => link.target.split('#')[0]));
    expect(DOCS.filter((page) => page !== 'docs/README.md' && !indexed.has(page.slice('docs/'.length)))).toEqual([]);
  });
});
