// A directory of its own under the temp directory, for the commands that make one (demo,
// sandbox). A TMPDIR that is missing or not writable is the operator's to fix, said so — not
// "unexpected error (a bug)" with a stack trace, the first thing a new operator would see.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignrelayError } from '../errors.ts';

export function makeTempDir(prefix: string, otherwise = ''): string {
  const root = tmpdir();
  try {
    return mkdtempSync(join(root, prefix));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new SignrelayError('config', 'temp_dir_unusable',
      `the temp directory ${root} cannot be used (${code}): create it, or set TMPDIR to a writable directory (or unset it)${otherwise}`, { cause: err });
  }
}
