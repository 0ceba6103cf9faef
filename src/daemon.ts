// Wires the daemon together: database, provider and ServiceNow clients, SMTP, the job
// runner, the scheduler and the two watchers (requests, returns). Nothing here decides anything; it only connects the parts and stops
// them in order (watchers and scheduler first, so no new work starts; then jobs; then the database).
import { describeProxies, proxySettingsFrom } from './http/proxy-route.ts';
import type { Config } from './config/schema.ts';
import { configWarnings } from './config/config-warnings.ts';
import { describeError, SignrelayError } from './errors.ts';
import { createMailHandler } from './jobs/send-mail.ts';
import { alertRaisedSince, raiseAlert } from './alerts/raise-alert.ts';
import { checkForRestore, type HistoryWatch } from './alerts/restore-alert.ts';
import { createCompleteHandler } from './completion/complete-request.ts';
import { createRecordUpdateHandler } from './completion/update-record.ts';
import { createCompletionMailHandler, RETURNS_MAILBOX } from './completion/process-completion-mail.ts';
import { accountLabel, filingFoldersOf, returnAccountOf, returnLoginSettings } from './config/return-account.ts';
import { mailboxFullAlert, raiseMailboxFullAlert } from './alerts/mailbox-full-alert.ts';
import { createServiceNowClient } from './servicenow/client.ts';
import type { ServiceNowApi } from './completion/deliver-to-servicenow.ts';
import { createSubmitHandler } from './intake/submit-request.ts';
import { createRequestMailHandler, fileUnprocessableRequestMail, REQUESTS_MAILBOX } from './intake/process-request-mail.ts';
import { withBounces } from './intake/process-bounce.ts';
import type { WatermarkLookup } from './intake/check-watermark.ts';
import { withAttemptLimit } from './mail/with-attempt-limit.ts';
import { intakePolicyFrom } from './intake/intake-policy.ts';
import { startJobRunner, type JobRunner } from './jobs/job-runner.ts';
import { operatorWaitAlert } from './alerts/operator-wait-alert.ts';
import type { Logger } from './log.ts';
import { startImapWatcher, type ImapWatcher, type WatcherOptions } from './mail/imap-watcher.ts';
import { startPdfPool, stopPdfPool } from './pdf/pdf-pool.ts';
import { warmMailParser } from './message/read-request-mail.ts';
import { createSmtpSender } from './mail/smtp-sender.ts';
import { createMailTokenSources } from './mail/mail-oauth-sources.ts';
import type { SigningProvider } from './providers/provider.ts';
import { createProvider } from './providers/create-provider.ts';
import { BlobStore } from './store/blobs.ts';
import { releaseJobsWaitingForFix } from './store/jobs.ts';
import { createDaemonEvents, type DaemonEvents } from './store/daemon-events.ts';
import { fileDeparted, markFiled } from './store/mail-filed.ts';
import { placeLegacyRows } from './store/messages.ts';
import { placePrefix } from './mail/message-place.ts';
import { loadToken, saveToken } from './store/oauth-tokens.ts';
import { databaseMoved, openDatabase, writeLockFailure, type Db } from './store/open-database.ts';
import { lockDataDir, type DataDirLock } from './store/data-dir-lock.ts';
import { buildVersion } from './store/schema-version.ts';
import { providerSwitchProblem } from './store/provider-switch.ts';
import { providerTraits } from './providers/provider-traits.ts';
import { knownRequesters } from './store/requests.ts';
import { DAY_MS, monotonicMs } from './time.ts';
import { startScheduler, type Scheduler } from './scheduler/scheduler.ts';
import { createSchedulerTasks } from './scheduler/scheduler-tasks.ts';
import { reviewCredentials } from './scheduler/review-credentials.ts';
import { startStatusReporter } from './health/status-reporter.ts';
import { createDaemonMetrics, type DaemonMetrics } from './health/daemon-metrics.ts';
import { createWithdrawHandler } from './completion/withdraw-after-refusal.ts';
import { createCancelHandler } from './completion/cancel-request.ts';
import { cancelReplyAnswerer } from './conversation/answer-cancel.ts';
import { createCommandHandler } from './conversation/carry-out-command.ts';
import { withReplyCommands } from './conversation/process-reply-mail.ts';
import pkg from '../package.json' with { type: 'json' };

export interface Daemon {
  db: Db;
  blobs: BlobStore;
  jobs: JobRunner;
  requestWatcher: ImapWatcher;
  returnWatcher: ImapWatcher;
  scheduler: Scheduler;
  metrics: DaemonMetrics;
  /** What happens, as it happens: requests' transitions, job attempts, mail filed, watchers, scheduled runs. */
  events: DaemonEvents;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  /** Tests inject a provider; the daemon builds the configured one otherwise. */
  provider?: SigningProvider;
  servicenow?: ServiceNowApi & WatermarkLookup;
  livenessIntervalMs?: number;
  retryBaseMs?: number;
  /** How long a write waits for another process's lock on the database (tests shorten it; default 5 s). */
  busyTimeoutMs?: number;
  /** Tests put a full disk behind the blob store; the daemon opens its own otherwise. */
  blobs?: BlobStore;
  /** Delays for mails the watchers retry (tests shorten them; default 30 s … 30 min). */
  messageRetry?: WatcherOptions['messageRetry'];
  /** The watchers' reconnect delays (tests shorten the longest; default 1 s … 5 min). */
  reconnect?: WatcherOptions['reconnect'];
  /**
   * The data dir's lock, when whoever starts the daemon holds it for longer (the running
   * service, across reloads); the daemon then neither takes nor releases it. Otherwise the
   * daemon takes it at start and lets it go when it stops.
   */
  lock?: DataDirLock;
  /** Told when the daemon cannot go on (its database file removed under it): whoever runs it stops it and exits non-zero. */
  onFatal?: (reason: string) => void;
}

/** A requester is known for this long after a request of theirs went out. */
const KNOWN_REQUESTER_DAYS = 365;
const KNOWN_REQUESTERS_FRESH_MS = 60_000;

/** How often the daemon looks whether its database file is still the one it opened. */
const DATABASE_LOOK_MS = 10_000;

/**
 * Why a daemon of `config` cannot start on the database now, or undefined: requests open with
 * another provider, which only it can finish; another process's write lock (an sqlite3 shell,
 * a backup), under which a start — it writes, releasing jobs — would fail half-way. Asked at a
 * start, and by a reload before the running daemon stops (`then`: what happens now).
 */
export function startRefusal(db: Db, config: Pick<Config, 'provider'>, then: string): SignrelayError | undefined {
  const switched = providerSwitchProblem(db, providerTraits(config.provider).name);
  return switched !== null ? new SignrelayError('config', 'provider_switched', switched) : writeLockFailure(db, then);
}

export function startDaemon(options: DaemonOptions): Daemon {
  const { config, logger } = options;
  // The lock first: a daemon refused it (another one runs) must not migrate that one's database.
  const lock: DataDirLock = options.lock ?? lockDataDir(config.storage.data_dir);
  if (lock.warning && !options.lock) logger.warn(lock.warning);
  const releaseLock = () => {
    if (!options.lock) lock.release();
  };
  let db: Db;
  try {
    db = openDatabase(config.storage.data_dir, { busyTimeoutMs: options.busyTimeoutMs });
  } catch (err) {
    releaseLock();
    throw err;
  }
  // Refused before anything runs (the service's start waits for the lock).
  const refused = startRefusal(db, config, '');
  if (refused) {
    db.close();
    releaseLock();
    throw refused;
  }
  // Before any job runs: a database behind this data dir's history (a restored backup) has
  // its requests with work left held, and the operators told (alerts/restore-alert.ts); the
  // mark follows the database every DATABASE_LOOK_MS and at the stop.
  let stopping = false;
  let history: HistoryWatch;
  try {
    history = checkForRestore({
      db, config, logger, now: () => new Date(), dataDir: config.storage.data_dir,
      onWentBack: (reason) => {
        if (!stopping) options.onFatal?.(reason);
      },
    });
  } catch (err) {
    db.close();
    releaseLock();
    throw err;
  }
  const events = createDaemonEvents(db, (event, err) => logger.warn('daemon event listener failed', { event, error: describeError(err) }));
  const blobs = options.blobs ?? new BlobStore(config.storage.data_dir);
  // Warm PDF workers from the start: the first mail of a quiet day is as fast as any other.
  startPdfPool({ workers: config.concurrency.pdf_workers });
  const provider = options.provider ?? createProvider(config.provider, {
    db, logger,
    lockedOut: (notice) => {
      raiseAlert({ db, config, logger, now: () => new Date() }, { kind: 'credentials', ...notice });
      jobsQueued();
    },
  });
  // XOAUTH2 accounts: access tokens kept in the database (mail:requests, …), renewed before they expire.
  const mailTokens = createMailTokenSources(config, { store: { load: (name) => loadToken(db, name), save: (name, token) => saveToken(db, name, token, new Date()) } });
  const smtp = createSmtpSender(config.smtp, logger.child({ component: 'smtp' }), { tokenSource: mailTokens.smtp });
  const servicenow = options.servicenow ?? createServiceNowClient({
    config: config.servicenow,
    tokenStore: {
      load: () => loadToken(db, 'servicenow'),
      save: (token) => saveToken(db, 'servicenow', token, new Date()),
    },
    logger: logger.child({ component: 'servicenow' }),
  });
  // The job runner is created below; handlers that queue work poke it through this.
  let jobs: JobRunner | undefined;
  const jobsQueued = () => jobs?.poke();

  // Filled in once the watchers exist; the metrics read them only when scraped.
  const watchers: Record<string, ImapWatcher> = {};
  const metrics = createDaemonMetrics({ db, events, watchers });
  /** A lost send's notice, had it come, would have been read (lost-send-wait.ts). */
  const returnsCaughtUp = () => watchers[RETURNS_MAILBOX]?.status().state === 'idle';
  // Jobs that waited for our own infrastructure (the SMTP server down, the disk) or for an
  // operator's fix (credentials, settings: one job of each kind, the rest when it succeeds)
  // are tried at once after a start or reload — usually how the fix arrives — instead of at
  // their backoff time (up to 30 minutes). A wait the handler scheduled keeps its time.
  const released = releaseJobsWaitingForFix(db, new Date());
  const mails = released.filter((kind) => kind === 'mail').length;
  if (mails > 0) logger.info('mail that waited is tried again now', { mails });
  if (released.length > 0) logger.info('jobs that waited for a fix are tried again now', { jobs: released.length });
  jobs = startJobRunner({
    db,
    events,
    logger: logger.child({ component: 'jobs' }),
    retryBaseMs: options.retryBaseMs,
    concurrency: config.concurrency.jobs,
    // A backup restored into the file under the daemon: nothing more is done on it.
    mayStart: () => {
      try {
        return history.wentBack() === undefined;
      } catch {
        return true;
      }
    },
    onOperatorWait: (job, error) => {
      const alert = operatorWaitAlert(job, error, config.storage.data_dir);
      const at = new Date();
      // One per kind of job and hour, however many of its jobs begin to wait.
      if (!alert || alertRaisedSince(db, alert.kind, alert.subject, new Date(at.getTime() - 3_600_000))) return;
      raiseAlert({ db, config, logger, now: () => at }, alert);
      jobsQueued();
    },
    handlers: {
      submit: createSubmitHandler({ db, blobs, config, provider, jobsQueued, logger: logger.child({ component: 'submit' }), returnsCaughtUp }),
      mail: createMailHandler({ db, smtp, logger: logger.child({ component: 'mail' }) }),
      complete: createCompleteHandler({ db, blobs, config, provider, servicenow, smtp, jobsQueued, now: () => new Date(), logger: logger.child({ component: 'complete' }) }),
      cancel: createCancelHandler({
        db, config, provider, now: () => new Date(), logger: logger.child({ component: 'cancel' }), answerReply: cancelReplyAnswerer(db, config, provider), returnsCaughtUp, jobsQueued,
      }),
      withdraw: createWithdrawHandler({ db, config, provider, jobsQueued, now: () => new Date(), logger: logger.child({ component: 'withdraw' }) }),
      record: createRecordUpdateHandler({ db, config, servicenow, now: () => new Date(), logger: logger.child({ component: 'record' }) }),
      command: createCommandHandler({ db, config, provider, jobsQueued, now: () => new Date(), logger: logger.child({ component: 'conversation' }) }),
    },
  });

  const mailbox = config.mailboxes.requests;
  const intakeDeps = {
    db, blobs, config, policy: intakePolicyFrom(config), provider,
    logger: logger.child({ component: 'intake' }), jobsQueued, watermarks: servicenow,
  };
  /** A watcher's mail leaving its folder, recorded: moved, or found gone after a move whose answer was lost. */
  const filingOf = (name: string, account: { user: string; host: string }, watched: string): Pick<WatcherOptions, 'onMoved' | 'onListed' | 'onTakenElsewhere'> => ({
    onMoved: (message, folder) => markFiled(db, { mailbox: name, place: message.place, uid: message.uid }, folder, new Date()),
    // Instances review H1: two signrelays on one folder (a copied configuration, a test
    // instance on a laptop) both take every mail, and each request goes out twice.
    onTakenElsewhere(message) {
      const where = `the folder ${watched} of ${accountLabel(account)}`;
      logger.error('a mail was gone when signrelay filed it: another program takes mail from this folder', { mailbox: name, uid: message.uid, messageId: message.messageId, folder: watched });
      raiseAlert({ db, config, logger, now: () => new Date() }, {
        kind: 'mailbox-shared', subject: `another program takes mail from ${watched} (mailboxes.${name})`,
        text: `signrelay handled a mail in ${where} (UID ${message.uid}${message.messageId ? `, ${message.messageId}` : ''}), and when it filed it the mail was gone: another program or person took it meanwhile. If that is another signrelay — a copy of this configuration, a test instance — each mail is handled by both, and each request goes to its signers twice (and each signed copy to one of them only). Stop the other one, or give each its own mailbox or folder.`,
      });
    },
    onListed(place, present) {
      for (const row of fileDeparted(db, name, place, present, new Date())) {
        logger.info('mail left its folder by a move whose answer was lost; recorded as filed', { mailbox: name, uid: row.uid, messageId: row.messageId, folder: row.folder });
      }
    },
  });
  // Records from before mails were keyed by their account and folder take the ones watched now.
  const returnAccount = returnAccountOf(config);
  const filingFolders = filingFoldersOf(config);
  /** A watcher's account past its quota's warning threshold, or refusing to file a mail for it: the operators told, once a day (mailbox-full-alert.ts). */
  const alertWhenFull = (watcher: ImapWatcher, account: { user: string; host: string }, folders: readonly string[]) => {
    const name = accountLabel(account);
    const raise = (cause: Parameters<typeof mailboxFullAlert>[2]) => {
      const alert = mailboxFullAlert(name, folders, cause);
      try {
        if (alert) raiseMailboxFullAlert({ db, config, logger, now: () => new Date() }, alert);
      } catch (err) {
        logger.warn('the mailbox-full alert could not be raised', { error: describeError(err) });
      }
    };
    watcher.on('quota', (quota) => raise({ kind: 'quota', usage: quota }));
    watcher.on('error', (error) => {
      if (error.code === 'imap_over_quota') raise({ kind: 'refused', error: error.message });
    });
  };
  for (const [name, account, folder] of [[REQUESTS_MAILBOX, mailbox, mailbox.folder], [RETURNS_MAILBOX, returnAccount, config.mailboxes.returns.folder]] as const) {
    const placed = placeLegacyRows(db, name, placePrefix(account, folder));
    if (placed > 0) logger.info('mail records keyed by their account and folder', { mailbox: name, rows: placed });
  }
  // Read at most once a minute: a listing comes every few mails in a backlog, and the query
  // reads every request that went out in the year.
  let known: { set: ReadonlySet<string>; at: number } | undefined;
  const knownSenders = (): ReadonlySet<string> => {
    if (!known || monotonicMs() - known.at > KNOWN_REQUESTERS_FRESH_MS) {
      known = { set: knownRequesters(db, new Date(Date.now() - KNOWN_REQUESTER_DAYS * DAY_MS)), at: monotonicMs() };
    }
    return known.set;
  };
  const requestWatcher = startImapWatcher({
    name: REQUESTS_MAILBOX,
    account: mailbox,
    tokenSource: mailTokens.requests,
    folder: mailbox.folder,
    ensureFolders: [mailbox.processed_folder, mailbox.rejected_folder],
    logger: logger.child({ component: 'imap', mailbox: REQUESTS_MAILBOX }),
    livenessIntervalMs: options.livenessIntervalMs,
    messageRetry: options.messageRetry,
    reconnect: options.reconnect,
    // As many mails in hand as PDF workers: each spends most of its time in one.
    concurrency: config.concurrency.pdf_workers,
    // Those who sent requests before are taken first in each sender's turn (mail/pass-order.ts).
    knownSenders,
    // Bounces of signrelay's own mail first, then replies to acknowledgements (commands); every other mail is a request.
    handle: withAttemptLimit(withBounces(intakeDeps, withReplyCommands({ ...intakeDeps, logger: logger.child({ component: 'conversation' }) }, createRequestMailHandler(intakeDeps))), {
      db, mailbox: REQUESTS_MAILBOX, logger: intakeDeps.logger,
      giveUp: (message, reason) => fileUnprocessableRequestMail(intakeDeps, message, reason),
    }),
    ...filingOf(REQUESTS_MAILBOX, mailbox, mailbox.folder),
    filingFolders: filingFolders.requests,
    events,
  });
  alertWhenFull(requestWatcher, mailbox, filingFolders.requests);

  // The mail parser is loaded just after the first login, once IDLE is under way, not before it.
  const stopWarming = requestWatcher.on('connected', () => {
    stopWarming();
    setTimeout(() => void warmMailParser().catch(() => undefined), 250).unref();
  });

  const returns = config.mailboxes.returns;
  const completion = createCompletionMailHandler({ db, blobs, config, logger: logger.child({ component: 'completion' }), jobsQueued });
  const returnWatcher = startImapWatcher({
    name: RETURNS_MAILBOX,
    account: returnAccount,
    loginSettings: returnLoginSettings(config),
    tokenSource: mailTokens.returns,
    folder: returns.folder,
    ensureFolders: [returns.folder, returns.processed_folder, returns.unmatched_folder],
    logger: logger.child({ component: 'imap', mailbox: RETURNS_MAILBOX }),
    livenessIntervalMs: options.livenessIntervalMs,
    messageRetry: options.messageRetry,
    reconnect: options.reconnect,
    handle: withAttemptLimit(completion.handle, { db, mailbox: RETURNS_MAILBOX, logger: logger.child({ component: 'completion' }), giveUp: completion.giveUp }),
    ...filingOf(RETURNS_MAILBOX, returnAccount, config.mailboxes.returns.folder),
    filingFolders: filingFolders.returns,
    events,
  });
  alertWhenFull(returnWatcher, returnAccount, filingFolders.returns);

  // Every start (a reload too) records the secrets it was given: a rotated one starts its age
  // again. A failure here is worth a log line, not a daemon that does not start.
  try {
    reviewCredentials({ db, config, jobsQueued, logger: logger.child({ component: 'credentials' }), now: () => new Date() }, { atStart: true });
  } catch (err) {
    logger.error('credential ages could not be recorded', { error: describeError(err) });
  }
  const scheduler = startScheduler({
    db, logger: logger.child({ component: 'scheduler' }),
    tasks: createSchedulerTasks({ db, blobs, config, provider, jobsQueued, logger: logger.child({ component: 'scheduler' }) }),
  });
  scheduler.events.on('run:end', (task, outcome, error) => events.emit('scheduler', { task, outcome, error }));

  Object.assign(watchers, { [REQUESTS_MAILBOX]: requestWatcher, [RETURNS_MAILBOX]: returnWatcher });
  const statusReporter = startStatusReporter({
    db, watchers, version: buildVersion(pkg.version),
    logger: logger.child({ component: 'status' }),
  });

  // SQLite writes on into a database file removed (or replaced) under it, and all of it is
  // gone at the next start: no more work once that happened, and the operator told why.
  const databaseLook = setInterval(() => {
    const moved = databaseMoved(db);
    if (moved === null) return history.mark();
    clearInterval(databaseLook);
    const reason = `the database ${db.name} (in storage.data_dir) ${moved} while signrelay ran; what signrelay recorded since is only in the old file: stop, put the right signrelay.db back (from a backup, or where it was moved), then start signrelay`;
    logger.error('the database file is gone: stopping', { reason });
    options.onFatal?.(reason);
  }, DATABASE_LOOK_MS);
  databaseLook.unref();

  for (const warning of configWarnings(config)) logger.warn('configuration warning', { warning });
  const proxies = describeProxies(proxySettingsFrom(process.env));
  logger.info('signrelay started', { requests: `${mailbox.user}@${mailbox.host}/${mailbox.folder}`, dataDir: config.storage.data_dir, ...(proxies ? { proxies } : {}) });

  return {
    db, blobs, jobs: jobs!, requestWatcher, returnWatcher, scheduler, metrics, events,
    async stop() {
      stopping = true;
      clearInterval(databaseLook);
      await Promise.all([requestWatcher.stop(), returnWatcher.stop(), scheduler.stop()]);
      await jobs!.stop();
      stopPdfPool();
      statusReporter.stop();
      await smtp.close();
      // Even from a file removed under it: what it recorded is the history the data dir saw.
      history.mark();
      db.close();
      releaseLock();
      logger.info('signrelay stopped');
    },
  };
}
