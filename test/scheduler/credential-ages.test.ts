// The credential review on a real data directory, with the scheduler's injected clock:
// what the daemon does at each start (reviewCredentials) and what the hourly `credentials`
// task does. A secret that passes credentials.max_age_days is alerted about exactly once —
// not again by later runs or a restart — a rotated secret starts its age again and is
// alerted about again when it ages in turn, a value gone back to keeps its age and its
// alert, and neither a secret nor its fingerprint is written anywhere but the fingerprint
// table.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { secretsOf } from '../../src/config/secrets-of.ts';
import { credentialCheckItem } from '../../src/checks/check-credentials.ts';
import type { CheckResult } from '../../src/checks/checklist.ts';
import { reviewCredentials } from '../../src/scheduler/review-credentials.ts';
import { listCredentialRows } from '../../src/store/credential-fingerprints.ts';
import { FINGERPRINT_KEY_FILE } from '../../src/store/fingerprint-key.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { createTestLogger, type TestLogger } from '../support/test-logger.ts';
import { DAY_MS, later, startSchedulerWorld, type SchedulerWorld } from './scheduler-world.ts';

const T0 = new Date('2030-01-01T12:00:00Z');
const HOUR_MS = 3_600_000;
let world: SchedulerWorld;
let log: TestLogger;

beforeEach(async () => {
  world = await startSchedulerWorld();
  log = createTestLogger();
});
afterEach(async () => {
  await world.close();
});

/** The alert mails queued so far: what the job runner will send. */
function alertMails(): Array<{ to: string[]; subject: string; text: string }> {
  return (world.db.prepare("SELECT payload FROM jobs WHERE kind = 'mail' ORDER BY id").all() as Array<{ payload: string }>)
    .map((r) => JSON.parse(r.payload) as { purpose: string; message: { to: string[]; subject: string; text: string } })
    .filter((p) => p.purpose === 'alert').map((p) => p.message);
}

/** What the daemon does when it starts (or reloads) on `config` at `at`. */
const startReview = (at: Date, config: Config = world.config) => reviewCredentials({ db: world.db, config, logger: log.logger, now: () => at });

const ROTATED = ['mailboxes.requests.password', 'provider.api_key', 'provider.api_secret', 'servicenow.auth.password'];

describe('the credential review', () => {
  it('records each secret setting with its first sighting, under a private key of the installation', () => {
    startReview(T0);
    expect(listCredentialRows(world.db).map((r) => [r.setting, r.firstSeenAt, r.alertedAt])).toEqual(ROTATED.map((s) => [s, T0.toISOString(), null]));
    expect(statSync(join(world.dataDir, FINGERPRINT_KEY_FILE)).mode & 0o777).toBe(0o600);
    // A later start with the same values changes nothing.
    startReview(later(T0, 5 * DAY_MS));
    expect(listCredentialRows(world.db).map((r) => r.firstSeenAt)).toEqual(ROTATED.map(() => T0.toISOString()));
  });

  it('alerts once when the secrets pass their age: not before, not again on later runs or after a restart', async () => {
    startReview(T0);
    world.clock.now = T0;
    const scheduler = world.startScheduler();
    await scheduler.idle();
    world.clock.now = later(T0, 90 * DAY_MS - HOUR_MS);
    await scheduler.tick();
    expect(alertMails()).toEqual([]);

    // The next daily run, a day later.
    world.clock.now = later(T0, 91 * DAY_MS);
    await scheduler.tick();
    const mails = alertMails();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['admins@corp.example']);
    expect(mails[0]!.subject).toBe(`[signrelay] credentials due for rotation: ${ROTATED.join(', ')}`);
    expect(mails[0]!.text).toContain('  provider.api_secret: 91 days (first seen 2030-01-01T12:00:00.000Z)');

    world.clock.now = later(T0, 92 * DAY_MS);
    await scheduler.tick();
    await world.restart();
    startReview(later(T0, 92 * DAY_MS + HOUR_MS));
    world.clock.now = later(T0, 94 * DAY_MS);
    await world.startScheduler().idle();
    expect(alertMails()).toHaveLength(1);
  });

  it('a rotated secret starts its age again, and is alerted about again when it ages in turn', () => {
    startReview(T0);
    startReview(later(T0, 100 * DAY_MS));
    expect(alertMails()).toHaveLength(1);

    const rotatedAt = later(T0, 101 * DAY_MS);
    const rotated: Config = { ...world.config, mailboxes: { ...world.config.mailboxes, requests: { ...world.config.mailboxes.requests, password: 'p-rotated' } } };
    startReview(rotatedAt, rotated);
    const rows = new Map(listCredentialRows(world.db).map((r) => [r.setting, r]));
    expect(rows.get('mailboxes.requests.password')).toMatchObject({ firstSeenAt: rotatedAt.toISOString(), alertedAt: null });
    expect(rows.get('provider.api_secret')!.alertedAt).not.toBeNull();
    expect(log.entries.filter((e) => e.message === 'credential changed: its age starts again').map((e) => e.setting)).toEqual(['mailboxes.requests.password']);
    expect(alertMails()).toHaveLength(1);

    startReview(later(rotatedAt, 91 * DAY_MS), rotated);
    const mails = alertMails();
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toBe('[signrelay] credentials due for rotation: mailboxes.requests.password');
  });

  it('a start\'s review is the hourly task\'s run: the scheduler started after it does not review and warn again', async () => {
    startReview(T0);
    const due = later(T0, 95 * DAY_MS);
    // Held back (another credential-age alert just went), so nothing is marked alerted: a second review would warn again.
    world.db.prepare("INSERT INTO alert_state (kind, last_sent_at, suppressed) VALUES ('credential-age', ?, 0)").run(due.toISOString());
    startReview(due);
    expect(log.entries.filter((e) => e.message === 'credential due for rotation')).toHaveLength(ROTATED.length);
    const lastRun = () => world.db.prepare("SELECT started_at, outcome FROM schedule_runs WHERE task = 'credentials'").get();
    expect(lastRun()).toEqual({ started_at: due.toISOString(), outcome: 'ok' });
    world.clock.now = later(due, 60_000);
    const scheduler = world.startScheduler();
    await scheduler.idle();
    expect(lastRun()).toEqual({ started_at: due.toISOString(), outcome: 'ok' });
    // The hourly run after it comes an hour after the start's review, and sends the alert held back.
    world.clock.now = later(due, HOUR_MS);
    await scheduler.tick();
    expect(alertMails()).toHaveLength(1);
  });

  it('an alert alerts.min_interval_minutes would hold back waits, uncounted, and goes as itself when the interval ends', async () => {
    startReview(T0);
    const due = later(T0, 95 * DAY_MS);
    // Another credential-age alert was just mailed (the interval is per kind; 15 minutes here).
    world.db.prepare("INSERT INTO alert_state (kind, last_sent_at, suppressed) VALUES ('credential-age', ?, 0)").run(due.toISOString());
    world.clock.now = due;
    const scheduler = world.startScheduler();
    await scheduler.idle();
    expect(alertMails()).toEqual([]);
    expect(listCredentialRows(world.db).every((r) => r.alertedAt === null)).toBe(true);
    expect((world.db.prepare("SELECT suppressed FROM alert_state WHERE kind = 'credential-age'").get() as { suppressed: number }).suppressed).toBe(0);
    expect(log.entries.filter((e) => e.message === 'operator alert')).toEqual([]);

    // The next run after the interval — the hourly one, not tomorrow's — sends it.
    world.clock.now = later(due, HOUR_MS);
    await scheduler.tick();
    const mails = alertMails();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`[signrelay] credentials due for rotation: ${ROTATED.join(', ')}`);
    expect(mails[0]!.text).not.toContain('held back');
    expect(listCredentialRows(world.db).every((r) => r.alertedAt === later(due, HOUR_MS).toISOString())).toBe(true);
  });

  it('a rotation undone — or a reload whose new configuration fails, restarting the previous one — keeps the old value\'s age and alert', () => {
    startReview(T0);
    const alertedAt = later(T0, 100 * DAY_MS);
    startReview(alertedAt);
    expect(alertMails()).toHaveLength(1);
    const rotated: Config = { ...world.config, provider: { ...world.config.provider, api_secret: 'api-secret-rotated' } as Config['provider'] };
    // The reload reviews the new configuration, then the previous one is started again.
    startReview(later(T0, 101 * DAY_MS), rotated);
    startReview(later(T0, 101 * DAY_MS + HOUR_MS));
    const secret = listCredentialRows(world.db).find((r) => r.setting === 'provider.api_secret')!;
    expect(secret).toMatchObject({ firstSeenAt: T0.toISOString(), alertedAt: alertedAt.toISOString() });
    expect(log.entries.filter((e) => e.message === 'credential back to a value seen before: it keeps its age').map((e) => e.setting)).toEqual(['provider.api_secret']);
    // Still overdue (the same secret), and not alerted about again.
    startReview(later(T0, 110 * DAY_MS));
    expect(alertMails()).toHaveLength(1);
    expect(log.entries.filter((e) => e.message === 'credential due for rotation' && e.setting === 'provider.api_secret').at(-1)).toMatchObject({ ageDays: 110 });
  });

  it('check: a value the daemon ran with before, put back in the credential file, shows its age, not "new"', async () => {
    const now = Date.now();
    startReview(new Date(now - 100 * DAY_MS));
    const rotated: Config = { ...world.config, provider: { ...world.config.provider, api_secret: 'api-secret-rotated' } as Config['provider'] };
    startReview(new Date(now - DAY_MS), rotated);
    // The operator undoes the rotation in the credential file and runs `signrelay check`.
    const result = await credentialCheckItem(world.config, () => openDatabase(world.dataDir)).run() as CheckResult;
    expect(result.detail).toBe('4 secret(s) as the daemon recorded them, the oldest 100 days old (credentials.max_age_days: 90)');
    expect(result.warnings).toContain('provider.api_secret has not changed for 100 days, longer than credentials.max_age_days (90): rotate it (docs/credentials.md#secured-signing-api-key-and-secret)');
    const checkedRotated = await credentialCheckItem(rotated, () => openDatabase(world.dataDir)).run() as CheckResult;
    expect(checkedRotated.warnings).not.toContainEqual(expect.stringMatching(/^provider\.api_secret/));
  });

  it('a damaged fingerprint key is replaced with a warning naming the file: every age starts again', () => {
    startReview(T0);
    const file = join(world.dataDir, FINGERPRINT_KEY_FILE);
    writeFileSync(file, 'damaged');
    startReview(later(T0, 10 * DAY_MS));
    expect(log.entries.filter((e) => e.level === 'warn' && e.message === 'the credential fingerprint key was damaged and is replaced: every secret\'s age starts again from now'))
      .toEqual([expect.objectContaining({ file })]);
    expect(statSync(file).size).toBe(32);
    expect(listCredentialRows(world.db).map((r) => r.firstSeenAt)).toEqual(ROTATED.map(() => later(T0, 10 * DAY_MS).toISOString()));
  });

  it('without alerts.to the alert is logged once, not at every review', () => {
    const quiet: Config = { ...world.config, alerts: { ...world.config.alerts, to: [] } };
    startReview(T0, quiet);
    startReview(later(T0, 91 * DAY_MS), quiet);
    startReview(later(T0, 92 * DAY_MS), quiet);
    expect(log.entries.filter((e) => e.message === 'operator alert')).toHaveLength(1);
    expect(alertMails()).toEqual([]);
  });

  it('writes neither a secret nor a fingerprint anywhere but the fingerprint table', () => {
    const base = world.config;
    const config: Config = {
      ...base,
      mailboxes: { ...base.mailboxes, requests: { ...base.mailboxes.requests, password: 'imap-pw-never-written-5c2f' } },
      provider: { ...base.provider, api_key: 'api-key-never-written-81ab', api_secret: 'api-secret-never-written-77de' } as Config['provider'],
      servicenow: { ...base.servicenow, auth: { type: 'basic', user: 'u', password: 'sn-pw-never-written-0e93' } },
    };
    startReview(T0, config);
    startReview(later(T0, 91 * DAY_MS), config);
    const fingerprints = listCredentialRows(world.db).map((r) => r.fingerprint);
    expect(fingerprints).toHaveLength(ROTATED.length);
    const tables = (world.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'credential_fingerprints'").all() as Array<{ name: string }>).map((t) => t.name);
    const everything = [log.text(), ...tables.map((t) => JSON.stringify(world.db.prepare(`SELECT * FROM "${t}"`).all()))].join('\n');
    expect(everything).toContain('provider.api_secret'); // the settings are named …
    for (const needle of [...secretsOf(config), ...fingerprints]) expect(everything).not.toContain(needle); // … their values never
  });
});
