// The chaos run's deadlines (stall-clock.ts): a wait fails on no progress for the stall
// window, not on elapsed time; scheduled work (a job's retry) holds the window off until
// it is due; the cap ends a wait that keeps moving for ever.
import { describe, expect, it } from 'vitest';
import { startStallClock } from './stall-clock.ts';

function fakeTime() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('the stall clock', () => {
  it('keeps a slow wait going as long as the mark moves, however long it takes', () => {
    const time = fakeTime();
    const clock = startStallClock(30_000, 600_000, time.now);
    for (let i = 0; i < 10; i++) {
      time.advance(25_000);
      clock.observe(`delivered ${i}`);
      expect(clock.verdict()).toBe('moving');
    }
  });

  it('is stalled once nothing moved for the window, and says so', () => {
    const time = fakeTime();
    const clock = startStallClock(30_000, 600_000, time.now);
    clock.observe('a');
    time.advance(20_000);
    clock.observe('b');
    time.advance(30_000);
    clock.observe('b');
    expect(clock.verdict()).toBe('moving');
    time.advance(1);
    expect(clock.verdict()).toBe('stalled');
    expect(clock.describe()).toMatch(/^no progress for 30 s \(the stall window is 30 s/);
  });

  it('learns nothing from a mark it could not read', () => {
    const time = fakeTime();
    const clock = startStallClock(30_000, 600_000, time.now);
    clock.observe('a');
    time.advance(31_000);
    clock.observe(undefined);
    expect(clock.verdict()).toBe('stalled');
  });

  it('does not count time a job waits out its retry, then counts from when it was due', () => {
    const time = fakeTime();
    const clock = startStallClock(30_000, 600_000, time.now);
    clock.observe('a', time.now() + 90_000);
    time.advance(100_000);
    clock.observe('a', time.now() - 10_000);
    expect(clock.verdict()).toBe('moving');
    time.advance(21_000);
    clock.observe('a', time.now() - 31_000);
    expect(clock.verdict()).toBe('stalled');
  });

  it('ends at the cap even while the mark keeps moving', () => {
    const time = fakeTime();
    const clock = startStallClock(30_000, 120_000, time.now);
    for (let i = 0; i < 12; i++) {
      time.advance(10_000);
      clock.observe(String(i));
    }
    expect(clock.verdict()).toBe('moving');
    time.advance(1_000);
    clock.observe('again');
    expect(clock.verdict()).toBe('capped');
    expect(clock.describe()).toMatch(/^still not done 121 s after the wait started \(the cap is 120 s/);
  });
});
