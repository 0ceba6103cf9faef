// `signrelay run`: load the configuration, start the daemon, and stop it on SIGTERM or
// SIGINT — the first signal lets in-flight work finish and closes IMAP; a second forces.
// SIGHUP reloads the configuration and its credentials (running-service.ts).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { refuseSharedWithRunning } from '../checks/other-instances.ts';
import { configPath } from '../config/config-path.ts';
import { loadConfigFile } from '../config/load-config.ts';
import { secretsOf } from '../config/secrets-of.ts';
import { describeError } from '../errors.ts';
import { HEALTH_LIMITS } from '../health/health-limits.ts';
import { createLogger, type Logger } from '../log.ts';
import { jemallocMissing } from '../native-memory.ts';
import { startService } from '../service/running-service.ts';
import { lockDataDir, type DataDirLock } from '../store/data-dir-lock.ts';
import { createSystemdNotifier, type SystemdNotifier } from '../service/sd-notify.ts';
import { startWhenStorageAllows } from '../service/wait-for-storage.ts';
import { startWatchdog } from '../service/watchdog.ts';
import { monotonicMs } from '../time.ts';

/** Re-exported for the demo, which masks the same secrets. */
export { secretsOf };

import type { CommandIo } from '../cli-io/command-io.ts';
import { changedMailRefusal } from '../checks/reload-mail-check.ts';

export type { CommandIo };

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
    io.stdout.write('usage: signrelay run [--config FILE]\n\nRuns the daemon until SIGTERM/SIGINT; SIGHUP reloads the configuration (and its {file: …} secrets; a credential systemd passes is read again only at a start).\n');
    return 0;
  }
  const file = configPath(values.config);
  const config = loadConfigFile(file);
  // The daemon cannot go on (its database file removed under it): stopped as on SIGTERM, exit 1.
  let fatal: ((reason: string) => void) | undefined;
  let fatalBeforeReady: string | undefined; // said while the start was still under way: acted on once it is
  // Made when first needed: before the service is up (a start waiting for space), or after.
  let notifier: SystemdNotifier | undefined;
  let bootLogger: Logger | undefined;
  const earlyLogger = () => (bootLogger ??= createLogger({ level: config.log.level, format: config.log.format, secrets: secretsOf(config) }));
  // While the service starts, the pid file already names this process: `retry` and `cancel`
  // wake it with SIGUSR2, a reload is SIGHUP — and their default action would end it. Taken
  // now: a reload asked for meanwhile is carried out once the service runs; a wake-up is moot
  // (the job runner looks at its table when it starts).
  let reloadAsked = false;
  const reloadLater = () => { reloadAsked = true; };
  const wakeLater = () => {};
  // A stop asked for while it starts (`systemctl stop` while it waits for space or the lock, or
  // as its watchers connect) is taken too: a wait ends at once; a start under way finishes,
  // then stops as a running daemon does. A second signal forces, as after the start.
  let stopAsked: NodeJS.Signals | undefined;
  const starting = new AbortController();
  const stopLater = (signal: NodeJS.Signals) => {
    if (stopAsked) process.exit(130);
    stopAsked = signal;
    starting.abort();
  };
  const early = [['SIGHUP', reloadLater], ['SIGUSR2', wakeLater], ['SIGTERM', stopLater], ['SIGINT', stopLater]] as const;
  for (const [signal, handler] of early) process.on(signal, handler);
  // The data dir's lock is held across the tries: meanwhile the pid file names this process
  // and `status` says what it waits for, not that no daemon runs (which invited a second start).
  let lock: DataDirLock | undefined;
  let sharing: string[] = [];
  const service = await startWhenStorageAllows(() => {
    lock ??= lockDataDir(config.storage.data_dir);
    // Once this daemon holds its own lock: of two instances started at once on one folder, the
    // later to look sees the other's lock and refuses.
    sharing = refuseSharedWithRunning(file, config);
    return startService(config, { onFatal: (reason) => (fatal ? fatal(reason) : (fatalBeforeReady = reason)), lock });
  }, {
    logger: earlyLogger,
    notifier: () => (notifier ??= createSystemdNotifier(earlyLogger().child({ component: 'systemd' }))),
    signal: starting.signal,
  });
  if (service === undefined) {
    lock?.release();
    for (const [signal, handler] of early) process.off(signal, handler);
    earlyLogger().info('stopped while waiting to start', { signal: stopAsked });
    return 0;
  }
  const warnShared = (warnings: string[]) => {
    for (const detail of warnings) service.logger.warn('another configuration beside this one shares a mailbox with it', { detail });
  };
  warnShared(sharing);
  const systemdLog = () => service.logger.child({ component: 'systemd' });
  // ld.so said so once on stderr, if at all; say it in the log, with the fix.
  const allocator = process.env.LD_PRELOAD ? jemallocMissing(process.env, readFileSync('/proc/self/maps', 'utf8')) : undefined;
  if (allocator) systemdLog().warn(allocator);
  const systemd = notifier ?? createSystemdNotifier(systemdLog());
  // Under systemd (Type=notify): READY, a watchdog pinged only while both watchers are alive
  // (those of the daemon running now, across reloads), STOPPING.
  // Set while a reload runs: its old watchers stop as it finishes the work in hand.
  let reloadingSince: number | undefined; // monotonic (the watchdog's clock)
  const watchdog = startWatchdog({
    notifier: systemd,
    watchers: { requests: { status: () => service.daemon.requestWatcher.status() }, returns: { status: () => service.daemon.returnWatcher.status() } },
    logger: systemdLog(),
    maxSilenceMs: HEALTH_LIMITS.heartbeatMaxAgeMs,
    reloadingSince: () => reloadingSince,
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    // Reloads run one at a time; a SIGHUP during one asks for one more after it.
    let reloading: Promise<void> | undefined;
    let reloadAgain = false;
    const reload = () => {
      if (stopping) return;
      if (reloading) {
        reloadAgain = true;
        return;
      }
      systemd.notify({ RELOADING: '1', STATUS: 'reloading the configuration' });
      reloadingSince = monotonicMs();
      reloading = service.reload(() => {
        const next = loadConfigFile(file);
        warnShared(refuseSharedWithRunning(file, next));
        return next;
      }, (previous, next) => changedMailRefusal(previous, next, service.logger.child({ component: 'reload' }))).then(() => {
        systemd.notify({ READY: '1', STATUS: 'running' });
        reloading = undefined;
        reloadingSince = undefined;
        if (reloadAgain) {
          reloadAgain = false;
          reload();
        }
      }, (err: unknown) => {
        // Neither the new nor the previous configuration starts (a disk or database failure):
        // exit, so that systemd restarts the service and the operator sees why.
        service.logger.error('no configuration could be started after the reload; exiting', { error: describeError(err) });
        stopping = true;
        watchdog.stop();
        resolve(1);
      });
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        service.logger.warn('second signal: exiting now', { signal });
        process.exit(130);
      }
      stopping = true;
      service.logger.info('stopping: finishing work in hand', { signal });
      watchdog.stop();
      Promise.resolve(reloading).then(() => service.stop()).then(() => resolve(0), (err: unknown) => {
        service.logger.error('error while stopping', { error: String(err) });
        resolve(1);
      });
    };
    fatal = () => {
      if (stopping) return;
      stopping = true;
      watchdog.stop();
      Promise.resolve(reloading).then(() => service.stop()).then(() => resolve(1), () => resolve(1));
    };
    if (fatalBeforeReady !== undefined) fatal(fatalBeforeReady);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', reload);
    // `signrelay retry` queued work from another process: look at the job table now.
    process.on('SIGUSR2', () => service.daemon.jobs.poke());
    for (const [signal, handler] of early) process.off(signal, handler);
    if (stopAsked) onSignal(stopAsked);
    else if (reloadAsked) reload();
  });
}
