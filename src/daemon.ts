// Wires the daemon together: database, provider client, SMTP, the job runner and the
// request watcher. Nothing here decides anything; it only connects the parts and stops
// them in order (watcher first, so no new work starts; then jobs; then the database).
import type { Config } from './config/schema.ts';
import { createMailHandler } from './jobs/send-mail.ts';
import { createSubmitHandler } from './intake/submit-request.ts';
import { createRequestMailHandler, REQUESTS_MAILBOX } from './intake/process-request-mail.ts';
import { intakePolicyFrom } from './intake/intake-policy.ts';
import { startJobRunner, type JobRunner } from './jobs/job-runner.ts';
import type { Logger } from './log.ts';
import { startImapWatcher, type ImapWatcher } from './mail/imap-watcher.ts';
import { createSmtpSender } from './mail/smtp-sender.ts';
import type { SigningProvider } from './providers/provider.ts';
import { createSecuredSigningClient } from './providers/secured-signing/client.ts';
import { BlobStore } from './store/blobs.ts';
import { markMoved } from './store/messages.ts';
import { loadToken, saveToken } from './store/oauth-tokens.ts';
import { openDatabase, type Db } from './store/open-database.ts';

export interface Daemon {
  db: Db;
  blobs: BlobStore;
  jobs: JobRunner;
  requestWatcher: ImapWatcher;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  /** Tests inject a provider; the daemon builds the configured one otherwise. */
  provider?: SigningProvider;
  livenessIntervalMs?: number;
  retryBaseMs?: number;
}

export function startDaemon(options: DaemonOptions): Daemon {
  const { config, logger } = options;
  const db = openDatabase(config.storage.data_dir);
  const blobs = new BlobStore(config.storage.data_dir);
  const provider = options.provider ?? createSecuredSigningClient({
    config: config.provider,
    tokenStore: {
      load: () => loadToken(db, 'secured-signing'),
      save: (token) => saveToken(db, 'secured-signing', token, new Date()),
    },
    logger: logger.child({ component: 'secured-signing' }),
  });
  const smtp = createSmtpSender(config.smtp, logger.child({ component: 'smtp' }));

  const jobs = startJobRunner({
    db,
    logger: logger.child({ component: 'jobs' }),
    retryBaseMs: options.retryBaseMs,
    handlers: {
      submit: createSubmitHandler({ db, blobs, provider, logger: logger.child({ component: 'submit' }) }),
      mail: createMailHandler({ db, smtp, logger: logger.child({ component: 'mail' }) }),
    },
  });

  const mailbox = config.mailboxes.requests;
  const requestWatcher = startImapWatcher({
    name: REQUESTS_MAILBOX,
    account: mailbox,
    folder: mailbox.folder,
    ensureFolders: [mailbox.processed_folder, mailbox.rejected_folder],
    logger: logger.child({ component: 'imap', mailbox: REQUESTS_MAILBOX }),
    livenessIntervalMs: options.livenessIntervalMs,
    handle: createRequestMailHandler({
      db, blobs, config, policy: intakePolicyFrom(config), providerName: provider.name,
      logger: logger.child({ component: 'intake' }), jobsQueued: () => jobs.poke(),
    }),
    onMoved: (message) => markMoved(db, { mailbox: REQUESTS_MAILBOX, uidValidity: message.uidValidity, uid: message.uid }, new Date()),
  });

  logger.info('signrelay started', { requests: `${mailbox.user}@${mailbox.host}/${mailbox.folder}`, dataDir: config.storage.data_dir });

  return {
    db, blobs, jobs, requestWatcher,
    async stop() {
      await requestWatcher.stop();
      await jobs.stop();
      await smtp.close();
      db.close();
      logger.info('signrelay stopped');
    },
  };
}
