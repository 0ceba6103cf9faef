// `signrelay run`: load the configuration, start the daemon, and stop it on SIGTERM or
// SIGINT — the first signal lets in-flight work finish and closes IMAP; a second forces.
import { parseArgs } from 'node:util';
import { configPath } from '../config/config-path.ts';
import { loadConfigFile } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';
import { startDaemon } from '../daemon.ts';
import { secretsOf } from '../config/secrets-of.ts';

/** Re-exported for the demo, which masks the same secrets. */
export { secretsOf };
import { describeError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { HEALTH_LIMITS } from '../operate/health-limits.ts';
import { startObservabilityServer, type ObservabilityServer } from '../operate/observability-server.ts';
import { createSystemdNotifier } from '../operate/sd-notify.ts';
import { startWatchdog } from '../operate/watchdog.ts';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function runDaemonCommand(args: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    // An unknown option or a stray argument is a usage problem, not a bug: no stack trace.
    io.stderr.write(`signrelay run: ${describeError(err)} (see --help)\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write('usage: signrelay run [--config FILE]\n\nRuns the daemon until SIGTERM/SIGINT.\n');
    return 0;
  }
  const config = loadConfigFile(configPath(values.config));
  const logger = createLogger({ level: config.log.level, format: config.log.format, secrets: secretsOf(config) });
  const daemon = startDaemon({ config, logger });
  let endpoint: ObservabilityServer | undefined;
  if (config.observability.listen) {
    try {
      endpoint = await startObservabilityServer({
        listen: config.observability.listen, db: daemon.db, metrics: daemon.metrics, limits: HEALTH_LIMITS,
        watchers: { requests: daemon.requestWatcher, returns: daemon.returnWatcher }, logger: logger.child({ component: 'http' }),
      });
    } catch (err) {
      await daemon.stop();
      throw err;
    }
  }
  // Under systemd (Type=notify): READY, a watchdog pinged only while both watchers are alive, STOPPING.
  const watchdog = startWatchdog({
    notifier: createSystemdNotifier(logger.child({ component: 'systemd' })),
    watchers: { requests: daemon.requestWatcher, returns: daemon.returnWatcher },
    logger: logger.child({ component: 'systemd' }),
    maxSilenceMs: HEALTH_LIMITS.heartbeatMaxAgeMs,
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn('second signal: exiting now', { signal });
        process.exit(130);
      }
      stopping = true;
      logger.info('stopping: finishing work in hand', { signal });
      watchdog.stop();
      Promise.all([endpoint?.close(), daemon.stop()]).then(() => resolve(0), (err: unknown) => {
        logger.error('error while stopping', { error: String(err) });
        resolve(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
