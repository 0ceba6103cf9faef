// Deadlines that hold under load: a wait fails when nothing has moved for a stall window,
// not when a wall-clock budget ran out. The caller shows the clock a progress mark now
// and then (any string that changes when work moves on: counts read from the database and
// the simulators) and, when work is scheduled for later (a job waiting out a retry), the
// time it is due: the window only starts counting from then. A very generous absolute cap
// still ends a wait that keeps moving without ever finishing.

export interface StallClock {
  /**
   * Notes the current progress mark (undefined: could not be read this time, nothing
   * learned) and when the next scheduled work is due (ms since the epoch, if any).
   */
  observe(mark: string | undefined, nextDueAt?: number): void;
  /** 'moving' while something moved within the window (or is due soon); else why the wait is over. */
  verdict(): 'moving' | 'stalled' | 'capped';
  /** How long since the last progress, ms. */
  idleMs(): number;
  /** e.g. "no progress for 30 s (the last 12 s after the wait started)", for the report. */
  describe(): string;
}

export function startStallClock(stallMs: number, capMs: number, now: () => number = Date.now): StallClock {
  const started = now();
  let movedAt = started;
  let mark: string | undefined;
  let dueAt = 0;
  return {
    observe(next, nextDueAt) {
      if (next !== undefined && next !== mark) {
        if (mark !== undefined) movedAt = now();
        mark = next;
      }
      dueAt = nextDueAt ?? 0;
    },
    verdict() {
      const t = now();
      if (t - started > capMs) return 'capped';
      return t - Math.max(movedAt, dueAt) > stallMs ? 'stalled' : 'moving';
    },
    idleMs: () => now() - movedAt,
    describe() {
      const t = now();
      return t - started > capMs
        ? `still not done ${Math.round((t - started) / 1000)} s after the wait started (the cap is ${Math.round(capMs / 1000)} s; the last progress ${Math.round((t - movedAt) / 1000)} s ago)`
        : `no progress for ${Math.round((t - movedAt) / 1000)} s (the stall window is ${Math.round(stallMs / 1000)} s; the wait started ${Math.round((t - started) / 1000)} s ago)`;
    },
  };
}
