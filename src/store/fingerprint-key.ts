// The installation's key for credential fingerprints (config/credential-fingerprint.ts): 32
// random bytes in storage.data_dir/credential-fingerprint.key, mode 0600, created by the
// daemon on its first start. A file of its own, not a row of the database: a copy of the
// database alone (a backup, one attached to a bug report) then cannot be used to test
// guesses of a short password against its fingerprint. Losing the file only makes every
// secret look new once (their ages start again).
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignrelayError } from '../errors.ts';

export const FINGERPRINT_KEY_FILE = 'credential-fingerprint.key';
const KEY_BYTES = 32;

/**
 * The key; when missing or damaged, made anew if `create` (the daemon), else undefined (a
 * reader such as `check`). A key that exists but cannot be read is an error naming the fix.
 */
export function fingerprintKey(dataDir: string, options: { create: boolean }): Buffer | undefined {
  const file = join(dataDir, FINGERPRINT_KEY_FILE);
  const existing = readKey(file);
  if (existing?.length === KEY_BYTES) return existing;
  if (!options.create) return undefined;
  try {
    // `wx`: two processes starting at once keep the first one's key; a damaged one is replaced.
    writeFileSync(file, randomBytes(KEY_BYTES), { flag: existing ? 'w' : 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readKey(file);
}

function readKey(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new SignrelayError('config', 'data_dir_unwritable',
      `cannot read ${file} (${code}), the key of the credential fingerprints in storage.data_dir: run the command as the service's user (sudo -u signrelay …)`, { cause: err });
  }
}
