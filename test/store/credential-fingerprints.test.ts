// The fingerprint table (migration 0009) and the installation's key file: a rotation resets
// the age and the alert mark, a setting no longer configured is forgotten, the key is made
// once (0600) and only by the daemon, and /metrics reads the ages from the table labelled
// by setting only.
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDaemonMetrics } from '../../src/health/daemon-metrics.ts';
import { createDaemonEvents } from '../../src/store/daemon-events.ts';
import { renderPrometheus } from '../../src/health/prometheus.ts';
import { listCredentialRows, markCredentialsAlerted, recordSeenSecrets } from '../../src/store/credential-fingerprints.ts';
import { FINGERPRINT_KEY_FILE, fingerprintKey } from '../../src/store/fingerprint-key.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';

const T0 = new Date('2030-01-01T00:00:00Z');
const T1 = new Date('2030-02-01T00:00:00Z');

describe('recordSeenSecrets', () => {
  it('keeps the first sighting of an unchanged value, restarts a rotated one, forgets a removed setting', () => {
    const db = openMemoryDatabase();
    expect(recordSeenSecrets(db, [{ setting: 'smtp.password', fingerprint: 'f1' }, { setting: 'provider.api_secret', fingerprint: 'f2' }], T0))
      .toEqual({ added: ['smtp.password', 'provider.api_secret'], rotated: [] });
    markCredentialsAlerted(db, ['smtp.password', 'provider.api_secret'], T0);

    expect(recordSeenSecrets(db, [{ setting: 'provider.api_secret', fingerprint: 'f2' }, { setting: 'servicenow.auth.password', fingerprint: 'f3' }], T1))
      .toEqual({ added: ['servicenow.auth.password'], rotated: [] });
    expect(recordSeenSecrets(db, [{ setting: 'provider.api_secret', fingerprint: 'f2-new' }, { setting: 'servicenow.auth.password', fingerprint: 'f3' }], T1))
      .toEqual({ added: [], rotated: ['provider.api_secret'] });
    expect(listCredentialRows(db)).toEqual([
      { setting: 'provider.api_secret', fingerprint: 'f2-new', firstSeenAt: T1.toISOString(), alertedAt: null },
      { setting: 'servicenow.auth.password', fingerprint: 'f3', firstSeenAt: T1.toISOString(), alertedAt: null },
    ]);
  });

  it('reads no rows from a database older than the table (an operator command beside an older daemon)', () => {
    expect(listCredentialRows(new Database(':memory:'))).toEqual([]);
  });
});

describe('fingerprintKey', () => {
  it('is made once, 32 random bytes, mode 0600; read, never made, when not asked to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-key-'));
    expect(fingerprintKey(dir, { create: false })).toBeUndefined();
    const key = fingerprintKey(dir, { create: true })!;
    expect(key).toHaveLength(32);
    expect(statSync(join(dir, FINGERPRINT_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(fingerprintKey(dir, { create: true })).toEqual(key);
    expect(fingerprintKey(dir, { create: false })).toEqual(key);
    expect(readFileSync(join(dir, FINGERPRINT_KEY_FILE))).toEqual(key);
  });

  it('a damaged key file is not used, and the daemon replaces it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-key-'));
    writeFileSync(join(dir, FINGERPRINT_KEY_FILE), 'short');
    expect(fingerprintKey(dir, { create: false })).toBeUndefined();
    const key = fingerprintKey(dir, { create: true })!;
    expect(key).toHaveLength(32);
    expect(fingerprintKey(dir, { create: false })).toEqual(key);
  });

  it('a key that cannot be read is an error naming the fix, not "no key"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-key-'));
    mkdirSync(join(dir, FINGERPRINT_KEY_FILE)); // EISDIR: unreadable whoever runs the test (root reads a 0000 file)
    expect(() => fingerprintKey(dir, { create: false })).toThrow(/cannot read .*credential-fingerprint\.key \(EISDIR\).*run the command as the service's user/);
  });
});

describe('the credential age on /metrics', () => {
  it('a gauge per setting, in seconds, with no other label', () => {
    const db = openMemoryDatabase();
    recordSeenSecrets(db, [{ setting: 'provider.api_secret', fingerprint: 'fingerprint-not-on-metrics' }], T0);
    const metrics = createDaemonMetrics({ db, events: createDaemonEvents(db, (_event, err) => { throw err; }), watchers: {}, now: () => T1 });
    const text = renderPrometheus(metrics.collect());
    expect(text).toContain(`signrelay_credential_age_seconds{setting="provider.api_secret"} ${31 * 86_400}`);
    expect(text).not.toContain('fingerprint-not-on-metrics');
  });
});
