// Backoff arithmetic (table-driven) and the reset rule (fake clock): the delay grows, is
// bounded, and only resets after a connection that stayed up for STABLE_CONNECTION_MS.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  computeBackoffDelay, createReconnectBackoff, STABLE_CONNECTION_MS, type BackoffPolicy,
} from '../../src/mail/reconnect-backoff.ts';
import { createRetrySchedule } from '../../src/mail/retry-schedule.ts';

const full: BackoffPolicy = { minDelayMs: 100, maxDelayMs: 1_000, jitter: 'full' };
const decorrelated: BackoffPolicy = { minDelayMs: 100, maxDelayMs: 1_000, jitter: 'decorrelated' };

describe('computeBackoffDelay', () => {
  it.each([
    // policy, attempt, previous, random, expected
    [full, 1, 0, 0.999, 100], // first retry: the ceiling is the minimum
    [full, 2, 0, 0, 100],
    [full, 2, 0, 0.5, 150], // between 100 and 200
    [full, 3, 0, 1, 400],
    [full, 4, 0, 1, 800],
    [full, 5, 0, 1, 1_000], // capped
    [full, 60, 0, 1, 1_000], // 2^59 does not overflow past the cap
    [decorrelated, 1, 100, 0, 100],
    [decorrelated, 1, 100, 0.5, 200], // between 100 and 3 × 100
    [decorrelated, 2, 300, 1, 900],
    [decorrelated, 3, 900, 1, 1_000], // capped
    [decorrelated, 1, 0, 1, 300], // a previous delay below the minimum counts as the minimum
    [{ ...full, maxDelayMs: 50 }, 3, 0, 1, 100], // max below min: min wins
    [full, 3, 0, Number.NaN, 100], // a broken random source cannot produce NaN delays
  ] as const)('%o attempt %i prev %i random %d → %i ms', (policy, attempt, previous, random, expected) => {
    expect(computeBackoffDelay(policy, attempt, previous, () => random)).toBe(expected);
  });
});

describe('createReconnectBackoff', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const maxRandom = () => 0.999999;

  it('grows until the cap and keeps growing across short-lived connections', () => {
    vi.useFakeTimers();
    const backoff = createReconnectBackoff({ ...full, random: maxRandom });
    expect([backoff.nextDelayMs(), backoff.nextDelayMs(), backoff.nextDelayMs()]).toEqual([100, 200, 400]);
    // The server accepts the login and drops us after a moment: no reset, no login storm.
    backoff.markConnected();
    vi.advanceTimersByTime(STABLE_CONNECTION_MS - 1);
    backoff.markDisconnected();
    expect(backoff.nextDelayMs()).toBe(800);
    expect(backoff.nextDelayMs()).toBe(1_000);
    expect(backoff.attempts).toBe(5);
  });

  it('resets after a connection that stayed up for STABLE_CONNECTION_MS', () => {
    vi.useFakeTimers();
    const backoff = createReconnectBackoff({ ...decorrelated, random: maxRandom });
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    expect(backoff.nextDelayMs()).toBe(1_000);
    backoff.markConnected();
    vi.advanceTimersByTime(STABLE_CONNECTION_MS);
    backoff.markDisconnected();
    expect(backoff.attempts).toBe(0);
    expect(backoff.nextDelayMs()).toBe(300);
  });

  it('does not reset on a disconnect without a connect', () => {
    let now = 0;
    const backoff = createReconnectBackoff({ ...full, random: maxRandom, now: () => now, stableConnectionMs: 10 });
    backoff.nextDelayMs();
    now = 1_000;
    backoff.markDisconnected();
    expect(backoff.nextDelayMs()).toBe(200);
  });

  it('uses the injected random source (full jitter stays within its bounds)', () => {
    const values = [0, 0.25, 0.5];
    const backoff = createReconnectBackoff({ ...full, random: () => values.shift() ?? 0 });
    expect([backoff.nextDelayMs(), backoff.nextDelayMs(), backoff.nextDelayMs()]).toEqual([100, 125, 250]);
  });
});

describe('createRetrySchedule', () => {
  it('defers a message with growing delays and reports the earliest due time', () => {
    const schedule = createRetrySchedule(full, () => 0.999999);
    expect(schedule.isDue(7, 0)).toBe(true);
    expect(schedule.defer(7, 0)).toBe(100);
    expect(schedule.defer(7, 100)).toBe(200);
    expect(schedule.isDue(7, 299)).toBe(false);
    expect(schedule.isDue(7, 300)).toBe(true);
    schedule.defer(9, 0);
    expect(schedule.nextDueAt()).toBe(100);
    expect(schedule.attempts(7)).toBe(2);
  });

  it('forgets messages that left the folder, and everything on clear()', () => {
    const schedule = createRetrySchedule(full, () => 0);
    schedule.defer(1, 0);
    schedule.defer(2, 0);
    schedule.retainOnly(new Set([2]));
    expect(schedule.attempts(1)).toBe(0);
    expect(schedule.attempts(2)).toBe(1);
    schedule.clear();
    expect(schedule.nextDueAt()).toBeNull();
  });

  it('keeps where a mail was copied while it stays, without delaying it, and forgets it with the mail', () => {
    const schedule = createRetrySchedule(full, () => 0);
    schedule.noteCopied(1, 'Processed');
    expect(schedule.copiedTo(1)).toBe('Processed');
    expect(schedule.isDue(1, 0)).toBe(true);
    expect(schedule.waiting()).toEqual({ mails: 0, since: null });
    schedule.defer(1, 0);
    expect(schedule.copiedTo(1)).toBe('Processed');
    schedule.forget(1);
    expect(schedule.copiedTo(1)).toBeUndefined();
    schedule.noteCopied(2, 'Rejected');
    schedule.retainOnly(new Set());
    expect(schedule.copiedTo(2)).toBeUndefined();
  });
});
