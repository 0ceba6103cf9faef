// A secret's fingerprint: HMAC-SHA-256 under the installation's own random key
// (store/fingerprint-key.ts), over the setting's name and the value. It tells whether a
// setting's value changed (a rotation) without keeping the value: without the key a
// fingerprint cannot be tested against guesses, so a copy of the database (a backup, one
// sent with a bug report) reveals nothing about a short password. The setting's name is in
// the input so that one password used in two settings does not show as the same value.
import { createHmac } from 'node:crypto';
import type { Config } from './schema.ts';
import { secretSettings } from './secret-settings.ts';

export function fingerprintSecret(key: Buffer, setting: string, value: string): string {
  return createHmac('sha256', key).update(setting).update('\u0000').update(value).digest('hex');
}

/** The followed (rotated) secrets of a configuration, fingerprinted under the installation's key. */
export function fingerprintsOf(config: Config, key: Buffer): Array<{ setting: string; fingerprint: string }> {
  return secretSettings(config).filter((s) => s.rotated).map((s) => ({ setting: s.setting, fingerprint: fingerprintSecret(key, s.setting, s.value) }));
}
