// How a person at a shell on this machine runs this signrelay: `signrelay` where their PATH
// has it (an installed package), else this copy's launcher by its path (a checkout, where
// `signrelay` is not a command and the sandbox's "try" lines failed "command not found").
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The launcher of this copy: bin/signrelay.mjs, beside src/ and dist/ alike. */
const LAUNCHER = fileURLToPath(new URL('../../bin/signrelay.mjs', import.meta.url));

function onPath(command: string, path: string): boolean {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', command), constants.X_OK);
      return dir !== '';
    } catch {
      return false;
    }
  });
}

export function shellCommand(env: NodeJS.ProcessEnv = process.env): string {
  if (onPath('signrelay', env.PATH ?? '')) return 'signrelay';
  return `node ${/[^\w./-]/.test(LAUNCHER) ? `'${LAUNCHER.replace(/'/g, `'\\''`)}'` : LAUNCHER}`;
}
