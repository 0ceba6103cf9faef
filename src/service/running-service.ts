// The running service behind `signrelay run`: the daemon and its optional HTTP endpoint,
// started from one configuration, and replaced as a whole on a reload (SIGHUP). A reload
// reads and validates the new configuration first — a broken file changes nothing, nor mail
// settings that do not work (the caller's `vet`: reload-mail-check.ts) — then
// stops the current daemon gracefully (the job and mails in hand are finished; everything
// else is durable in the database) and starts one with the new configuration. If that
// fails, the previous configuration is started again. The data dir's lock is the service's,
// held from its start to its stop: a second signrelay started while a reload is between its
// two daemons must not get it. The PDF workers outlive a reload's stop too (the new daemon
// takes them, parsers loaded) and end with the service.
import { resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { secretsOf } from '../config/secrets-of.ts';
import { startDaemon, startRefusal, type Daemon } from '../daemon.ts';
import { lockDataDir, type DataDirLock } from '../store/data-dir-lock.ts';
import { describeError, SignrelayError } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';
import { HEALTH_LIMITS } from '../health/health-limits.ts';
import { endIdlePdfWorkers } from '../pdf/pdf-pool.ts';
import { startObservabilityServer, type ObservabilityServer } from '../health/observability-server.ts';

export interface RunningService {
  readonly daemon: Daemon;
  readonly logger: Logger;
  /**
   * Loads the configuration again and restarts on it; resolves false when it was refused.
   * `vet`: asked before the running daemon stops — why the new configuration would not work
   * (its changed mail settings tried, reload-mail-check.ts), or null.
   */
  reload(load: () => Config, vet?: (previous: Config, next: Config) => Promise<Error | null>): Promise<boolean>;
  stop(): Promise<void>;
}

interface Parts {
  config: Config;
  logger: Logger;
  daemon: Daemon;
  endpoint: ObservabilityServer | undefined;
}

/** Masks the secrets of every configuration seen so far: a rotated-out secret stays masked. */
function loggerFor(config: Config, earlier: string[]): { logger: Logger; secrets: string[] } {
  const secrets = [...new Set([...earlier, ...secretsOf(config)])];
  return { logger: createLogger({ level: config.log.level, format: config.log.format, secrets }), secrets };
}

async function startParts(config: Config, logger: Logger, lock: DataDirLock, onFatal?: (reason: string) => void): Promise<Parts> {
  const daemon = startDaemon({ config, logger, lock, onFatal });
  let endpoint: ObservabilityServer | undefined;
  if (config.observability.listen) {
    try {
      endpoint = await startObservabilityServer({
        listen: config.observability.listen, db: daemon.db, metrics: daemon.metrics, limits: { ...HEALTH_LIMITS, maxPdfBytes: config.limits.max_pdf_bytes },
        watchers: { requests: daemon.requestWatcher, returns: daemon.returnWatcher }, logger: logger.child({ component: 'http' }),
      });
    } catch (err) {
      await daemon.stop();
      throw err;
    }
  }
  return { config, logger, daemon, endpoint };
}

async function stopParts(parts: Parts): Promise<void> {
  await Promise.all([parts.endpoint?.close(), parts.daemon.stop()]);
}

/**
 * `onFatal`: the daemon cannot go on (its database file removed under it): stop the service and
 * exit non-zero. `lock`: the data dir's lock, taken by the caller (kept across a start that
 * waits for space or the write lock, so that the pid file names it meanwhile); the service
 * releases it when it stops. Without one the service takes it, and lets it go if it cannot start.
 */
export async function startService(config: Config, options: { onFatal?: (reason: string) => void; lock?: DataDirLock } = {}): Promise<RunningService> {
  let { logger, secrets } = loggerFor(config, []);
  const lock = options.lock ?? lockDataDir(config.storage.data_dir);
  let parts: Parts;
  try {
    parts = await startParts(config, logger, lock, options.onFatal);
  } catch (err) {
    if (!options.lock) lock.release();
    throw err;
  }
  // Said once it runs: a start that waits for space or a lock (wait-for-storage.ts) would say it
  // at each try — and a lock kept across a wait for space writes its pid file now, if it can.
  lock.writePidFileAgain?.();
  if (lock.warning) logger.warn(lock.warning);
  return {
    get daemon() { return parts.daemon; },
    get logger() { return parts.logger; },
    async reload(load, vet) {
      let next: Config;
      try {
        next = load();
        if (resolve(next.storage.data_dir) !== resolve(parts.config.storage.data_dir)) {
          // The data dir holds the service's lock and its work in hand: moved on a reload, a
          // second daemon could start on the old one.
          throw new SignrelayError('config', 'data_dir_changed',
            `storage.data_dir cannot change on a reload (${parts.config.storage.data_dir} → ${next.storage.data_dir}): it holds the daemon's lock and its work in hand; stop the service, move the directory, then start it`);
        }
        // What would refuse the new daemon's start is asked before the running one stops: its
        // requests open with the provider it has stay in hand, and under another process's write
        // lock neither the new daemon nor the previous one again could start (the service would
        // exit); the running daemon waits for the lock as its work does.
        const refused = startRefusal(parts.daemon.db, next, 'Reload again once it is free.');
        if (refused) throw refused;
        const unusable = await vet?.(parts.config, next);
        if (unusable) throw unusable;
      } catch (err) {
        parts.logger.error('configuration reload refused; still running with the previous configuration', { error: describeError(err) });
        return false;
      }
      const previous = parts;
      ({ logger, secrets } = loggerFor(next, secrets));
      previous.logger.info('reloading the configuration: finishing work in hand, then restarting on the new one');
      await stopParts(previous);
      try {
        parts = await startParts(next, logger, lock, options.onFatal);
        logger.info('configuration reloaded');
        return true;
      } catch (err) {
        logger.error('the new configuration could not start; starting the previous one again', { error: describeError(err) });
        parts = await startParts(previous.config, previous.logger, lock, options.onFatal);
        return false;
      }
    },
    async stop() {
      try {
        await stopParts(parts);
      } finally {
        lock.release();
        endIdlePdfWorkers();
      }
    },
  };
}
