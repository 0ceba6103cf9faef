import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { MAX_INTERRUPTED_RUNS, startJobRunner } from '../../src/jobs/job-runner.ts';
import { retryDelayMs } from '../../src/jobs/retry-delay.ts';
import { silentLogger } from '../../src/log.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { createDaemonEvents } from '../../src/store/daemon-events.ts';
import { addEvent, listEvents } from '../../src/store/events.ts';
import { enqueueJob, jobsForRequest } from '../../src/store/jobs.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { insertRequest } from '../../src/store/requests.ts';

describe('retryDelayMs', () => {
  it.each([
    [1, 0, 2_500], [1, 1, 5_000], [2, 1, 10_000], [3, 0, 10_000], [20, 1, 30 * 60_000],
  ])('attempt %i with random %f waits %i ms', (attempt, r, expected) => {
    expect(retryDelayMs(attempt, { random: () => r })).toBe(expected);
  });

  it('never waits less than Retry-After', () => {
    expect(retryDelayMs(1, { random: () => 0, retryAfterSeconds: 120 })).toBe(120_000);
  });
});

/** A request row for jobs to belong to. */
const insertTestRequest = (db: ReturnType<typeof openMemoryDatabase>, token = 't') => insertRequest(db, {
  token, state: 'received', route: 'default', provider: 'p', requester: 'a@x.example', subject: '', messageId: null,
  record: null, signers: [], dueDate: '2026-12-01', documents: [],
}, new Date());

describe('the job runner', () => {
  const request = () => {
    const db = openMemoryDatabase();
    return { db, id: insertTestRequest(db) };
  };

  it('retries transient failures and finishes the job once it succeeds', async () => {
    const { db, id } = request();
    let calls = 0;
    const runner = startJobRunner({
      db, logger: silentLogger(), retryBaseMs: 1,
      handlers: {
        submit: { async run() { calls++; if (calls < 3) throw new SignrelayError('transient', 'net', 'connection reset'); } },
        mail: { async run() { throw new Error('unexpected'); } },
      },
    });
    enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    runner.poke();
    await expect.poll(() => jobsForRequest(db, id)[0]?.state, { timeout: 60_000 }).toBe('done');
    await runner.stop();
    expect(calls).toBe(3);
    expect(jobsForRequest(db, id)[0]?.attempts).toBe(3);
  });

  it('starts no job again once mayStart says no (the database went back under the daemon), and says it is idle', async () => {
    const { db, id } = request();
    let allowed = true;
    const ran: string[] = [];
    const runner = startJobRunner({
      db, logger: silentLogger(), mayStart: () => allowed,
      handlers: { mail: { async run(job) { ran.push(String(job.payload.n)); } } },
    });
    enqueueJob(db, { kind: 'mail', requestId: id, payload: { n: 1 } }, new Date());
    await runner.idle();
    expect(ran).toEqual(['1']);
    allowed = false;
    enqueueJob(db, { kind: 'mail', requestId: id, payload: { n: 2 } }, new Date());
    await runner.idle();
    allowed = true; // too late: a runner that stopped starting jobs does not start again
    runner.poke();
    await runner.idle();
    await runner.stop();
    expect(ran).toEqual(['1']);
    expect(jobsForRequest(db, id).map((j) => j.state)).toEqual(['done', 'pending']);
  });

  // Time review: a retry set 1 s ahead waited the hour the wall clock was stepped back by
  // (an NTP step), and a 429's pause held every provider job as long.
  it('runs a retry at once after the wall clock was stepped back, not an hour later', async () => {
    const { db, id } = request();
    const clock = { offsetMs: 0 };
    let calls = 0;
    const log = createTestLogger('debug');
    // Once its retry is recorded (about a second ahead), the clock steps back an hour: on the
    // runner's own event, not on a timer — a timer raced the retry on a stalled machine.
    const events = createDaemonEvents(db, (_event, err) => { throw err; });
    events.on('job', (attempt) => {
      if (attempt.outcome === 'retry' && attempt.attempt === 1) clock.offsetMs = -60 * 60_000;
    });
    const runner = startJobRunner({
      db, logger: log.logger, retryBaseMs: 1_000, idleCheckMs: 100, now: () => new Date(Date.now() + clock.offsetMs), events,
      handlers: {
        submit: { async run() {
          calls++;
          if (calls === 1) throw new SignrelayError('transient', 'net', 'connection reset');
        } },
        mail: { async run() { throw new Error('unexpected'); } },
      },
    });
    enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    runner.poke();
    await expect.poll(() => jobsForRequest(db, id)[0]?.state, { timeout: 60_000 }).toBe('done');
    await runner.stop();
    expect(calls).toBe(2);
    expect(log.entries.some((e) => e.message.startsWith('the clock was stepped back since these jobs were scheduled'))).toBe(true);
  });

  it('gives up at once on a permanent failure and says why', async () => {
    const { db, id } = request();
    const givenUp: string[] = [];
    const runner = startJobRunner({
      db, logger: silentLogger(),
      handlers: {
        submit: { async run() { throw new SignrelayError('permanent', 'bad', 'the provider refused the document'); }, onGiveUp: (_job, reason) => givenUp.push(reason) },
        mail: { async run() {} },
      },
    });
    enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    runner.poke();
    await expect.poll(() => jobsForRequest(db, id)[0]?.state, { timeout: 60_000 }).toBe('failed');
    await runner.stop();
    expect(givenUp).toEqual(['the provider refused the document']);
    expect(jobsForRequest(db, id)[0]?.lastError).toBe('the provider refused the document');
  });

  it('commits a job\'s failure together with what giving up does to its request, or neither', async () => {
    const { db, id } = request();
    let runs = 0;
    let giveUps = 0;
    const runner = startJobRunner({
      db, logger: silentLogger(), retryBaseMs: 1,
      handlers: {
        submit: {
          async run() { runs++; throw new SignrelayError('permanent', 'bad', 'the provider refused the document'); },
          onGiveUp: (job) => {
            giveUps++;
            addEvent(db, { requestId: job.requestId, kind: 'note', detail: { gaveUp: giveUps } }, new Date());
            // The first time, recording what giving up means fails half-way: the database is locked.
            if (giveUps === 1) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
          },
        },
        mail: { async run() {} },
      },
    });
    enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    runner.poke();
    await expect.poll(() => jobsForRequest(db, id)[0]?.state, { timeout: 60_000 }).toBe('failed');
    await runner.stop();
    // The first give-up left nothing behind (neither the failed job nor its note), and the job gave up again.
    expect({ runs, giveUps }).toEqual({ runs: 2, giveUps: 2 });
    expect(listEvents(db, id).filter((e) => e.kind === 'note').map((e) => e.detail)).toEqual([{ gaveUp: 2 }]);
  });

  it('counts a run as interrupted until its outcome is recorded, and gives up a job the process stopped under too often in a row', async () => {
    const { db, id } = request();
    const interrupted = (jobId: number) => (db.prepare('SELECT interrupted FROM jobs WHERE id = ?').get(jobId) as { interrupted: number }).interrupted;
    const during: number[] = [];
    const givenUp: string[] = [];
    let runs = 0;
    const runner = startJobRunner({
      db, logger: silentLogger(),
      handlers: {
        submit: { async run(job) { runs++; during.push(interrupted(job.id)); }, onGiveUp: (_job, reason) => givenUp.push(reason) },
        mail: { async run() {} },
      },
    });
    // One stopped under nine times: run once more (and its count cleared); one stopped under ten times: given up, not run.
    const nine = enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    db.prepare('UPDATE jobs SET interrupted = ? WHERE id = ?').run(MAX_INTERRUPTED_RUNS - 1, nine);
    const other = insertTestRequest(db, 't2');
    const ten = enqueueJob(db, { kind: 'submit', requestId: other }, new Date());
    db.prepare('UPDATE jobs SET interrupted = ? WHERE id = ?').run(MAX_INTERRUPTED_RUNS, ten);
    runner.poke();
    await expect.poll(() => [jobsForRequest(db, id)[0]?.state, jobsForRequest(db, other)[0]?.state], { timeout: 60_000 }).toEqual(['done', 'failed']);
    await runner.stop();
    expect({ runs, during }).toEqual({ runs: 1, during: [MAX_INTERRUPTED_RUNS] });
    expect([interrupted(nine), interrupted(ten)]).toEqual([0, 0]);
    expect(givenUp).toEqual([`the process stopped ${MAX_INTERRUPTED_RUNS} times in a row while this job ran; it is not run again (see the log before each stop)`]);
  });

  it('fails a job whose giving up itself fails (not the database), instead of running it again and again', async () => {
    const { db, id } = request();
    let runs = 0;
    let mails = 0;
    const runner = startJobRunner({
      db, logger: silentLogger(),
      handlers: {
        submit: { async run() { runs++; throw new SignrelayError('permanent', 'bad', 'refused'); }, onGiveUp: () => { throw new SignrelayError('permanent', 'bad_transition', 'cannot go from cancelled to failed'); } },
        mail: { async run() { mails++; } },
      },
    });
    enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    enqueueJob(db, { kind: 'mail' }, new Date());
    runner.poke();
    await expect.poll(() => jobsForRequest(db, id)[0]?.state, { timeout: 60_000 }).toBe('failed');
    await expect.poll(() => mails, { timeout: 60_000 }).toBe(1);
    await runner.stop();
    expect(runs).toBe(1);
  });

  it('gives up on transient failures after the maximum attempts', async () => {
    const { db, id } = request();
    const runner = startJobRunner({
      db, logger: silentLogger(), retryBaseMs: 1, maxAttempts: 3,
      handlers: { submit: { async run() { throw new SignrelayError('transient', 'net', 'timeout'); } }, mail: { async run() {} } },
    });
    enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    runner.poke();
    await expect.poll(() => jobsForRequest(db, id)[0]?.state, { timeout: 60_000 }).toBe('failed');
    await runner.stop();
    expect(jobsForRequest(db, id)[0]).toMatchObject({ attempts: 3, lastError: 'gave up after 3 attempts: timeout' });
  });
});

describe('work queued while the runner runs', () => {
  const setUp = () => {
    const db = openMemoryDatabase();
    const ids = ['a', 'b'].map((token) => insertTestRequest(db, token));
    const runs: string[] = [];
    const done = () => ids.flatMap((id) => jobsForRequest(db, id)).filter((j) => j.state === 'done').length;
    return { db, ids, runs, done };
  };

  it('runs each job once when a handler queues work and pokes before its first await', async () => {
    const { db, ids, runs, done } = setUp();
    for (const id of ids) enqueueJob(db, { kind: 'command', requestId: id }, new Date());
    // Started on jobs already queued: its first pass runs them, and each handler pokes the runner
    // from inside that pass's start, as the reply command's handler does when it queues its answer.
    // Like the reply command's handler, it answers once: run again, it finds its answer queued and does nothing.
    const answered = new Set<string | null>();
    const runner: ReturnType<typeof startJobRunner> = startJobRunner({
      db, logger: silentLogger(), concurrency: 4,
      handlers: {
        command: {
          async run(job) {
            runs.push(`command ${job.requestId}`);
            if (answered.has(job.requestId)) return;
            answered.add(job.requestId);
            enqueueJob(db, { kind: 'mail', requestId: job.requestId }, new Date());
            runner.poke();
          },
        },
        mail: { async run(job) { runs.push(`mail ${job.requestId}`); } },
      },
    });
    await expect.poll(done, { timeout: 60_000 }).toBe(4);
    await runner.stop();
    expect(runs.sort()).toEqual([...ids.map((id) => `command ${id}`), ...ids.map((id) => `mail ${id}`)].sort());
  });

  it('runs a job queued just as a pass ends at once, not at the next look (an hour here)', async () => {
    const { db, ids, runs, done } = setUp();
    const runner = startJobRunner({
      db, logger: silentLogger(), idleCheckMs: 3_600_000,
      handlers: { mail: { async run(job) { runs.push(`mail ${job.requestId}`); } } },
    });
    // idle() resolves as the pass ends, before the runner has put it down: the poke lands in between.
    await runner.idle();
    for (const id of ids) enqueueJob(db, { kind: 'mail', requestId: id }, new Date());
    runner.poke();
    await expect.poll(done, { timeout: 60_000 }).toBe(2);
    await runner.stop();
    expect(runs).toHaveLength(2);
  });
});

describe('credential failures', () => {
  it('are retried slowly instead of failing the request', async () => {
    const db = openMemoryDatabase();
    const id = insertRequest(db, {
      token: 't2', state: 'received', route: 'default', provider: 'p', requester: 'a@x.example', subject: '', messageId: null,
      record: null, signers: [], dueDate: '2026-12-01', documents: [],
    }, new Date());
    const runner = startJobRunner({
      db, logger: silentLogger(), authRetryMs: 60_000,
      handlers: { submit: { async run() { throw new SignrelayError('auth', 'provider_auth', 'the API secret was refused: check provider.api_secret'); } }, mail: { async run() {} } },
    });
    const before = Date.now();
    enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    runner.poke();
    await expect.poll(() => jobsForRequest(db, id)[0]?.lastError, { timeout: 60_000 }).toContain('provider.api_secret');
    await runner.stop();
    const job = jobsForRequest(db, id)[0]!;
    expect(job.state).toBe('pending');
    // Waiting for the fix is not an attempt: a long outage leaves all of them for later.
    expect(job.attempts).toBe(0);
    expect(new Date(job.runAt).getTime() - before).toBeGreaterThanOrEqual(60_000);
  });
});
