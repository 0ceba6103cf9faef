// `mkdir -p` with the mode meant. Node narrows a new directory's mode by the umask — under 077
// (a hardened root) every directory made is 0700 and the service's user cannot enter it — so
// the directories this made are set to `mode` after; those that were there are left as they are.
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export function makeDirectories(dir: string, mode: number): void {
  const first = mkdirSync(dir, { recursive: true, mode });
  for (let made = dir; first !== undefined; made = dirname(made)) {
    chmodSync(made, mode);
    if (made === first || dirname(made) === made) break;
  }
}
