// Operator alerts and alerts.min_interval_minutes: within the interval a raised alert is
// counted as held back and the next mail says how many; alertMailHeldUntil tells a caller
// that would rather wait (the credential review) when the next mail of a kind may go; and
// alerts held back go out as one summary once the interval ends, when no other alert of
// their kind comes to carry them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { alertMailHeldUntil, raiseAlert, sendHeldAlerts } from '../../src/alerts/raise-alert.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { testConfig } from '../scheduler/scheduler-world.ts';
import { createTestLogger } from '../support/test-logger.ts';

const T0 = new Date('2030-01-01T12:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

describe('raiseAlert and the interval', () => {
  it('holds back and counts within alerts.min_interval_minutes; alertMailHeldUntil says until when', () => {
    const db = openMemoryDatabase();
    const config = testConfig(); // alerts.min_interval_minutes: 15 (the default)
    const deps = (at: Date) => ({ db, config, logger: createTestLogger().logger, now: () => at });
    const mails = () => (db.prepare("SELECT payload FROM jobs WHERE kind = 'mail' ORDER BY id").all() as Array<{ payload: string }>).map((r) => JSON.parse(r.payload).message.text as string);

    expect(alertMailHeldUntil({ db, config }, 'provider', T0)).toBeNull();
    expect(raiseAlert(deps(T0), { kind: 'provider', subject: 's1', text: 'first' })).toBe(true);
    expect(alertMailHeldUntil({ db, config }, 'provider', minutes(14))).toEqual(minutes(15));
    expect(alertMailHeldUntil({ db, config }, 'credential-age', minutes(14))).toBeNull(); // per kind
    expect(raiseAlert(deps(minutes(14)), { kind: 'provider', subject: 's2', text: 'second' })).toBe(false);
    expect(alertMailHeldUntil({ db, config }, 'provider', minutes(15))).toBeNull();
    expect(raiseAlert(deps(minutes(15)), { kind: 'provider', subject: 's3', text: 'third' })).toBe(true);
    expect(mails()).toEqual(['first\n', 'third\n\n1 more alert(s) of this kind were held back since the last mail; see the audit trail.\n']);
  });
});

describe('sendHeldAlerts', () => {
  it('mails what was held back once the interval has passed, one summary per kind, and only once', () => {
    const db = openMemoryDatabase();
    const config = testConfig();
    const deps = (at: Date) => ({ db, config, logger: createTestLogger().logger, now: () => at });
    const mails = () => (db.prepare("SELECT payload FROM jobs WHERE kind = 'mail' ORDER BY id").all() as Array<{ payload: string }>).map((r) => JSON.parse(r.payload).message as { subject: string; text: string });

    raiseAlert(deps(T0), { kind: 'unmatched', subject: 'a junk mail matched no open request', text: 'junk' });
    raiseAlert(deps(minutes(5)), { kind: 'unmatched', subject: 'a completion mail matched no open request', text: 'the real one' });
    raiseAlert(deps(minutes(6)), { kind: 'unmatched', subject: 'another one', text: 'x' });
    expect(sendHeldAlerts(deps(minutes(14)))).toBe(0); // the interval has not passed
    expect(mails()).toHaveLength(1);

    expect(sendHeldAlerts(deps(minutes(15)))).toBe(1);
    expect(mails()).toHaveLength(2);
    expect(mails()[1]).toMatchObject({
      subject: '[signrelay] 2 unmatched alert(s) held back since 2030-01-01 12:00 UTC',
      text: 'These alerts were not mailed, as alerts.min_interval_minutes had not passed since the last one of their kind:\n\n'
        + '- a completion mail matched no open request\n- another one\n\nEach is in the audit trail (signrelay show ID, or the log).\n',
    });
    expect(sendHeldAlerts(deps(minutes(40)))).toBe(0); // nothing held any more
    // The summary counts as the kind's mail: an alert right after it is held back in turn.
    expect(raiseAlert(deps(minutes(16)), { kind: 'unmatched', subject: 'later', text: 'y' })).toBe(false);
  });

  afterEach(() => vi.unstubAllEnvs());

  // instances review M1: one alerts.to for every instance, and no alert said which one wrote.
  it('names the instance in the subject and in the commands it gives', () => {
    vi.stubEnv('SIGNRELAY_INSTANCE', 'legal');
    const db = openMemoryDatabase();
    const deps = (at: Date) => ({ db, config: testConfig(), logger: createTestLogger().logger, now: () => at });
    raiseAlert(deps(T0), { kind: 'unmatched', subject: 'a completion mail matched no open request', text: 'first' });
    raiseAlert(deps(minutes(1)), { kind: 'unmatched', subject: 'another one', text: 'x' });
    sendHeldAlerts(deps(minutes(15)));
    const mails = (db.prepare("SELECT payload FROM jobs WHERE kind = 'mail' ORDER BY id").all() as Array<{ payload: string }>).map((r) => JSON.parse(r.payload).message as { subject: string; text: string });
    expect(mails.map((m) => m.subject)).toEqual(['[signrelay@legal] a completion mail matched no open request', '[signrelay@legal] 1 unmatched alert(s) held back since 2030-01-01 12:00 UTC']);
    expect(mails[1]!.text).toContain('(signrelay show ID --name legal, or the log)');
  });

  it('after the wall clock was stepped back, holds an alert one interval from then, not the step as well', () => {
    const db = openMemoryDatabase();
    const config = testConfig();
    const deps = (at: Date) => ({ db, config, logger: createTestLogger().logger, now: () => at });
    const subjects = () => (db.prepare("SELECT payload FROM jobs WHERE kind = 'mail' ORDER BY id").all() as Array<{ payload: string }>).map((r) => JSON.parse(r.payload).message.subject as string);

    raiseAlert(deps(T0), { kind: 'provider', subject: 'before the step', text: 'a' });
    raiseAlert(deps(minutes(1)), { kind: 'provider', subject: 'held before the step', text: 'b' });
    // The clock goes back two hours: the next alert is held, and the interval counts from it.
    expect(raiseAlert(deps(minutes(-120)), { kind: 'provider', subject: 'held after the step', text: 'c' })).toBe(false);
    expect(alertMailHeldUntil({ db, config }, 'provider', minutes(-119))).toEqual(minutes(-105));
    expect(sendHeldAlerts(deps(minutes(-106)))).toBe(0);
    expect(sendHeldAlerts(deps(minutes(-105)))).toBe(1);
    expect(subjects()).toEqual(['[signrelay] before the step', '[signrelay] 2 provider alert(s) held back since 2030-01-01 10:00 UTC']);
    const summary = JSON.parse((db.prepare("SELECT payload FROM jobs WHERE kind = 'mail' ORDER BY id DESC").get() as { payload: string }).payload).message.text as string;
    expect(summary).toContain('- held before the step\n- held after the step\n\nEach');
    expect(summary).not.toContain('- before the step');
  });

  it('mails nothing without alerts.to', () => {
    const db = openMemoryDatabase();
    const config = { ...testConfig(), alerts: { ...testConfig().alerts, to: [] } };
    raiseAlert({ db, config, logger: createTestLogger().logger, now: () => T0 }, { kind: 'unmatched', subject: 's', text: 't' });
    expect(sendHeldAlerts({ db, config, logger: createTestLogger().logger, now: () => minutes(60) })).toBe(0);
  });
});
