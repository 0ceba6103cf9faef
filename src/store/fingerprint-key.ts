// The installation's key for credential fingerprints (config/credential-fingerprint.ts): 32
// random bytes in storage.data_dir/credential-fingerprint.key, mode 0600, created by the
// daemon on its first start. A file of its own, not a row of the database: a copy of the
// database alone (a backup, one attached to a bug report) then cannot be used to test
// guesses of a short password against its fingerprint. Losing the file only makes every
// secret look new once (their ages start again).
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FINGERPRINT_KEY_FILE = 'credential-fingerprint.key';
const KEY_BYTES = 32;

/** The key, created when `create` and missing; undefined when missing (or unreadable) and not to be created. */
export function fingerprintKey(dataDir: string, options: { create: boolean }): Buffer | undefined {
  const file = join(dataDir, FINGERPRINT_KEY_FILE);
  const existing = readKey(file);
  if (existing || !options.create) return existing;
  try {
    // `wx`: two processes starting at once keep the first one's key.
    writeFileSync(file, randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readKey(file);
}

function readKey(file: string): Buffer | undefined {
  try {
    const key = readFileSync(file);
    return key.length === KEY_BYTES ? key : undefined;
  } catch {
    return undefined;
  }
}
