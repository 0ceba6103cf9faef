// Which vitest project a test file belongs to (vitest.config.ts), read from what it imports
// rather than from a list kept by hand:
// - slow: the folders of long end-to-end runs (chaos under SIGKILL, hostile PDFs, the CLI
//   and the demo as child processes, the package packed and installed);
// - integration: a file that reaches — through its own imports, the helpers' and src's,
//   type-only imports aside — something that talks to another process or the network
//   (child processes, sockets, HTTP, the IMAP and SMTP libraries, the PDF worker pool);
// - unit: everything else: pure logic, in memory, in seconds.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export type TestKind = 'unit' | 'integration' | 'slow';

const SLOW_FOLDERS = ['chaos', 'hostile', 'cli', 'demo', 'package'];
/** Bare imports that mean "another process or the network". */
const OUTSIDE = new Set([
  'node:child_process', 'child_process', 'node:net', 'net', 'node:http', 'http', 'node:https', 'https', 'node:tls', 'tls', 'node:dgram',
  'imapflow', 'smtp-server', 'nodemailer', 'undici', 'hoodiecrow-imap',
]);
/** Modules of our own that start processes by path (fork) or servers. */
const OUTSIDE_MODULES = ['src/pdf/pdf-pool.ts'];

const IMPORT_RE = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

export function testKinds(root: string): Record<TestKind, string[]> {
  const reaches = new Map<string, boolean>();
  const outside = (file: string, trail: Set<string>): boolean => {
    const known = reaches.get(file);
    if (known !== undefined) return known;
    if (trail.has(file)) return false;
    trail.add(file);
    if (OUTSIDE_MODULES.includes(relative(root, file))) return remember(file, true);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT_RE)) {
      const spec = match[1] ?? match[2]!;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (/\.(ts|mts)$/.test(target) && existsSync(target) && outside(target, trail)) return remember(file, true);
      } else if (OUTSIDE.has(spec)) {
        return remember(file, true);
      }
    }
    trail.delete(file);
    return remember(file, false);
  };
  const remember = (file: string, value: boolean) => (reaches.set(file, value), value);

  const kinds: Record<TestKind, string[]> = { unit: [], integration: [], slow: [] };
  for (const file of testFiles(join(root, 'test'))) {
    const path = relative(root, file);
    const folder = path.split('/')[1]!;
    const kind: TestKind = SLOW_FOLDERS.includes(folder) ? 'slow' : outside(file, new Set()) ? 'integration' : 'unit';
    kinds[kind].push(path);
  }
  return kinds;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? testFiles(path) : entry.name.endsWith('.test.ts') ? [path] : [];
  });
}
