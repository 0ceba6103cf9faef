// The liveness NOOP's deadline counts the time the daemon ran, not wall time: a stall of the
// process itself (a loaded box) is not the server's silence (load flake 2). withinRunningTime
// races a command against it (the probe, a quota read).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRunningDeadline, withinRunningTime } from '../../src/mail/running-deadline.ts';

describe('startRunningDeadline', () => {
  let clock = 0;
  beforeEach(() => {
    clock = 0;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());
  /** Runs the timers for `ms`, the process's clock moving with them. */
  const run = (ms: number) => {
    for (let i = 0; i < ms / 10; i++) {
      clock += 10;
      vi.advanceTimersByTime(10);
    }
  };

  it('expires once the limit of running time has passed, not before', () => {
    const expired = vi.fn();
    startRunningDeadline(500, expired, () => clock);
    run(450);
    expect(expired).not.toHaveBeenCalled();
    run(100);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('does not count a stall of the process: the answer read after it still has its chance', () => {
    const expired = vi.fn();
    startRunningDeadline(500, expired, () => clock);
    run(200);
    clock += 5_000; // the process did not run for five seconds
    run(100);
    expect(expired).not.toHaveBeenCalled();
    run(400);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('is cancelled by the function it returns', () => {
    const expired = vi.fn();
    const cancel = startRunningDeadline(300, expired, () => clock);
    run(100);
    cancel();
    run(1_000);
    expect(expired).not.toHaveBeenCalled();
  });
});

describe('withinRunningTime', () => {
  it('answers what the work answers, and its deadline ends with it', async () => {
    const expired = vi.fn(() => new Error('too late'));
    await expect(withinRunningTime(Promise.resolve('noop answered'), 50, expired)).resolves.toBe('noop answered');
    await expect(withinRunningTime(Promise.reject(new Error('connection closed')), 50, expired)).rejects.toThrow('connection closed');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(expired).not.toHaveBeenCalled();
  });

  it('rejects with the expired error when the work never answers', async () => {
    await expect(withinRunningTime(new Promise(() => {}), 50, () => new Error('no answer within 50 ms'))).rejects.toThrow('no answer within 50 ms');
  });
});
