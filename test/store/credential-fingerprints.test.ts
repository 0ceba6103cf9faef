// The fingerprint table (migration 0009) and the installation's key file: a new value has
// its own age and alert mark, a value gone back to keeps its own, the key is made once
// (0600, also when it replaces a damaged one) and only by the daemon, and /metrics reads
// the ages of the current values labelled by setting only.
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDaemonMetrics } from '../../src/health/daemon-metrics.ts';
import { createDaemonEvents } from '../../src/store/daemon-events.ts';
import { renderPrometheus } from '../../src/health/prometheus.ts';
import { listCredentialHistory, listCredentialRows, markCredentialsAlerted, recordSeenSecrets } from '../../src/store/credential-fingerprints.ts';
import { ensureFingerprintKey, FINGERPRINT_KEY_FILE, readFingerprintKey } from '../../src/store/fingerprint-key.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';

const T0 = new Date('2030-01-01T00:00:00Z');
const T1 = new Date('2030-02-01T00:00:00Z');

const A = { setting: 'provider.api_secret', fingerprint: 'fA' };
const B = { setting: 'provider.api_secret', fingerprint: 'fB' };
const T2 = new Date('2030-03-01T00:00:00Z');

describe('recordSeenSecrets', () => {
  it('keeps the first sighting of an unchanged value, starts a new value\'s own, and a removed setting has no current value', () => {
    const db = openMemoryDatabase();
    expect(recordSeenSecrets(db, [{ setting: 'smtp.password', fingerprint: 'f1' }, { setting: 'provider.api_secret', fingerprint: 'f2' }], T0))
      .toEqual({ added: ['smtp.password', 'provider.api_secret'], rotated: [], resumed: [] });
    markCredentialsAlerted(db, [{ setting: 'smtp.password', fingerprint: 'f1' }, { setting: 'provider.api_secret', fingerprint: 'f2' }], T0);

    expect(recordSeenSecrets(db, [{ setting: 'provider.api_secret', fingerprint: 'f2' }, { setting: 'servicenow.auth.password', fingerprint: 'f3' }], T1))
      .toEqual({ added: ['servicenow.auth.password'], rotated: [], resumed: [] });
    expect(recordSeenSecrets(db, [{ setting: 'provider.api_secret', fingerprint: 'f2-new' }, { setting: 'servicenow.auth.password', fingerprint: 'f3' }], T1))
      .toEqual({ added: [], rotated: ['provider.api_secret'], resumed: [] });
    expect(listCredentialRows(db)).toEqual([
      { setting: 'provider.api_secret', fingerprint: 'f2-new', firstSeenAt: T1.toISOString(), alertedAt: null },
      { setting: 'servicenow.auth.password', fingerprint: 'f3', firstSeenAt: T1.toISOString(), alertedAt: null },
    ]);
  });

  it('a value gone back to (a rotation undone, the previous configuration restarted) keeps its age and its alert mark', () => {
    const db = openMemoryDatabase();
    recordSeenSecrets(db, [A], T0);
    markCredentialsAlerted(db, [A], T1);
    expect(recordSeenSecrets(db, [B], T1)).toEqual({ added: [], rotated: ['provider.api_secret'], resumed: [] });
    expect(recordSeenSecrets(db, [A], T2)).toEqual({ added: [], rotated: [], resumed: ['provider.api_secret'] });
    expect(listCredentialRows(db)).toEqual([{ ...A, firstSeenAt: T0.toISOString(), alertedAt: T1.toISOString() }]);
    // B is remembered too: going forward to it again is not a new value either.
    expect(recordSeenSecrets(db, [B], T2)).toEqual({ added: [], rotated: [], resumed: ['provider.api_secret'] });
    expect(listCredentialRows(db)).toEqual([{ ...B, firstSeenAt: T1.toISOString(), alertedAt: null }]);
    expect(listCredentialHistory(db).map((r) => r.fingerprint)).toEqual(['fA', 'fB']);
  });

  it('a setting removed and added again with the same value keeps its age and its alert mark', () => {
    const db = openMemoryDatabase();
    recordSeenSecrets(db, [A, { setting: 'smtp.password', fingerprint: 'f1' }], T0);
    markCredentialsAlerted(db, [A], T1);
    recordSeenSecrets(db, [{ setting: 'smtp.password', fingerprint: 'f1' }], T1);
    expect(listCredentialRows(db).map((r) => r.setting)).toEqual(['smtp.password']);
    expect(recordSeenSecrets(db, [A, { setting: 'smtp.password', fingerprint: 'f1' }], T2)).toEqual({ added: [], rotated: [], resumed: ['provider.api_secret'] });
    expect(listCredentialRows(db)[0]).toEqual({ ...A, firstSeenAt: T0.toISOString(), alertedAt: T1.toISOString() });
  });

  it('marks the value told about, not its setting, and keeps the first mark', () => {
    const db = openMemoryDatabase();
    recordSeenSecrets(db, [A], T0);
    recordSeenSecrets(db, [B], T1);
    markCredentialsAlerted(db, [B], T1);
    markCredentialsAlerted(db, [B], T2);
    expect(listCredentialHistory(db).map((r) => [r.fingerprint, r.alertedAt])).toEqual([['fA', null], ['fB', T1.toISOString()]]);
  });

  it('reads no rows from a database older than the table (an operator command beside an older daemon)', () => {
    expect(listCredentialRows(new Database(':memory:'))).toEqual([]);
    expect(listCredentialHistory(new Database(':memory:'))).toEqual([]);
  });
});

describe('the fingerprint key', () => {
  it('is made once, 32 random bytes, mode 0600; read, never made, by a reader', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-key-'));
    expect(readFingerprintKey(dir)).toBeUndefined();
    const { key, replacedDamaged } = ensureFingerprintKey(dir);
    expect(key).toHaveLength(32);
    expect(replacedDamaged).toBe(false);
    expect(statSync(join(dir, FINGERPRINT_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(ensureFingerprintKey(dir).key).toEqual(key);
    expect(readFingerprintKey(dir)).toEqual(key);
    expect(readFileSync(join(dir, FINGERPRINT_KEY_FILE))).toEqual(key);
    expect(readdirSync(dir)).toEqual([FINGERPRINT_KEY_FILE]); // no temporary file left
  });

  it('a damaged key file is not used; the daemon replaces it whole, private whatever the old file\'s mode, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-key-'));
    const file = join(dir, FINGERPRINT_KEY_FILE);
    writeFileSync(file, 'short', { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(readFingerprintKey(dir)).toBeUndefined();
    const ensured = ensureFingerprintKey(dir);
    expect(ensured).toMatchObject({ file, replacedDamaged: true });
    expect(ensured.key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFingerprintKey(dir)).toEqual(ensured.key);
    expect(readdirSync(dir)).toEqual([FINGERPRINT_KEY_FILE]);
  });

  it('a key that cannot be read is an error naming the fix, not "no key"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-key-'));
    mkdirSync(join(dir, FINGERPRINT_KEY_FILE)); // EISDIR: unreadable whoever runs the test (root reads a 0000 file)
    expect(() => readFingerprintKey(dir)).toThrow(/cannot read .*credential-fingerprint\.key \(EISDIR\).*: it is a directory: remove it, and signrelay makes a new key/);
    expect(() => ensureFingerprintKey(dir)).toThrow(/cannot read .*credential-fingerprint\.key \(EISDIR\)/);
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
