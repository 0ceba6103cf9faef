// How a person at a shell on this machine runs this signrelay: `signrelay` where their PATH
// finds this copy by that name (an installed package), else this copy's launcher by its path
// (a checkout, where `signrelay` is not a command: the sandbox's "try" lines failed).
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellWord } from '../service-unit.ts';

/** The launcher of this copy: bin/signrelay.mjs, beside src/ and dist/ alike. */
const LAUNCHER = fileURLToPath(new URL('../../bin/signrelay.mjs', import.meta.url));

/** Whether the first `command` the PATH finds is this copy's launcher (an install's bin link to it counts; another release does not). */
function thisCopyOnPath(command: string, path: string): boolean {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
    } catch {
      continue;
    }
    try {
      return realpathSync(join(dir, command)) === realpathSync(LAUNCHER);
    } catch {
      return false;
    }
  }
  return false;
}

export function shellCommand(env: NodeJS.ProcessEnv = process.env): string {
  if (thisCopyOnPath('signrelay', env.PATH ?? '')) return 'signrelay';
  return `node ${shellWord(LAUNCHER)}`;
}
