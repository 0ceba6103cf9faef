// The monitoring endpoint item of `signrelay check` (instances review L1): a port another
// program (another instance) listens on made the daemon start its watchers and jobs, and only
// then fail on EADDRINUSE — and systemd restart it until its start limit — while check was ✓.
import { createServer } from 'node:net';
import { parseListenAddress } from '../config/listen-address.ts';
import type { Config } from '../config/schema.ts';
import { lockHolder } from '../store/data-dir-lock.ts';
import type { CheckItem } from './checklist.ts';

export function observabilityCheckItem(config: Config): CheckItem {
  const { listen } = config.observability;
  return {
    title: 'monitoring endpoint',
    async run() {
      if (!listen) return { ok: true, detail: 'off (observability.listen is not set)' };
      const parsed = parseListenAddress(listen);
      if ('problem' in parsed) return { ok: false, detail: `observability.listen: ${parsed.problem}`, fix: 'correct observability.listen' };
      // This instance's daemon running holds it itself.
      const daemon = lockHolder(config.storage.data_dir);
      if (daemon !== undefined) return { ok: true, detail: `${listen}, this instance's daemon (pid ${daemon}) listens on it` };
      const refused = await tryListen(parsed.host, parsed.port);
      if (refused === undefined) return { ok: true, detail: `${listen} is free` };
      return {
        ok: false, detail: `cannot listen on ${listen} (${refused})${refused === 'EADDRINUSE' ? ': another program — another signrelay instance? — listens on it' : ''}`,
        fix: 'give observability.listen a port of its own (one per instance: 127.0.0.1:9465, …); the daemon does not start without it',
      };
    },
  };
}

/** Binds and lets go at once: undefined when it could, else the error's code. */
function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}
