import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import type { WatcherStatus } from '../../src/mail/imap-watcher.ts';
import type { SystemdNotifier } from '../../src/service/sd-notify.ts';
import { RELOAD_GRACE_MS, startWatchdog, watcherAlive } from '../../src/service/watchdog.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { waitFor } from '../support/wait-for.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000);
/** The watchdog's clock: here the monotonic clock reads as the wall clock's milliseconds, unless a test steps one of them. */
const MONO_NOW = NOW.getTime();
const status = (s: Partial<WatcherStatus>): WatcherStatus => {
  const wall = { state: 'idle' as const, lastHeartbeatAt: ago(5), lastError: null, lastErrorAt: null, reconnects: 0, connectedSince: ago(600), nextAttemptAt: null, uidValidity: '1', deferred: { mails: 0, since: null, reason: null }, ...s };
  const mono = (d: Date | null) => (d ? d.getTime() : null);
  return { ...wall, monotonic: s.monotonic ?? { lastHeartbeat: mono(wall.lastHeartbeatAt), connectedSince: mono(wall.connectedSince), nextAttempt: mono(wall.nextAttemptAt) } };
};
const refused = new SignrelayError('auth', 'imap_auth', 'the IMAP server refused the login: check mailboxes.requests.password');

describe('watcherAlive', () => {
  it.each([
    ['idle, heard from the server 5 s ago', status({}), true, 'idle, heard 5 s ago'],
    ['connected just now, nothing heard yet', status({ state: 'connected', lastHeartbeatAt: null, connectedSince: ago(2) }), true, 'connected, heard 2 s ago'],
    ['idle but silent for 200 s (deaf)', status({ lastHeartbeatAt: ago(200) }), false, 'idle but nothing heard from the server for 200 s'],
    ['waiting out a backoff, next attempt in the future', status({ state: 'backoff', nextAttemptAt: new Date(NOW.getTime() + 30_000), lastError: refused }), true, 'backoff: the IMAP server refused the login: check mailboxes.requests.password'],
    ['in auth-error, next attempt 10 s overdue (still trying)', status({ state: 'auth-error', nextAttemptAt: ago(10) }), true, 'auth-error'],
    ['a backoff whose next attempt is 300 s overdue (stuck loop)', status({ state: 'backoff', nextAttemptAt: ago(300) }), false, 'backoff, its next attempt 300 s overdue'],
    ['stopped', status({ state: 'stopped' }), false, 'stopped'],
  ])('%s', (_, s, alive, summary) => {
    expect(watcherAlive(s, MONO_NOW, 180_000)).toEqual({ alive, summary });
  });

  it('judges silence on the monotonic clock: a wall clock stepped forward four minutes does not make a watcher heard 60 s ago deaf (time review F2)', () => {
    // The wall clock says 300 s since the last answer and 4 min past the next attempt; 60 s passed.
    const stepped = { lastHeartbeat: MONO_NOW - 60_000, connectedSince: MONO_NOW - 600_000, nextAttempt: null };
    expect(watcherAlive(status({ lastHeartbeatAt: ago(300), monotonic: stepped }), MONO_NOW, 180_000)).toEqual({ alive: true, summary: 'idle, heard 60 s ago' });
    expect(watcherAlive(status({ state: 'backoff', nextAttemptAt: ago(250), monotonic: { ...stepped, nextAttempt: MONO_NOW + 10_000 } }), MONO_NOW, 180_000).alive).toBe(true);
    // And a wall clock stepped back hides no silence.
    expect(watcherAlive(status({ lastHeartbeatAt: ago(1), monotonic: { ...stepped, lastHeartbeat: MONO_NOW - 400_000 } }), MONO_NOW, 180_000)).toEqual({ alive: false, summary: 'idle but nothing heard from the server for 400 s' });
  });
});

function recordingNotifier(intervalMs: number): SystemdNotifier & { sent: Array<Record<string, string>> } {
  const sent: Array<Record<string, string>> = [];
  return { enabled: true, watchdogIntervalMs: intervalMs, sent, notify: (s) => sent.push(s), close: () => sent.push({ closed: '1' }) };
}

describe('startWatchdog', () => {
  it('says READY, pings only while every watcher is alive, complains once, and says STOPPING', async () => {
    // The watchdog's clock is in the test's hands: each check happens when the test says, none after stop().
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    onTestFinished(() => void vi.useRealTimers());
    const notifier = recordingNotifier(10);
    const { logger, entries } = createTestLogger();
    let returns = status({});
    const watchdog = startWatchdog({ notifier, logger, maxSilenceMs: 180_000, now: () => MONO_NOW, watchers: { requests: { status: () => status({}) }, returns: { status: () => returns } } });
    expect(notifier.sent[0]).toEqual({ READY: '1', STATUS: 'started' });
    vi.advanceTimersByTime(10);
    expect(notifier.sent.find((s) => s.WATCHDOG)).toEqual({ WATCHDOG: '1', STATUS: 'requests idle, heard 5 s ago; returns idle, heard 5 s ago' });

    returns = status({ lastHeartbeatAt: ago(400), connectedSince: ago(900) });
    const before = notifier.sent.length;
    vi.advanceTimersByTime(30);
    expect(notifier.sent).toHaveLength(before + 3);
    const after = notifier.sent.slice(before);
    expect(after.every((s) => s.WATCHDOG === undefined)).toBe(true);
    expect(after[0]).toEqual({ STATUS: 'not pinging the watchdog: requests idle, heard 5 s ago; returns idle but nothing heard from the server for 400 s' });
    await waitFor(() => entries.some((e) => e.level === 'error'), { what: 'the complaint in the log' });
    expect(entries.filter((e) => e.level === 'error').map((e) => e.message)).toEqual(['a watcher is stuck: not pinging the systemd watchdog, which will restart the service']);

    watchdog.stop();
    expect(notifier.sent.slice(-2)).toEqual([{ STOPPING: '1', STATUS: 'stopping' }, { closed: '1' }]);
    const count = notifier.sent.length;
    vi.advanceTimersByTime(1_000);
    expect(notifier.sent.length).toBe(count);
  });

  it('pings while a reload finishes the work in hand (its old watchers stopped), for up to RELOAD_GRACE_MS', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    onTestFinished(() => void vi.useRealTimers());
    const notifier = recordingNotifier(10);
    const { logger, entries } = createTestLogger();
    let now = MONO_NOW;
    let reloadingSince: number | undefined = MONO_NOW;
    const stopped = { status: () => status({ state: 'stopped' }) };
    const watchdog = startWatchdog({ notifier, logger, maxSilenceMs: 180_000, now: () => now, reloadingSince: () => reloadingSince, watchers: { requests: stopped, returns: stopped } });
    vi.advanceTimersByTime(10);
    expect(notifier.sent.at(-1)).toEqual({ WATCHDOG: '1', STATUS: 'reloading the configuration' });
    // A reload that has not ended past its grace is judged as any other moment.
    now = MONO_NOW + RELOAD_GRACE_MS + 1;
    vi.advanceTimersByTime(10);
    expect(notifier.sent.at(-1)).toEqual({ STATUS: 'not pinging the watchdog: requests stopped; returns stopped' });
    expect(entries.filter((e) => e.level === 'error')).toHaveLength(1);
    reloadingSince = undefined;
    watchdog.stop();
  });
});
