// The supervised watcher for one IMAP folder: a new ImapFlow for every (re)connect — with an
// OAuth2 account, logged in with an access token fetched just before (fresh enough to
// outlive the login; a token the server refused is replaced) — reconnect backoff that resets
// only after a stable connection, per-folder UIDVALIDITY tracking, the deferred-retry
// schedule, status for health checks and typed lifecycle events. The work on a single
// connection lives in watch-session.ts / watch-pass.ts.
import type { ImapFlow } from 'imapflow';
import type { Logger } from 'winston';
import type { ImapAccountConfig } from '../config/schema.ts';
import { accountLabel } from '../config/return-account.ts';
import { SignrelayError, describeError } from '../errors.ts';
import type { DaemonEventSink, WatcherPhase } from '../store/daemon-events.ts';
import { classifyImapError } from './classify-imap-error.ts';
import { classifyImapLoginError, createImapClient, IMAP_NO_IDLE_POLL_MS, pollWithoutIdle, type ImapClientOptions } from './imap-client.ts';
import type { MailTokenSource } from './mail-oauth-token.ts';
import { createReconnectBackoff, type BackoffPolicy, type ReconnectBackoffOptions } from './reconnect-backoff.ts';
import { createRetrySchedule, DEFAULT_MESSAGE_RETRY_POLICY } from './retry-schedule.ts';
import { createTypedEvents, type Listener } from '../typed-events.ts';
import type { Guard } from './imap-guard.ts';
import { openWatchSession, type WatchSession } from './watch-session.ts';
import type { MessageOutcome, WatchedMessage } from './watched-message.ts';
import { messagePlace } from './message-place.ts';
import { describeQuota, quotaConsequence, quotaFix, quotaLevel, quotaRatio, type QuotaLevel, type QuotaUsage } from '../mail-quota.ts';
import type { QuotaReading } from './read-quota.ts';
import { monotonicMs, wallClockOf } from '../time.ts';

/** How long a reconnect waits for the dead session's handler to finish. */
const HANDLER_SETTLE_LIMIT_MS = 60_000;

export type { MessageOutcome, WatchedMessage } from './watched-message.ts';

export const DEFAULT_LIVENESS_INTERVAL_MS = 60_000;
/**
 * How often each watcher asks how full its account is (GETQUOTAROOT), besides once after
 * connecting: an account fills over weeks, and a reading a quarter of an hour old tells in
 * time — one small command per connection, not one per pass.
 */
export const QUOTA_READ_INTERVAL_MS = 15 * 60_000;
/**
 * A quota read unanswered this long ends the connection: mail waits behind it, and the liveness
 * probe does not run meanwhile (a slow dirsize count is no dead connection; diff review 26 L2).
 */
export const QUOTA_READ_TIMEOUT_MS = 60_000;
export const MAX_LIVENESS_TIMEOUT_MS = 15_000;

/**
 * How long the liveness NOOP may take: at most half the interval. A connection that dies right
 * after a probe answered is noticed when the next probe times out, interval + timeout later, so
 * this keeps detection within 1.5 intervals and leaves the other half for the reconnect — a
 * dead connection is replaced within 2× the interval (measured in test/faults/).
 */
export function livenessTimeoutFor(intervalMs: number, requestedMs = MAX_LIVENESS_TIMEOUT_MS): number {
  return Math.max(1, Math.min(requestedMs, Math.floor(intervalMs / 2)));
}

export interface WatcherOptions {
  /** The key under `mailboxes` (e.g. `requests`): names log fields and config hints. */
  name: string;
  account: ImapAccountConfig;
  /** The settings the login comes from when not `mailboxes.NAME.user`/`.password` (return-account.ts returnLoginSettings). */
  loginSettings?: { user: string; password: string };
  folder: string;
  /** Created at every connect when missing (e.g. Processed, Rejected). */
  ensureFolders: string[];
  /** Must commit its outcome durably BEFORE answering `moveTo`. May be called again for a
   *  message it already finished (a MOVE whose answer was lost): dedupe. */
  handle(message: WatchedMessage): Promise<MessageOutcome>;
  onMoved?(message: WatchedMessage, folder: string): void | Promise<void>;
  /** A mail that was gone from the folder when it was moved: another program took it meanwhile (see watch-pass.ts takenElsewhere). */
  onTakenElsewhere?(message: WatchedMessage): void;
  /**
   * The UIDs in the watched folder at the start of each pass (a reconnect's catch-up first),
   * before any of them is handed over and after every handler of an earlier pass answered: a
   * mail handled but missing from them left by a MOVE whose answer was lost. `place` is
   * the folder's, as in WatchedMessage (message-place.ts).
   */
  onListed?(place: string, present: ReadonlySet<number>): void;
  onUidValidityChange?(folder: string, oldValue: string, newValue: string): void;
  /** NOOP probe period while idle (default 60 s). */
  livenessIntervalMs?: number;
  /** How long the probe NOOP may take (default 15 s; never more than half the interval, see livenessTimeoutFor). */
  livenessTimeoutMs?: number;
  /** How long a quota read may take before the connection is given up as the liveness probe would (default QUOTA_READ_TIMEOUT_MS). */
  quotaTimeoutMs?: number;
  /** Reconnect delays (default 1 s … 5 min, decorrelated jitter, reset after STABLE_CONNECTION_MS). */
  reconnect?: ReconnectBackoffOptions;
  /** Delays for messages answered with `retryLater` (default 30 s … 30 min, full jitter). */
  messageRetry?: Partial<BackoffPolicy>;
  /** Messages handled at once (default 1); the handler must then cope with two copies of one mail at once. */
  concurrency?: number;
  /** Senders (lower case) whose mails are taken first in each sender's turn (mail/pass-order.ts). */
  knownSenders?: () => ReadonlySet<string>;
  logger: Logger;
  /** Auth type oauth2: where the access token for each new connection comes from. */
  tokenSource?: MailTokenSource | undefined;
  createClient?: (account: ImapAccountConfig, logger: Logger, options?: ImapClientOptions) => ImapFlow;
  /** Told each change of state (`watcher`, as `name`). */
  events?: DaemonEventSink;
  /**
   * The folders signrelay files into in this account, which only grow — what a full account's
   * fix names (default: ensureFolders but the watched one). The daemon names those of both
   * watchers when they share the account.
   */
  filingFolders?: readonly string[];
  /** How often the account's quota is read (default QUOTA_READ_INTERVAL_MS), the read after each connect aside. */
  quotaIntervalMs?: number;
}

export type WatcherState = 'connecting' | 'connected' | 'idle' | 'backoff' | 'stopped' | 'auth-error';

/** How the daemon's events tell a state: connecting is not told (it ends connected, or reconnecting). */
const PHASES: Record<WatcherState, WatcherPhase | null> = {
  connecting: null, connected: 'connected', idle: 'idle', backoff: 'reconnecting', 'auth-error': 'reconnecting', stopped: 'stopped',
};

export interface WatcherStatus {
  state: WatcherState;
  lastHeartbeatAt: Date | null;
  lastError: SignrelayError | null;
  lastErrorAt: Date | null;
  /** Connection attempts after the first one. */
  reconnects: number;
  connectedSince: Date | null;
  /** When the next connection attempt is due (state backoff / auth-error). */
  nextAttemptAt: Date | null;
  uidValidity: string | null;
  /**
   * The three moments above on the monotonic clock (time.ts monotonicMs): the systemd watchdog
   * judges silence by these, since a wall clock stepped forward (NTP, `date -s`) would make a
   * watcher heard a minute ago look deaf for minutes, and the service be killed.
   */
  monotonic: { lastHeartbeat: number | null; connectedSince: number | null; nextAttempt: number | null };
  /**
   * Mails left in the folder to be tried again (a worker's temp directory full, a service
   * down): how many, since when the oldest has waited, and why the latest was — for status and
   * /healthz, which count jobs, not mails (env review M2).
   */
  deferred: { mails: number; since: Date | null; reason: string | null };
  /**
   * How full the account is, as its server last said (GETQUOTAROOT): null when it offers no
   * QUOTA or gave no limit; else the fullest limit of all its quota roots. `account` (`sign on imap.corp.example`) and `folders` are
   * what a problem names. Optional for the status of a watcher from before.
   */
  quota?: WatcherQuota | null;
}

export interface WatcherQuota extends QuotaUsage {
  account: string;
  folders: readonly string[];
  readAt: Date;
}

export interface WatcherEvents {
  connected: [info: { uidValidity: string; exists: number }];
  disconnected: [info: { error: SignrelayError | null }];
  processed: [message: WatchedMessage, folder: string];
  deferred: [message: WatchedMessage, reason: string, retryInMs: number];
  heartbeat: [at: Date];
  error: [error: SignrelayError];
  /** A quota reading at or past the warning threshold (mail-quota.ts), at each read while it lasts. */
  quota: [quota: WatcherQuota, level: Exclude<QuotaLevel, 'ok'>];
}

export interface ImapWatcher {
  /** Graceful: no new passes, the message in hand is finished (and moved), LOGOUT, timers cleared. */
  stop(): Promise<void>;
  status(): WatcherStatus;
  on<K extends keyof WatcherEvents>(event: K, listener: Listener<WatcherEvents[K]>): () => void;
}

export function startImapWatcher(options: WatcherOptions): ImapWatcher {
  const logger = options.logger.child({ mailbox: options.name, folder: options.folder });
  const events = createTypedEvents<WatcherEvents>((event, err) =>
    logger.warn('watcher event listener failed', { event, error: describeError(err) }));
  const backoff = createReconnectBackoff(options.reconnect);
  const retries = createRetrySchedule({ ...DEFAULT_MESSAGE_RETRY_POLICY, ...options.messageRetry });
  const uidValidities = new Map<string, string>();
  const createClient = options.createClient ?? ((account, log, clientOptions) => createImapClient(account, log, clientOptions));
  const livenessIntervalMs = options.livenessIntervalMs ?? DEFAULT_LIVENESS_INTERVAL_MS;
  const errorContext = { mailbox: options.name, host: options.account.host, port: options.account.port, user: options.account.user, ...(options.loginSettings ? { loginSettings: options.loginSettings } : {}) };
  const watchedFolderContext = { ...errorContext, folder: options.folder, folderSetting: `mailboxes.${options.name}.folder` };
  const status: WatcherStatus = {
    state: 'connecting', lastHeartbeatAt: null, lastError: null, lastErrorAt: null, reconnects: 0,
    connectedSince: null, nextAttemptAt: null, uidValidity: null,
    monotonic: { lastHeartbeat: null, connectedSince: null, nextAttempt: null },
    deferred: { mails: 0, since: null, reason: null },
    quota: null,
  };
  const accountName = accountLabel(options.account);
  const filingFolders = options.filingFolders ?? options.ensureFolders.filter((f) => f !== options.folder);
  const quotaIntervalMs = options.quotaIntervalMs ?? QUOTA_READ_INTERVAL_MS;
  /** The last quota read: when it started (monotonic), whether it was answered, the level it found. */
  const quotaRead: { startedAt: number | null; answered: boolean; level: QuotaLevel; toldUnsupported: boolean } = { startedAt: null, answered: true, level: 'ok', toldUnsupported: false };
  let lastDeferReason: string | null = null;
  /** Whether the server's lack of IDLE was logged: once per watcher, not at every reconnect. */
  let toldNoIdle = false;
  let stopping = false;
  let session: WatchSession | null = null;
  let wake: (() => void) | null = null;
  let signalStop: () => void = () => {};
  const stopped = new Promise<null>((resolve) => (signalStop = () => resolve(null)));

  const setState = (state: WatcherState, error?: SignrelayError | null) => {
    if (status.state === state) return;
    status.state = state;
    const phase = PHASES[state];
    if (phase) options.events?.emit('watcher', { mailbox: options.name, state: phase, ...(error ? { code: error.code } : {}) });
  };

  const report = (error: SignrelayError) => {
    status.lastError = error;
    status.lastErrorAt = new Date();
    events.emit('error', error);
  };

  function noteUidValidity(client: ImapFlow): string {
    if (!client.mailbox) {
      throw new SignrelayError('transient', 'imap_not_selected', `The IMAP folder "${options.folder}" is not selected.`);
    }
    const value = client.mailbox.uidValidity.toString();
    const folder = options.folder;
    const previous = uidValidities.get(folder);
    uidValidities.set(folder, value);
    status.uidValidity = value;
    if (previous !== undefined && previous !== value) {
      // Stored UIDs mean nothing now; the handler dedupes by Message-ID.
      retries.clear();
      logger.warn('imap uidvalidity changed', { previous, current: value });
      try {
        options.onUidValidityChange?.(folder, previous, value);
      } catch (err) {
        logger.warn('onUidValidityChange callback failed', { error: describeError(err) });
      }
    }
    return value;
  }

  async function createFolder(client: ImapFlow, folder: string, guard: Guard): Promise<void> {
    try {
      const result = await guard(client.mailboxCreate(folder));
      if (result?.created) logger.info('imap folder created', { created: folder });
    } catch (err) {
      if (!client.usable) throw err;
      const detail = classifyImapError(err, { ...errorContext, folder }).message;
      throw new SignrelayError('config', 'imap_folder_create_failed',
        `Could not create the IMAP folder "${folder}" (${detail}). Create it by hand, or fix the folder ` +
        `names under mailboxes.${options.name}.`, { cause: err });
    }
  }

  /**
   * The access token for the next connection (none for a password account); null when the
   * watcher stopped meanwhile. `rejected`: the server refused this token last time.
   */
  async function accessTokenFor(rejected: string | undefined): Promise<string | undefined | null> {
    if (!options.tokenSource) return undefined;
    const pending = options.tokenSource.accessToken({ rejected });
    pending.catch(() => {}); // a request still under way when the watcher stops fails unheard
    const token = await Promise.race([pending, stopped]);
    return token === null ? null : token.value;
  }

  function noteQuota(reading: QuotaReading): void {
    quotaRead.answered = true;
    if (reading.kind !== 'usage') {
      status.quota = null;
      if (reading.kind === 'unsupported' && !quotaRead.toldUnsupported) {
        quotaRead.toldUnsupported = true;
        logger.info('the IMAP server does not report the account\'s quota: signrelay cannot tell when it fills up; watch it on the mail server');
      }
      return;
    }
    const quota: WatcherQuota = { ...reading.usage, account: accountName, folders: filingFolders, readAt: new Date() };
    status.quota = quota;
    const level = quotaLevel(quota);
    const previous = quotaRead.level;
    quotaRead.level = level;
    const fields = { account: accountName, quota: describeQuota(quota), quotaRoot: quota.root ?? undefined };
    if (level === 'ok') {
      if (previous !== 'ok') logger.info('the IMAP account has room again', fields);
      return;
    }
    if (level !== previous) {
      logger.log(level === 'full' ? 'error' : 'warn', `the IMAP account is ${level === 'full' ? 'full' : 'nearly full'}: ${quotaConsequence(quotaRatio(quota))}; ${quotaFix(filingFolders)}`, fields);
    }
    events.emit('quota', quota, level);
  }

  function startSession(accessToken: string | undefined): WatchSession {
    const client = createClient(options.account, logger, { accessToken });
    return openWatchSession(client, {
      mailbox: options.name,
      folder: options.folder,
      place: (uidValidity) => messagePlace(options.account, options.folder, uidValidity),
      ensureFolders: options.ensureFolders,
      logger,
      retries,
      handle: options.handle,
      onMoved: options.onMoved,
      onTakenElsewhere: options.onTakenElsewhere,
      onListed: options.onListed,
      knownSenders: options.knownSenders,
      concurrency: Math.max(1, options.concurrency ?? 1),
      livenessIntervalMs,
      livenessTimeoutMs: livenessTimeoutFor(livenessIntervalMs, options.livenessTimeoutMs),
      quotaTimeoutMs: options.quotaTimeoutMs ?? QUOTA_READ_TIMEOUT_MS,
      isStopping: () => stopping,
      heartbeat() {
        status.lastHeartbeatAt = new Date();
        status.monotonic.lastHeartbeat = monotonicMs();
        events.emit('heartbeat', status.lastHeartbeatAt);
      },
      setActivity(activity) {
        if (!stopping) setState(activity);
      },
      onReady(info) {
        if (pollWithoutIdle(client) && !toldNoIdle) {
          toldNoIdle = true;
          logger.info('the IMAP server does not offer IDLE: signrelay polls the folder for new mail (every pollIntervalMs) instead of being told of it at once', { pollIntervalMs: IMAP_NO_IDLE_POLL_MS });
        }
        backoff.markConnected();
        status.connectedSince = new Date();
        status.monotonic.connectedSince = monotonicMs();
        setState('connected');
        logger.info('imap watcher connected', { ...info, reconnects: status.reconnects });
        events.emit('connected', info);
      },
      noteUidValidity,
      createFolder,
      processed: (message, folder) => events.emit('processed', message, folder),
      deferred: (message, reason, retryInMs) => {
        lastDeferReason = reason;
        events.emit('deferred', message, reason, retryInMs);
      },
      failed: report,
      account: accountName,
      filingFolders,
      quota: {
        // After a connect, unless the last read never came back (the connection died under it: a
        // read too slow for the connection would otherwise start every reconnect); then every interval.
        due: (atConnect) => quotaRead.startedAt === null || monotonicMs() - quotaRead.startedAt >= quotaIntervalMs || (atConnect && quotaRead.answered),
        started() {
          quotaRead.startedAt = monotonicMs();
          quotaRead.answered = false;
        },
        answered: noteQuota,
      },
    });
  }

  /** One connection: get the token, connect, run until it ends. Resolves with what ended it (null: stopped). */
  async function connectOnce(rejected: string | undefined): Promise<{ endedWith: unknown; accessToken: string | undefined }> {
    let accessToken: string | undefined | null;
    try {
      accessToken = await accessTokenFor(rejected);
    } catch (err) {
      // The token endpoint refused or failed: like a failed connect, it waits out the backoff.
      return { endedWith: err, accessToken: undefined };
    }
    if (accessToken === null || stopping) return { endedWith: null, accessToken: undefined };
    session = startSession(accessToken);
    const endedWith = await session.ended;
    // A handler of the dead session may still be committing its mail: let it finish
    // before a new session could hand the same mail to a second handler.
    await session.settled(HANDLER_SETTLE_LIMIT_MS);
    session = null;
    return { endedWith, accessToken };
  }

  async function supervise(): Promise<void> {
    let rejected: string | undefined;
    while (!stopping) {
      setState('connecting');
      const { endedWith, accessToken } = await connectOnce(rejected);
      const wasConnected = status.connectedSince !== null;
      status.connectedSince = null;
      status.monotonic.connectedSince = null;
      backoff.markDisconnected();
      const error = endedWith === null ? null : classifyImapLoginError(endedWith, watchedFolderContext, options.tokenSource);
      // A token the server refused is not offered again (it may have been revoked early).
      rejected = error?.kind === 'auth' && accessToken !== undefined ? accessToken : undefined;
      if (wasConnected) events.emit('disconnected', { error });
      if (stopping) break;
      const delay = backoff.nextDelayMs();
      setState(error?.kind === 'auth' ? 'auth-error' : 'backoff', error);
      status.nextAttemptAt = new Date(Date.now() + delay);
      status.monotonic.nextAttempt = monotonicMs() + delay;
      if (error) {
        // Wrong settings need the operator; a dropped connection heals by itself.
        const level = error.kind === 'auth' || error.kind === 'config' ? 'error' : 'warn';
        logger.log(level, 'imap watcher disconnected', { code: error.code, kind: error.kind, error: error.message, retryInMs: delay });
        report(error);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      status.nextAttemptAt = null;
      status.monotonic.nextAttempt = null;
      if (!stopping) status.reconnects += 1;
    }
    setState('stopped');
  }

  const running = supervise().catch((err) => {
    logger.error('imap watcher crashed', { error: describeError(err) });
    setState('stopped');
  });

  return {
    async stop() {
      if (!stopping) {
        stopping = true;
        signalStop();
        wake?.();
        await session?.shutdown();
      }
      await running;
      logger.info('imap watcher stopped');
    },
    status: () => {
      const { mails, since } = retries.waiting();
      const deferred = { mails, since: since === null ? null : wallClockOf(since), reason: mails > 0 ? lastDeferReason : null };
      return { ...status, deferred };
    },
    on: (event, listener) => events.on(event, listener),
  };
}
