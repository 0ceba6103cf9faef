// Shared by the daemon-level IMAP fault tests: a world whose request mailbox connects through a
// TCP proxy (the return mailbox stays direct, so the proxy sees only the request watcher), the
// daemon's JSON log read back, and the check that failed attempts back off, each logged once.
import { afterAll, beforeAll, expect } from 'vitest';
import type { LogEntry } from '../support/test-logger.ts';
import { startTcpProxy, type TcpProxy, type TcpProxyOptions } from '../support/tcp-proxy.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { reportOnFailure, startWorld, type World } from '../integration/world.ts';

/** The promised minimum pause between reconnect attempts (docs/reliability.md). */
export const MIN_PAUSE_MS = 1_000;
/** Date.now() and the event loop's timer clock each count whole milliseconds. */
const CLOCK_GRAIN_MS = 2;
/** A stack frame line, raw or inside a JSON string. */
const STACK_FRAME = /(^|\n)\s+at\s\S/;

export interface ProxiedWorld {
  world: World;
  proxy: TcpProxy;
  /**
   * Date.now() each time the request watcher told it was reconnecting (a `watcher` event),
   * from the start of the daemon useProxiedWorld started: it tells so before it starts its
   * backoff timer, so the next attempt cannot come sooner than this plus its delay.
   */
  backoffsStartedAt: number[];
}

export interface ProxiedWorldOptions extends Pick<TcpProxyOptions, 'tls' | 'tap'> {
  /** Changes the world (config, Dovecot) before the daemon starts. */
  prepare?(world: World): void | Promise<void>;
  /** Start the daemon in beforeAll (default true). */
  startDaemon?: boolean;
}

/** Registers a proxied world for the test file; returns its accessor. */
export function useProxiedWorld(options: ProxiedWorldOptions = {}): () => ProxiedWorld {
  let proxied: ProxiedWorld | undefined;
  beforeAll(async () => {
    const world = await startWorld();
    const proxy = await startTcpProxy({ target: { host: world.dovecot.host, port: world.dovecot.imapPort }, tls: options.tls, tap: options.tap });
    const backoffsStartedAt: number[] = [];
    proxied = { world, proxy, backoffsStartedAt };
    world.config.mailboxes.returns.port = world.dovecot.imapPort;
    world.config.mailboxes.requests.port = proxy.port;
    await options.prepare?.(world);
    if (options.startDaemon !== false) {
      world.startDaemon().events.on('watcher', ({ mailbox, state }) => {
        if (mailbox === 'requests' && state === 'reconnecting') backoffsStartedAt.push(Date.now());
      });
    }
  }, 30_000);
  reportOnFailure(() => proxied?.world);
  afterAll(async () => {
    await proxied?.world.close();
    await proxied?.proxy.close();
  });
  return () => proxied!;
}

export function daemonLog(world: World): LogEntry[] {
  return world.logs.join('').split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as LogEntry);
}

/** The watcher's log line for each failed connection of a mailbox. */
export function connectionFailures(world: World, mailbox: string): LogEntry[] {
  return daemonLog(world).filter((entry) => entry.message === 'imap watcher disconnected' && entry.mailbox === mailbox);
}

/** Waits for the request watcher's first failed connection and returns its log line. */
export async function firstRequestFailure(world: World): Promise<LogEntry> {
  return waitFor(() => connectionFailures(world, 'requests')[0], { what: 'a failed request connection in the daemon log', timeoutMs: 10_000 });
}

/** Log lines that carry a stack trace (none may). */
export function linesWithStackTraces(world: World): LogEntry[] {
  return daemonLog(world).filter((entry) => 'stack' in entry || Object.values(entry).some((value) => typeof value === 'string' && STACK_FRAME.test(value)));
}

/**
 * Watches the failing request watcher for `attempts` connection attempts (each failure is a
 * `watcher` event), then checks that every attempt waited out the delay the daemon logged
 * for the failure before it — at least the minimum reconnect delay (a hot loop reconnects at
 * once) — counted from the moment the daemon decided to wait, which load can only make
 * later. Not from when the proxy saw the old connection close: on a loaded box it saw that
 * after the daemon's timer had started, and a wait of at least 1 s measured 888 ms. At most
 * one attempt a second; one identical log line per attempt, with no stack trace.
 */
export async function expectBackoff({ world, proxy, backoffsStartedAt }: ProxiedWorld, attempts: number): Promise<{ attempts: number }> {
  await waitUntil(world.daemon!.events, () => proxy.connections.length >= attempts, { what: `${attempts} connection attempts`, describe: () => proxy.connections.length });
  // Between two attempts, with none in flight at the proxy, every attempt so far is logged.
  await waitFor(() => world.daemon!.requestWatcher.status().nextAttemptAt !== null &&
    proxy.connections.every((connection) => connection.closedAt !== null), { what: 'the request watcher between two attempts', timeoutMs: 10_000 });
  const { connections } = proxy;
  const failures = connectionFailures(world, 'requests');
  expect(failures).toHaveLength(connections.length);
  expect(backoffsStartedAt).toHaveLength(connections.length);
  expect(failures.every((entry) => typeof entry.retryInMs === 'number' && entry.retryInMs >= MIN_PAUSE_MS)).toBe(true);
  const waits = connections.slice(1).map((connection, i) => ({ waited: connection.openedAt - backoffsStartedAt[i]!, delay: failures[i]!.retryInMs as number }));
  expect(waits.length).toBeGreaterThanOrEqual(1);
  for (const { waited, delay } of waits) expect(waited).toBeGreaterThanOrEqual(delay - CLOCK_GRAIN_MS);
  expect(connections.length).toBeLessThanOrEqual(1 + (Date.now() - connections[0]!.openedAt) / MIN_PAUSE_MS);
  expect(new Set(failures.map((entry) => entry.error)).size).toBe(1);
  expect(linesWithStackTraces(world)).toEqual([]);
  return { attempts: connections.length };
}
