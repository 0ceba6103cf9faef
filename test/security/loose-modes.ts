// Which entries of a directory tree other users could read: group or other permission bits.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every entry under dir (dir itself included, as ".") with group or other bits set, with its mode in octal. */
export function looseModes(dir: string): string[] {
  const out: string[] = [];
  const visit = (path: string): void => {
    const stat = statSync(path);
    const mode = stat.mode & 0o777;
    if (mode & 0o077) out.push(`${relative(dir, path) || '.'} ${mode.toString(8)}`);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return out;
}
