// The environment a systemd unit file gives its service: its [Service] section's
// `Environment=` lines, each a space-separated list of NAME=VALUE (no quoting is used in
// signrelay's units). The unit test checks it; the bench starts its daemons with it, as
// the service runs.
import { readFileSync } from 'node:fs';

export const SERVICE_UNIT = new URL('../../deploy/signrelay.service', import.meta.url).pathname;

export function unitEnvironment(unit = SERVICE_UNIT): Record<string, string> {
  const env: Record<string, string> = {};
  let section = '';
  for (const line of readFileSync(unit, 'utf8').split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1]!;
    const setting = /^Environment=(.*)$/.exec(line);
    if (!setting || section !== 'Service') continue;
    for (const pair of setting[1]!.trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}
