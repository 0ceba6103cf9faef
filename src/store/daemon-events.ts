// The daemon's lifecycle as one typed event map (as graphile/worker's WorkerEventMap): a
// request's transitions, job attempts, mail filed, the watchers' state, scheduled runs.
// The parts tell it what they already know — the store what it committed, the job runner
// each attempt, a watcher its state; the daemon creates it (`daemon.events`), and the
// metrics, the demo and the tests listen instead of asking the database again and again.
// Beside the store because the store tells most of it (a transition, a mail filed): a
// database the daemon opened carries its emitter, and the store announces only what was
// committed — never a transition a rolled-back transaction undid.
import { createTypedEvents, type TypedEvents } from '../typed-events.ts';
import type { JobKind } from './jobs.ts';
import type { MessageOutcome } from './messages.ts';
import type { Db } from './open-database.ts';
import type { RequestState } from './request-states.ts';
import type { RunOutcome } from './schedule-runs.ts';

/** A request moved (`from` null: it was created in `to`). */
export interface RequestTransition {
  requestId: string;
  from: RequestState | null;
  to: RequestState;
  at: Date;
  reason?: string;
}

/** One attempt of a job ended: done, to be tried again (or waiting for a service or an operator), or given up. */
export interface JobAttempt {
  jobId: number;
  kind: JobKind;
  requestId: string | null;
  /** 1 for the first attempt. */
  attempt: number;
  outcome: 'done' | 'retry' | 'failed';
  /** The SignrelayError code of a failure ('unexpected' for any other error). */
  code?: string;
}

/** A mail left its watched folder for `folder`, with the outcome and reason recorded for it. */
export interface MailFiled {
  /** The watcher's name, the key under `mailboxes` (requests, returns). */
  mailbox: string;
  messageId: string | null;
  folder: string;
  outcome: MessageOutcome;
  reason: string;
  requestId: string | null;
}

/**
 * connected: logged in and working on the folder; idle: waiting in IMAP IDLE; reconnecting:
 * the connection failed or ended and the next attempt waits out its backoff; stopped.
 */
export type WatcherPhase = 'connected' | 'idle' | 'reconnecting' | 'stopped';

export interface WatcherChange {
  mailbox: string;
  state: WatcherPhase;
  /** reconnecting: the error code of the failure, when there was one. */
  code?: string;
}

export interface SchedulerRun {
  task: string;
  outcome: Exclude<RunOutcome, 'running'>;
  error: string | null;
}

export interface DaemonEventMap {
  request: [transition: RequestTransition];
  job: [attempt: JobAttempt];
  mail: [filed: MailFiled];
  watcher: [change: WatcherChange];
  scheduler: [run: SchedulerRun];
}

export type DaemonEvents = TypedEvents<DaemonEventMap>;

const DAEMON_EVENT_NAMES = ['request', 'job', 'mail', 'watcher', 'scheduler'] as const satisfies ReadonlyArray<keyof DaemonEventMap>;

/** Calls `listener` after every event, whatever it is (a watcher of the whole: the demo, tests); returns the unsubscribe. */
export function onAnyEvent(events: Pick<DaemonEvents, 'on'>, listener: () => void): () => void {
  const stops = DAEMON_EVENT_NAMES.map((name) => events.on(name, listener));
  return () => stops.forEach((stop) => stop());
}
/** What a part that only tells needs. */
export type DaemonEventSink = Pick<DaemonEvents, 'emit'>;

const emitters = new WeakMap<Db, DaemonEvents>();

/**
 * The daemon's events, bound to its database so the store can tell them. A listener that
 * throws is reported to `onListenerError`, never to the part that emitted.
 */
export function createDaemonEvents(db: Db, onListenerError: (event: string, err: unknown) => void): DaemonEvents {
  const events = createTypedEvents<DaemonEventMap>(onListenerError);
  emitters.set(db, events);
  return events;
}

interface Announcement {
  /** Whether what was written is still there once the transaction ended (false: rolled back). */
  committed(): boolean;
  tell(events: DaemonEvents): void;
}

/** Announcements written inside a transaction, told when it has ended (in the order written). */
const pending = new WeakMap<Db, Announcement[]>();

/**
 * Tells the database's events (if the daemon bound any) something the store wrote: at once
 * outside a transaction, else once the transaction has ended and only if it was committed.
 * better-sqlite3's transactions are synchronous, so a microtask runs after their end.
 */
export function announce(db: Db, announcement: Announcement): void {
  const events = emitters.get(db);
  if (!events) return;
  const queue = pending.get(db);
  if (queue) {
    queue.push(announcement);
  } else if (db.inTransaction) {
    pending.set(db, [announcement]);
    queueMicrotask(() => flush(db, events));
  } else {
    announcement.tell(events);
  }
}

function flush(db: Db, events: DaemonEvents): void {
  // A transaction opened by hand may span an await: look again once it may have ended.
  if (db.open && db.inTransaction) {
    setImmediate(() => flush(db, events));
    return;
  }
  const queue = pending.get(db) ?? [];
  pending.delete(db);
  for (const announcement of queue) {
    if (db.open && announcement.committed()) announcement.tell(events);
  }
}
