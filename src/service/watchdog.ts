// The systemd watchdog: WATCHDOG=1 is sent only while both IMAP watchers are alive, so a
// deaf watcher (or a blocked event loop) gets the service restarted. Alive is not the same
// as connected: a watcher waiting out a backoff because the server is down is alive (a
// restart would not bring the server back, and restarts in a loop trip systemd's start
// limit); one that says it is connected but has heard nothing from its server for too long,
// or whose next attempt is long overdue, is stuck.
import type { WatcherStatus } from '../mail/imap-watcher.ts';
import type { Logger } from '../log.ts';
import type { SystemdNotifier } from './sd-notify.ts';

export interface AliveVerdict {
  alive: boolean;
  /** For STATUS= and the log: "idle, heard 12 s ago" or why it is not alive. */
  summary: string;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export function watcherAlive(status: WatcherStatus, now: Date, maxSilenceMs: number): AliveVerdict {
  const since = (d: Date | null) => (d ? now.getTime() - d.getTime() : Number.POSITIVE_INFINITY);
  switch (status.state) {
    case 'connected':
    case 'idle': {
      // Heard from the server (any response, a NOOP answer) — or connected only just now.
      const silence = Math.min(since(status.lastHeartbeatAt), since(status.connectedSince));
      return silence <= maxSilenceMs
        ? { alive: true, summary: `${status.state}, heard ${seconds(silence)} ago` }
        : { alive: false, summary: `${status.state} but nothing heard from the server for ${seconds(silence)}` };
    }
    case 'backoff':
    case 'auth-error':
    case 'connecting': {
      const overdue = status.nextAttemptAt ? now.getTime() - status.nextAttemptAt.getTime() : 0;
      const why = status.lastError ? `: ${status.lastError.message}` : '';
      return overdue <= maxSilenceMs
        ? { alive: true, summary: `${status.state}${why}` }
        : { alive: false, summary: `${status.state}, its next attempt ${seconds(overdue)} overdue` };
    }
    default:
      return { alive: false, summary: status.state };
  }
}

export interface Watchdog {
  stop(): void;
}

/**
 * How long a reload may take before the watchdog judges the watchers again: the old daemon's
 * watchers stop while it finishes the work in hand, which is a reload's progress, not a hang.
 */
export const RELOAD_GRACE_MS = 10 * 60_000;

export function startWatchdog(options: {
  notifier: SystemdNotifier;
  watchers: Record<string, { status(): WatcherStatus }>;
  logger: Logger;
  maxSilenceMs: number;
  now?: () => Date;
  /** When the reload under way began, if one is. */
  reloadingSince?: () => Date | undefined;
}): Watchdog {
  const { notifier, logger } = options;
  const now = options.now ?? (() => new Date());
  const interval = notifier.watchdogIntervalMs;
  let complained = false;
  const check = () => {
    const reloading = options.reloadingSince?.();
    if (reloading && now().getTime() - reloading.getTime() <= RELOAD_GRACE_MS) {
      notifier.notify({ WATCHDOG: '1', STATUS: 'reloading the configuration' });
      return;
    }
    const verdicts = Object.entries(options.watchers).map(([name, w]) => ({ name, ...watcherAlive(w.status(), now(), options.maxSilenceMs) }));
    const text = verdicts.map((v) => `${v.name} ${v.summary}`).join('; ');
    if (verdicts.every((v) => v.alive)) {
      notifier.notify({ WATCHDOG: '1', STATUS: text });
      complained = false;
    } else {
      notifier.notify({ STATUS: `not pinging the watchdog: ${text}` });
      if (!complained) logger.error('a watcher is stuck: not pinging the systemd watchdog, which will restart the service', { watchers: text });
      complained = true;
    }
  };
  notifier.notify({ READY: '1', STATUS: 'started' });
  const timer = interval ? setInterval(check, interval) : undefined;
  timer?.unref();
  return {
    stop() {
      clearInterval(timer);
      notifier.notify({ STOPPING: '1', STATUS: 'stopping' });
      notifier.close();
    },
  };
}
