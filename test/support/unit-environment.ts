// What a systemd unit file gives its service, read from its [Service] section: each
// setting (the last value of a key wins, as in systemd) and the environment of its
// `Environment=` lines, each a space-separated list of NAME=VALUE (no quoting is used in
// signrelay's units). The unit test checks them; the bench starts its daemons with the
// environment, as the service runs.
import { readFileSync } from 'node:fs';

export const SERVICE_UNIT = new URL('../../deploy/signrelay.service', import.meta.url).pathname;

/** The [Service] section's `key=value` lines, in order. */
function serviceLines(unit: string): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  let section = '';
  for (const line of readFileSync(unit, 'utf8').split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1]!;
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (setting && section === 'Service') lines.push([setting[1]!, setting[2]!]);
  }
  return lines;
}

export function serviceSettings(unit = SERVICE_UNIT): Map<string, string> {
  return new Map(serviceLines(unit));
}

export function unitEnvironment(unit = SERVICE_UNIT): Record<string, string> {
  const lists = serviceLines(unit).filter(([key]) => key === 'Environment').map(([, value]) => value.trim().split(/\s+/));
  return assignments(lists.flat()).env;
}

/** NAME=VALUE pairs as an environment (a later NAME wins), and the pairs that are not one. */
export function assignments(pairs: readonly string[]): { env: Record<string, string>; invalid: string[] } {
  const env: Record<string, string> = {};
  const invalid: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    else invalid.push(pair);
  }
  return { env, invalid };
}
