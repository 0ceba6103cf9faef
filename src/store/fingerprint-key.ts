// The installation's key for credential fingerprints (config/credential-fingerprint.ts): 32
// random bytes in storage.data_dir/credential-fingerprint.key, mode 0600, created by the
// daemon on its first start. A file of its own, not a row of the database: a copy of the
// database alone (a backup, one attached to a bug report) then cannot be used to test
// guesses of a short password against its fingerprint. Losing or damaging the file makes
// every secret look new once (their ages start again): back it up with the database.
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignrelayError } from '../errors.ts';

export const FINGERPRINT_KEY_FILE = 'credential-fingerprint.key';
const KEY_BYTES = 32;

/** The key, or undefined when there is none yet or it is damaged (a reader such as `check`; only the daemon makes one). */
export function readFingerprintKey(dataDir: string): Buffer | undefined {
  const key = readKey(join(dataDir, FINGERPRINT_KEY_FILE));
  return key?.length === KEY_BYTES ? key : undefined;
}

export interface EnsuredKey {
  key: Buffer;
  file: string;
  /** The file held something that is not a key and was replaced: every secret's age starts again (the caller warns). */
  replacedDamaged: boolean;
}

/**
 * The key, made when missing or damaged (the daemon). The new key is written whole to a
 * private (0600) temporary file first and then put in place, so the file is never partly
 * written nor readable by others — whatever the mode of a damaged file it replaces. A new
 * file is linked in (fails if another process made one meanwhile: its key is kept); a
 * damaged one is renamed over.
 */
export function ensureFingerprintKey(dataDir: string): EnsuredKey {
  const file = join(dataDir, FINGERPRINT_KEY_FILE);
  const existing = readKey(file);
  if (existing?.length === KEY_BYTES) return { key: existing, file, replacedDamaged: false };
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 });
  try {
    if (existing) renameSync(temporary, file);
    else linkOrRename(temporary, file);
  } finally {
    rmSync(temporary, { force: true }); // gone already after a rename
  }
  const key = readKey(file);
  if (key?.length !== KEY_BYTES) {
    throw new SignrelayError('config', 'fingerprint_key_damaged',
      `${file}, the key of the credential fingerprints in storage.data_dir, holds ${key?.length ?? 0} bytes instead of ${KEY_BYTES} and could not be replaced: remove it and start signrelay again (every secret's age then starts again)`);
  }
  return { key, file, replacedDamaged: existing !== undefined };
}

/** Puts a new file in place unless one appeared meanwhile; where hard links are not supported, by renaming. */
function linkOrRename(temporary: string, file: string): void {
  try {
    linkSync(temporary, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') renameSync(temporary, file);
    else throw err;
  }
}

function readKey(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const fix = code === 'EACCES' || code === 'EPERM'
      ? 'run the command as the service\'s user (sudo -u signrelay …)'
      : code === 'ENOTDIR' ? 'storage.data_dir must name a directory, not a file'
      : code === 'EISDIR' ? 'it is a directory: remove it, and signrelay makes a new key at its next start (every secret\'s age starts again)'
      : 'check the disk and the data directory';
    throw new SignrelayError('config', 'data_dir_unwritable',
      `cannot read ${file} (${code}), the key of the credential fingerprints in storage.data_dir: ${fix}`, { cause: err });
  }
}
