// The credential-age rules as a table (config/credential-age.ts): how old, when overdue,
// when an alert is due, what the operator is told — and the fingerprint that decides
// whether a value changed (config/credential-fingerprint.ts).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ageMsOf, compareWithRecorded, credentialAges, overdueAlert, overdueWarning, rotationSection, ROTATION_DOC,
  type CredentialSighting,
} from '../../src/config/credential-age.ts';
import { fingerprintSecret } from '../../src/config/credential-fingerprint.ts';
import { anchorsOf } from '../docs/markdown.ts';

const NOW = new Date('2030-06-01T12:00:00Z');
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const sighting = (setting: string, firstSeenAt: string, alertedAt: string | null = null): CredentialSighting => ({ setting, firstSeenAt, alertedAt });

describe('credentialAges', () => {
  it.each([
    ['seen just now', daysAgo(0), null, { ageDays: 0, overdue: false, alertDue: false }],
    ['89.9 days', new Date(NOW.getTime() - 89.9 * DAY).toISOString(), null, { ageDays: 89, overdue: false, alertDue: false }],
    ['exactly the limit: not over it yet', daysAgo(90), null, { ageDays: 90, overdue: false, alertDue: false }],
    ['a second past the limit', new Date(NOW.getTime() - 90 * DAY - 1000).toISOString(), null, { ageDays: 90, overdue: true, alertDue: true }],
    ['120 days, not told yet', daysAgo(120), null, { ageDays: 120, overdue: true, alertDue: true }],
    ['120 days, told already', daysAgo(120), daysAgo(29), { ageDays: 120, overdue: true, alertDue: false }],
    ['first seen in the future (the clock moved back)', daysAgo(-3), null, { ageDays: 0, overdue: false, alertDue: false, ageSeconds: 0 }],
  ])('%s', (_, firstSeenAt, alertedAt, expected) => {
    const [age] = credentialAges([sighting('provider.api_secret', firstSeenAt, alertedAt)], NOW, 90);
    expect(age).toMatchObject({ setting: 'provider.api_secret', firstSeenAt, ...expected });
  });

  it('counts seconds for /metrics and sorts by setting', () => {
    const ages = credentialAges([sighting('smtp.password', daysAgo(1)), sighting('mailboxes.requests.password', daysAgo(2))], NOW, 90);
    expect(ages.map((a) => [a.setting, a.ageSeconds])).toEqual([['mailboxes.requests.password', 2 * 86_400], ['smtp.password', 86_400]]);
    expect(ageMsOf(daysAgo(2), NOW)).toBe(2 * DAY);
  });

  it('follows credentials.max_age_days', () => {
    expect(credentialAges([sighting('smtp.password', daysAgo(31))], NOW, 30)[0]!.overdue).toBe(true);
    expect(credentialAges([sighting('smtp.password', daysAgo(31))], NOW, 365)[0]!.overdue).toBe(false);
  });
});

describe('what the operator is told', () => {
  const [aged] = credentialAges([sighting('provider.api_secret', daysAgo(120))], NOW, 90);

  it('names the setting, its age, the limit\'s setting and the procedure\'s section', () => {
    expect(overdueWarning(aged!, 90)).toBe(
      'provider.api_secret has not changed for 120 days, longer than credentials.max_age_days (90): rotate it (docs/credentials.md#secured-signing-api-key-and-secret)');
  });

  it('on the day the limit is passed, says "more than" the limit, not the limit itself (time review)', () => {
    const [justOver] = credentialAges([sighting('provider.api_secret', daysAgo(90 + 1 / 24))], NOW, 90);
    expect(justOver!.overdue).toBe(true);
    expect(overdueWarning(justOver!, 90)).toMatch(/^provider\.api_secret has not changed for more than 90 days, longer than credentials\.max_age_days \(90\)/);
  });

  it.each([
    ['mailboxes.requests.password', 'mail-passwords-and-oauth-client-secrets'],
    ['mailboxes.returns.auth.client_secret', 'mail-passwords-and-oauth-client-secrets'],
    ['smtp.password', 'mail-passwords-and-oauth-client-secrets'],
    ['provider.api_key', 'secured-signing-api-key-and-secret'],
    ['provider.client_secret', 'signicat-client-secret'],
    ['servicenow.auth.password', 'servicenow-password-or-oauth-client'],
    ['servicenow.auth.client_secret', 'servicenow-password-or-oauth-client'],
  ])('%s points at a section that exists (#%s)', (setting, anchor) => {
    expect(rotationSection(setting)).toBe(`${ROTATION_DOC}#${anchor}`);
    const doc = readFileSync(new URL(`../../${ROTATION_DOC}`, import.meta.url), 'utf8');
    expect(anchorsOf(doc).has(anchor)).toBe(true);
  });

  it('the alert lists every secret with its age and the procedure, once', () => {
    const ages = credentialAges([sighting('provider.api_key', daysAgo(100)), sighting('provider.api_secret', daysAgo(100))], NOW, 90);
    const alert = overdueAlert(ages, 90);
    expect(alert.subject).toBe('credentials due for rotation: provider.api_key, provider.api_secret');
    expect(alert.text).toContain(`  provider.api_key: 100 days (first seen ${daysAgo(100)})`);
    expect(alert.text).toContain('credentials.max_age_days (90 days)');
    expect(alert.text).toContain('signrelay check');
    expect(alert.text).toContain(ROTATION_DOC);
  });
});

describe('compareWithRecorded', () => {
  it('a value the daemon recorded, a rotated one and one it never saw', () => {
    const recorded = [{ setting: 'smtp.password', fingerprint: 'aa' }, { setting: 'provider.api_secret', fingerprint: 'bb' }];
    const current = [{ setting: 'smtp.password', fingerprint: 'aa' }, { setting: 'provider.api_secret', fingerprint: 'cc' }, { setting: 'provider.api_key', fingerprint: 'dd' }];
    expect(compareWithRecorded(current, recorded)).toEqual([
      { setting: 'smtp.password', state: 'recorded' }, { setting: 'provider.api_secret', state: 'new' }, { setting: 'provider.api_key', state: 'new' },
    ]);
  });

  it('a value the daemon ran with before and not now (a rotation being undone) is recorded: it keeps its age', () => {
    const history = [{ setting: 'provider.api_secret', fingerprint: 'old' }, { setting: 'provider.api_secret', fingerprint: 'now' }];
    expect(compareWithRecorded([{ setting: 'provider.api_secret', fingerprint: 'old' }], history)).toEqual([{ setting: 'provider.api_secret', state: 'recorded' }]);
    // The same fingerprint under another setting is another value.
    expect(compareWithRecorded([{ setting: 'smtp.password', fingerprint: 'old' }], history)).toEqual([{ setting: 'smtp.password', state: 'new' }]);
  });
});

describe('fingerprintSecret', () => {
  const key = randomBytes(32);
  const secret = 'pw1';

  it('is the same for the same key, setting and value', () => {
    expect(fingerprintSecret(key, 'smtp.password', secret)).toBe(fingerprintSecret(Buffer.from(key), 'smtp.password', secret));
    expect(fingerprintSecret(key, 'smtp.password', secret)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the value, the setting and the installation\'s key', () => {
    const base = fingerprintSecret(key, 'smtp.password', secret);
    expect(fingerprintSecret(key, 'smtp.password', 'pw2')).not.toBe(base);
    expect(fingerprintSecret(key, 'mailboxes.requests.password', secret)).not.toBe(base);
    expect(fingerprintSecret(randomBytes(32), 'smtp.password', secret)).not.toBe(base);
  });

  it('is not a plain hash of the value (which a short password could be found from)', () => {
    const fingerprint = fingerprintSecret(key, 'smtp.password', secret);
    for (const plain of [secret, `smtp.password\u0000${secret}`]) {
      for (const algorithm of ['sha256', 'sha1', 'md5']) expect(fingerprint).not.toContain(createHash(algorithm).update(plain).digest('hex'));
    }
    expect(fingerprint).not.toContain(secret);
  });
});
