// What every section of the perf bench is given, and the one way a section gets a daemon:
// a fresh one (new data dir, emptied mailboxes, the previous daemon's IMAP sessions gone),
// returned once both watchers are in IDLE, with how long that took from spawn.
import type { CorpusPdf } from './corpus.ts';
import type { Daemon } from './daemon-process.ts';
import type { FigureBook } from './figures.ts';
import { allIdle, imapSessionReader } from './imap-sessions.ts';
import { sleep } from './stats.ts';
import type { BenchWorld } from './world.ts';

export interface BenchContext {
  world: BenchWorld;
  /** Dovecot's master process (its imap children are the daemon's sessions). */
  dovecotMaster: number;
  book: FigureBook;
  out: (line: string) => void;
  quick: boolean;
  corpus: CorpusPdf[];
  /** The ~20 MB PDF, made on first use. */
  bigPdf(): Promise<CorpusPdf>;
}

const USERS = ['sign', 'returns'];
const READY_TIMEOUT_MS = 60_000;

export async function freshDaemon(ctx: Pick<BenchContext, 'world' | 'dovecotMaster'>, name: string, metricsPort?: number, extraEnv?: Record<string, string>): Promise<{ daemon: Daemon; readyMs: number }> {
  await ctx.world.emptyMailboxes();
  const sessions = imapSessionReader(ctx.dovecotMaster);
  const closedBy = Date.now() + 15_000;
  while (sessions().some((s) => USERS.includes(s.user))) {
    if (Date.now() > closedBy) throw new Error('the previous daemon\'s IMAP sessions are still open after 15 s');
    await sleep(20);
  }
  const daemon = ctx.world.startDaemon(name, metricsPort, extraEnv);
  for (;;) {
    if (allIdle(sessions(), USERS)) return { daemon, readyMs: Date.now() - daemon.spawnedAt };
    if (!daemon.running()) throw new Error(`the daemon exited before both watchers were in IDLE (log: ${daemon.logFile})`);
    if (Date.now() - daemon.spawnedAt > READY_TIMEOUT_MS) {
      await daemon.stop();
      throw new Error(`both watchers not in IDLE ${READY_TIMEOUT_MS / 1000} s after spawn (log: ${daemon.logFile})`);
    }
    await sleep(10);
  }
}
