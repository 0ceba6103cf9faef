// The signers of a soak: every request the daemon sent is signed at the simulator a
// second later (one at a time, in the order sent), so completion mails flow back through
// the daemon alongside the requests.
import { sleep } from './stats.ts';
import type { BenchWorld } from './world.ts';

export interface Signer {
  /** Signed copies that reached their record so far. */
  attached(): number;
  /** Waits until every request sent so far is signed and attached, or `timeoutMs` passed. */
  drain(timeoutMs: number): Promise<void>;
  stop(): void;
}

const SIGN_AFTER_MS = 1_000;

export function startSigner(world: BenchWorld): Signer {
  const signed = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const due = [...world.observed.sends].filter(([record, send]) => !signed.has(record) && Date.now() - send.at >= SIGN_AFTER_MS);
      for (const [record, send] of due) {
        signed.add(record);
        await world.ss.complete(send.references[0]!).catch(() => undefined);
      }
      await sleep(100);
    }
  })();
  const attached = () => [...signed].filter((r) => world.observed.attachments.has(r)).length;
  return {
    attached,
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && (signed.size < world.observed.sends.size || attached() < signed.size)) await sleep(100);
    },
    stop() {
      running = false;
      void loop;
    },
  };
}
