// Operator alerts and alerts.min_interval_minutes: within the interval a raised alert is
// counted as held back and the next mail says how many; alertMailHeldUntil tells a caller
// that would rather wait (the credential review) when the next mail of a kind may go.
import { describe, expect, it } from 'vitest';
import { alertMailHeldUntil, raiseAlert } from '../../src/alerts/raise-alert.ts';
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
    const mails = () => (db.prepare("SELECT payload FROM jobs WHERE kind = 'mail'").all() as Array<{ payload: string }>).map((r) => JSON.parse(r.payload).message.text as string);

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
