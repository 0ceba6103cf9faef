// The suite's waits on the daemon: their deadline is the longest the daemon may go without
// telling anything, started again by every event, and capped in all.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { DaemonEventMap } from '../../src/store/daemon-events.ts';
import { createTypedEvents } from '../../src/typed-events.ts';
import { MAX_WAIT_FACTOR, waitForEvent, waitUntil } from './wait-for-event.ts';
import { MIN_WAIT_MS } from './wait-for.ts';

const events = createTypedEvents<DaemonEventMap>(() => undefined);
const tell = () => events.emit('job', { jobId: 1, kind: 'submit', requestId: null, attempt: 1, outcome: 'done' } as unknown as DaemonEventMap['job'][0]);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

it('waits as long as the daemon keeps telling, past the deadline measured from the start', async () => {
  let done = false;
  const waited = waitUntil(events, () => done, { what: 'the slow fact' });
  for (let i = 0; i < 3; i++) {
    await vi.advanceTimersByTimeAsync(MIN_WAIT_MS / 2);
    tell();
  }
  // 1.5 deadlines have passed since the start; the last event was just now.
  done = true;
  tell();
  await expect(waited).resolves.toBe(true);
});

it('fails once the daemon told nothing for the deadline, saying so and what was awaited', async () => {
  const waited = waitUntil(events, () => false, { what: 'a fact that is not coming', describe: () => ({ sent: 3 }) });
  const failed = expect(waited).rejects.toThrow(/the daemon told nothing for 60000 ms \(1 events in the \d+ ms waited\), waiting for a fact that is not coming; state: .*"sent":3/);
  await vi.advanceTimersByTimeAsync(MIN_WAIT_MS / 2);
  tell();
  await vi.advanceTimersByTimeAsync(MIN_WAIT_MS - 1);
  await vi.advanceTimersByTimeAsync(1);
  await failed;
});

it('ends after MAX_WAIT_FACTOR deadlines even while the daemon keeps telling', async () => {
  const waited = waitForEvent(events, 'mail', () => true, { what: 'a mail filed' });
  const failed = expect(waited).rejects.toThrow(/Timed out after \d+ ms, the daemon busy \(\d+ events\) but not with it, waiting for a mail filed/);
  for (let t = 0; t < MAX_WAIT_FACTOR * MIN_WAIT_MS; t += 10_000) {
    tell();
    await vi.advanceTimersByTimeAsync(10_000);
  }
  await failed;
});

it('stops listening and its deadline once settled', async () => {
  let looks = 0;
  const pending = waitUntil(events, () => ++looks >= 2, { what: 'the second look' });
  expect(looks).toBe(1);
  tell();
  await expect(pending).resolves.toBe(true);
  tell();
  tell();
  await vi.advanceTimersByTimeAsync(MAX_WAIT_FACTOR * MIN_WAIT_MS);
  expect(looks).toBe(2);
  expect(vi.getTimerCount()).toBe(0);
});
