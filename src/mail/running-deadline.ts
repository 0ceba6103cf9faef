// A deadline for another system's answer that counts only the time this process was running.
// A plain timer counts a stall of the process itself (a loaded box, the CPU taken by others)
// against the other side: when the process runs again, the timer and the answer that came
// meanwhile are due together, and timers run before the sockets are read — the liveness
// NOOP's answer was there, and a live IMAP connection was dropped as dead (load flake 2).
import { monotonicMs } from '../time.ts';

/** The deadline looks this often; a look later than twice this found the process stalled. */
const STEP_MS = 100;

/**
 * Calls `expired` once `limitMs` of running time has passed. A look that came late counts as
 * at most two steps, so the time the process did not run is not counted, and the answer read
 * after a stall gets its chance. A process stalled at every look still gives up (each look
 * counts two steps). Returns the function that cancels it.
 */
export function startRunningDeadline(limitMs: number, expired: () => void, now: () => number = monotonicMs): () => void {
  const stepMs = Math.max(1, Math.min(limitMs, STEP_MS));
  let counted = 0;
  let lastLook = now();
  let timer: NodeJS.Timeout | undefined;
  const look = () => {
    const at = now();
    counted += Math.min(at - lastLook, 2 * stepMs);
    lastLook = at;
    if (counted >= limitMs) {
      expired();
      return;
    }
    timer = setTimeout(look, Math.min(stepMs, limitMs - counted));
  };
  timer = setTimeout(look, stepMs);
  return () => clearTimeout(timer);
}

/**
 * `work`, or `expired()`'s error once `limitMs` of this process's running time passed without
 * its answer — the deadline of a command the watcher waits on (the liveness NOOP, a quota read).
 * The deadline ends with the race either way; `work` itself is not cancelled.
 */
export async function withinRunningTime<T>(work: Promise<T>, limitMs: number, expired: () => Error): Promise<T> {
  let cancel: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    cancel = startRunningDeadline(limitMs, () => reject(expired()));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    cancel?.();
  }
}
