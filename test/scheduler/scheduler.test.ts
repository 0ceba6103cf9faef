// The scheduler itself, with tasks that only count and a real SQLite: runs missed while
// the daemon was down are caught up at start, a slow run is skipped rather than stacked,
// a failing task is recorded and does not stop the others, and the minute heartbeat drives the
// ticks — through a daylight-saving change and a wall clock stepped back or forward.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { minuteHeartbeat, startScheduler, type PeriodicTask, type Scheduler, type TaskName } from '../../src/scheduler/scheduler.ts';
import { openMemoryDatabase, type Db } from '../../src/store/open-database.ts';
import { listScheduleRuns, recordRunEnd, recordRunStart } from '../../src/store/schedule-runs.ts';

const T0 = new Date('2026-11-03T10:00:00Z');
const MIN = 60_000;

interface CountingTask extends PeriodicTask {
  runs: Date[];
  /** When set, each run waits for this to be called. */
  hold?: { release: () => void };
}

function countingTask(name: TaskName, intervalMs: number, clock: { now: Date }, behaviour: 'ok' | 'slow' | 'throws' = 'ok'): CountingTask {
  const task: CountingTask = {
    name, intervalMs, runs: [],
    async run() {
      task.runs.push(clock.now);
      if (behaviour === 'throws') throw new Error('the provider is down');
      if (behaviour === 'slow') await new Promise<void>((resolve) => { task.hold = { release: resolve }; });
      return { counts: { done: 1 }, problems: [] };
    },
  };
  return task;
}

const manualHeartbeat = () => ({ stop() {} });
let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
  vi.useRealTimers();
});

function start(db: Db, tasks: PeriodicTask[], clock: { now: Date }): Scheduler {
  scheduler = startScheduler({ db, tasks, logger: silentLogger(), now: () => clock.now, heartbeat: manualHeartbeat });
  return scheduler;
}

describe('the scheduler', () => {
  it('at start, runs what never ran or was missed while down, and nothing else', async () => {
    const db = openMemoryDatabase();
    const clock = { now: T0 };
    // Last runs from before a two-hour outage: reconcile (15 min) missed 8 runs, retention (daily) missed none.
    for (const [task, at] of [['reconcile', new Date(T0.getTime() - 120 * MIN)], ['retention', new Date(T0.getTime() - 120 * MIN)]] as const) {
      recordRunStart(db, task, at);
      recordRunEnd(db, task, 'ok', null, at);
    }
    const reconcile = countingTask('reconcile', 15 * MIN, clock);
    const reminders = countingTask('reminders', 60 * MIN, clock);
    const retention = countingTask('retention', 24 * 60 * MIN, clock);
    await start(db, [reconcile, reminders, retention], clock).idle();

    expect(reconcile.runs).toEqual([T0]); // caught up once, not eight times
    expect(reminders.runs).toEqual([T0]); // never ran
    expect(retention.runs).toEqual([]);
    const rows = Object.fromEntries(listScheduleRuns(db).map((r) => [r.task, r]));
    expect(rows.reconcile).toMatchObject({ startedAt: T0.toISOString(), finishedAt: T0.toISOString(), outcome: 'ok', error: null });
    expect(rows.reminders).toMatchObject({ outcome: 'ok' });
    expect(rows.retention?.startedAt).toBe(new Date(T0.getTime() - 120 * MIN).toISOString());

    // Later ticks follow the interval.
    clock.now = new Date(T0.getTime() + 5 * MIN);
    await scheduler!.tick();
    expect(reconcile.runs).toHaveLength(1);
    clock.now = new Date(T0.getTime() + 15 * MIN);
    await scheduler!.tick();
    expect(reconcile.runs).toHaveLength(2);
  });

  it('redoes a run that a dead process left unfinished', async () => {
    const db = openMemoryDatabase();
    const clock = { now: T0 };
    recordRunStart(db, 'retention', new Date(T0.getTime() - MIN)); // killed mid-run a minute ago
    const retention = countingTask('retention', 24 * 60 * MIN, clock);
    await start(db, [retention], clock).idle();
    expect(retention.runs).toEqual([T0]);
    expect(listScheduleRuns(db)[0]).toMatchObject({ outcome: 'ok', startedAt: T0.toISOString() });
  });

  it('skips a tick while the previous run is still going, and never stacks runs', async () => {
    const db = openMemoryDatabase();
    const clock = { now: T0 };
    const reconcile = countingTask('reconcile', 15 * MIN, clock, 'slow');
    const s = start(db, [reconcile], clock);
    const skipped: string[] = [];
    s.events.on('run:skipped', (task) => skipped.push(task));
    await vi.waitFor(() => expect(reconcile.hold).toBeDefined());

    // Two intervals pass while the first run hangs: both ticks are skipped.
    for (const minutes of [16, 31]) {
      clock.now = new Date(T0.getTime() + minutes * MIN);
      await s.tick();
    }
    expect(reconcile.runs).toHaveLength(1);
    expect(skipped).toEqual(['reconcile', 'reconcile']);
    expect(listScheduleRuns(db)[0]?.outcome).toBe('running');

    const first = reconcile.hold!;
    reconcile.hold = undefined;
    first.release();
    await s.idle();
    expect(listScheduleRuns(db)[0]?.outcome).toBe('ok');
    // The next tick after it ended runs it once (the skipped turns are not made up one by one).
    clock.now = new Date(T0.getTime() + 32 * MIN);
    const next = s.tick();
    await vi.waitFor(() => expect(reconcile.hold).toBeDefined());
    reconcile.hold!.release();
    await next;
    expect(reconcile.runs).toHaveLength(2);
  });

  it('records a failing task, keeps the others running, and tries it again next interval', async () => {
    const db = openMemoryDatabase();
    const clock = { now: T0 };
    const reconcile = countingTask('reconcile', 15 * MIN, clock, 'throws');
    const retention = countingTask('retention', 24 * 60 * MIN, clock);
    const ends: Array<[string, string, string | null]> = [];
    const s = start(db, [reconcile, retention], clock);
    s.events.on('run:end', (task, outcome, error) => ends.push([task, outcome, error]));
    await s.idle();
    expect(retention.runs).toHaveLength(1);
    const rows = Object.fromEntries(listScheduleRuns(db).map((r) => [r.task, r]));
    expect(rows.reconcile).toMatchObject({ outcome: 'failed', error: 'the provider is down' });
    expect(rows.retention).toMatchObject({ outcome: 'ok' });

    clock.now = new Date(T0.getTime() + 2 * MIN);
    await s.tick();
    expect(reconcile.runs).toHaveLength(1); // no hot loop
    clock.now = new Date(T0.getTime() + 15 * MIN);
    await s.tick();
    expect(reconcile.runs).toHaveLength(2);
    expect(ends.filter(([task]) => task === 'reconcile')).toEqual([['reconcile', 'failed', 'the provider is down'], ['reconcile', 'failed', 'the provider is down']]);
  });

  it('records per-item problems as a failed run with the first problems', async () => {
    const db = openMemoryDatabase();
    const clock = { now: T0 };
    const task: PeriodicTask = {
      name: 'reminders', intervalMs: 60 * MIN,
      run: async () => ({ counts: { sent: 1 }, problems: ['request r_1 document 1: HTTP 503', 'request r_2 document 1: HTTP 503'] }),
    };
    await start(db, [task], clock).idle();
    expect(listScheduleRuns(db)[0]).toMatchObject({ outcome: 'failed', error: '2 problem(s): request r_1 document 1: HTTP 503; request r_2 document 1: HTTP 503' });
  });

  it('stop() aborts a running task and records it as interrupted, so the next start redoes it', async () => {
    const db = openMemoryDatabase();
    const clock = { now: T0 };
    let sawAbort = false;
    const task: PeriodicTask = {
      name: 'retention', intervalMs: 24 * 60 * MIN,
      run: ({ signal }) => new Promise((resolve) => signal.addEventListener('abort', () => {
        sawAbort = true;
        resolve({ counts: {}, problems: [] });
      })),
    };
    const s = start(db, [task], clock);
    await s.stop();
    scheduler = undefined;
    expect(sawAbort).toBe(true);
    expect(listScheduleRuns(db)[0]).toMatchObject({ outcome: 'interrupted' });

    clock.now = new Date(T0.getTime() + MIN);
    const again = countingTask('retention', 24 * 60 * MIN, clock);
    await start(db, [again], clock).idle();
    expect(again.runs).toEqual([clock.now]);
  });
});

describe('the minute heartbeat', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it('ticks once a minute until stopped', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-03T10:00:30Z') });
    const ticks: number[] = [];
    const heartbeat = minuteHeartbeat()(() => ticks.push(Date.now()));
    await vi.advanceTimersByTimeAsync(3 * MIN);
    expect(ticks.map((t) => new Date(t).toISOString())).toEqual([
      '2026-11-03T10:01:00.000Z', '2026-11-03T10:02:00.000Z', '2026-11-03T10:03:00.000Z',
    ]);
    heartbeat.stop();
    await vi.advanceTimersByTimeAsync(3 * MIN);
    expect(ticks).toHaveLength(3);
  });

  // Time review: node-cron rounded "now" in local time; in the hour repeated when clocks go
  // back it found no minute due, and the scheduler paused for the hour while its timer spun.
  it.each([
    ['Europe/Berlin', '2026-10-25T00:58:30Z'],
    ['America/New_York', '2026-11-01T05:58:30Z'],
  ])('ticks every minute through the hour repeated when clocks go back (TZ=%s), one timer a minute', async (tz, start) => {
    process.env.TZ = tz;
    vi.useFakeTimers({ now: new Date(start) });
    const ticks: number[] = [];
    const heartbeat = minuteHeartbeat()(() => ticks.push(Date.now()));
    await vi.advanceTimersByTimeAsync(90 * MIN);
    heartbeat.stop();
    expect(ticks).toHaveLength(90);
    expect(ticks.every((t, i) => i === 0 || t - ticks[i - 1]! === MIN)).toBe(true);
  });

  it('a wall clock stepped back an hour, or forward a day, delays a tick by a minute at most', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-03T10:00:30Z') });
    const ticks: number[] = [];
    const heartbeat = minuteHeartbeat()(() => ticks.push(Date.now()));
    await vi.advanceTimersByTimeAsync(2 * MIN);
    vi.setSystemTime(Date.now() - 60 * MIN); // NTP steps the clock back
    await vi.advanceTimersByTimeAsync(3 * MIN);
    vi.setSystemTime(Date.now() + 24 * 60 * MIN); // and forward a day
    await vi.advanceTimersByTimeAsync(3 * MIN);
    heartbeat.stop();
    // Two ticks, then one a minute after each step: no silence as long as the step, no burst of missed ones.
    expect(ticks).toHaveLength(8);
  });
});
