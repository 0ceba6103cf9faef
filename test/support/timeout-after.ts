// A fetch for the tests of a call that never answers. The client's own timeout (1 s there)
// is held back until the simulator — in this same process — has carried the call out: on a
// busy machine the second could run out before the simulator had even read the call, and the
// test's check that the call was carried out (its outcome unknown only to the client) would
// fail for the machine's sake, not the code's. The abort, its reason and what the client
// makes of it stay the client's own; only its moment waits, for at most MIN_WAIT_MS.
import { MIN_WAIT_MS, waitFor } from './wait-for.ts';

export function fetchTimingOutAfter(carriedOut: () => boolean, inner: typeof fetch = globalThis.fetch): typeof fetch {
  return (input, init = {}) => {
    const timeout = init.signal;
    if (!timeout) return inner(input, init);
    const held = new AbortController();
    const abortOnceCarriedOut = () => {
      void waitFor(carriedOut, { timeoutMs: MIN_WAIT_MS, what: 'the call carried out at the simulator' })
        .catch(() => undefined)
        .finally(() => held.abort(timeout.reason));
    };
    if (timeout.aborted) abortOnceCarriedOut();
    else timeout.addEventListener('abort', abortOnceCarriedOut, { once: true });
    return inner(input, { ...init, signal: held.signal });
  };
}
