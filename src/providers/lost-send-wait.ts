// How long a send whose answer was lost is taken as possibly done. Signicat cannot look an
// order up by its client reference: only its CREATED notice to the return address names the
// order, so whoever must know whether the order exists — the submit job before it sends
// again, the cancel job before it withdraws — waits for that notice the same way.
import type { Config } from '../config/schema.ts';
import { lastEffectAt, lastEffectPhase } from '../store/events.ts';
import type { Db } from '../store/open-database.ts';

export interface LostSendWaitDeps {
  db: Db;
  config: Config;
  now: () => Date;
  /**
   * Whether the return mailbox is read to its end now (its watcher in IDLE after its
   * catch-up): a lost send's notice, had it come, would have been read. Absent: taken as yes.
   */
  returnsCaughtUp?: (() => boolean) | undefined;
}

/**
 * Whether a lost send may still be announced. Made when this process starts reading the return
 * mailbox: only time it has been up counts. A notice that arrived while signrelay was down is
 * still unread in the return mailbox at the restart, and the job runner starts before the
 * watchers — counting from the send alone, a restart after a longer outage would take the
 * order as never made before reading its notice.
 */
export type LostSendWait = (requestId: string) => { unknown: false } | { unknown: true; stillWaiting: boolean };

export function lostSendWait(deps: LostSendWaitDeps): LostSendWait {
  const startedAt = deps.now().getTime();
  const waitMs = (deps.config.provider.type === 'signicat' ? deps.config.provider.send_notice_wait_seconds : 15 * 60) * 1000;
  return (requestId) => {
    if (lastEffectPhase(deps.db, requestId, 'send') !== 'intent') return { unknown: false };
    const intentAt = lastEffectAt(deps.db, requestId, 'send', 'intent')!.getTime();
    const waitEnds = Math.max(intentAt, startedAt) + waitMs;
    // Past the wait, a notice not read yet is taken as never sent only while the return
    // mailbox is read to its end: its watcher down (or still catching up) for the whole wait
    // would have left the notice unread.
    return { unknown: true, stillWaiting: deps.now().getTime() < waitEnds || deps.returnsCaughtUp?.() === false };
  };
}
