import { afterEach, expect, it, vi } from 'vitest';
import { waitFor } from './wait-for.ts';

afterEach(() => {
  vi.useRealTimers();
});

it('looks again soon at first, then at most four times a second', async () => {
  vi.useFakeTimers();
  const lookedAt: number[] = [];
  const start = Date.now();
  const waiting = waitFor(() => {
    lookedAt.push(Date.now() - start);
    return Date.now() - start >= 5_000;
  });
  await vi.advanceTimersByTimeAsync(6_000);
  await waiting;
  expect(lookedAt.slice(0, 4)).toEqual([0, 25, 63, 120]);
  const gaps = lookedAt.slice(1).map((at, i) => at - lookedAt[i]!);
  expect(Math.max(...gaps)).toBe(250);
  expect(lookedAt.length).toBeLessThan(30);
});

it('keeps a fixed interval a caller names', async () => {
  vi.useFakeTimers();
  let looks = 0;
  const start = Date.now();
  const waiting = waitFor(() => {
    looks += 1;
    return Date.now() - start >= 1_000;
  }, { intervalMs: 50 });
  await vi.advanceTimersByTimeAsync(2_000);
  await waiting;
  expect(looks).toBe(21);
});
