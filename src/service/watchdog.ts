// The systemd watchdog: WATCHDOG=1 is sent only while both IMAP watchers are alive, so a
// deaf watcher (or a blocked event loop) gets the service restarted. Alive is not the same
// as connected: a watcher waiting out a backoff because the server is down is alive (a
// restart would not bring the server back, and restarts in a loop trip systemd's start
// limit); one that says it is connected but has heard nothing from its server for too long,
// or whose next attempt is long overdue, is stuck.
import type { WatcherStatus } from '../mail/imap-watcher.ts';
import type { Logger } from '../log.ts';
import type { SystemdNotifier } from './sd-notify.ts';
import { monotonicMs } from '../time.ts';

export interface AliveVerdict {
  alive: boolean;
  /** For STATUS= and the log: "idle, heard 12 s ago" or why it is not alive. */
  summary: string;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** `now`: the monotonic clock (time.ts monotonicMs), as the status's `monotonic` moments are. */
export function watcherAlive(status: WatcherStatus, now: number, maxSilenceMs: number): AliveVerdict {
  const { monotonic } = status;
  const since = (at: number | null) => (at === null ? Number.POSITIVE_INFINITY : now - at);
  switch (status.state) {
    case 'connected':
    case 'idle': {
      // Heard from the server (any response, a NOOP answer) — or connected only just now.
      const silence = Math.min(since(monotonic.lastHeartbeat), since(monotonic.connectedSince));
      return silence <= maxSilenceMs
        ? { alive: true, summary: `${status.state}, heard ${seconds(silence)} ago` }
        : { alive: false, summary: `${status.state} but nothing heard from the server for ${seconds(silence)}` };
    }
    case 'backoff':
    case 'auth-error':
    case 'connecting': {
      const overdue = monotonic.nextAttempt === null ? 0 : now - monotonic.nextAttempt;
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
  /** The monotonic clock (time.ts monotonicMs; tests set it). */
  now?: () => number;
  /** When the reload under way began, if one is, on the monotonic clock. */
  reloadingSince?: () => number | undefined;
}): Watchdog {
  const { notifier, logger } = options;
  const now = options.now ?? monotonicMs;
  const interval = notifier.watchdogIntervalMs;
  let complained = false;
  const check = () => {
    const reloading = options.reloadingSince?.();
    if (reloading !== undefined && now() - reloading <= RELOAD_GRACE_MS) {
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
