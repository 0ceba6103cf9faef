// Large byte arrays travel between the daemon and a PDF worker as files, not through the IPC
// channel: structured clone over the pipe copies an array into a serialisation buffer on one
// side and gathers and copies it again on the other, and a 20 MB PDF sent and stamped cost
// the daemon ~100 MB at its peak for each task (three such arrays for a signed copy's check).
// A file costs the reader one buffer of the file's size. The files live in one private
// directory (mkdtemp: mode 0700), are named after the task, and the daemon removes them when
// the task is over, whatever its outcome (pdf-pool.ts); a daemon that was killed leaves its
// directory for the next one to remove.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Arrays from this size on go by file. */
export const SPILL_MIN_BYTES = 1024 * 1024;

/** What stands in for an array in a message: the file holding its bytes. */
interface SpilledBytes {
  spilledBytes: string;
}

const isSpilled = (value: unknown): value is SpilledBytes =>
  typeof value === 'object' && value !== null && typeof (value as SpilledBytes).spilledBytes === 'string' && Object.keys(value).length === 1;

/**
 * A copy of `value` (plain objects and arrays, as messages are) in which each item `swap`
 * answers for is replaced by its answer; the walk goes into the rest.
 */
function replaceItems(value: unknown, swap: (item: unknown) => unknown): unknown {
  const walk = (item: unknown): unknown => {
    const swapped = swap(item);
    if (swapped !== undefined) return swapped;
    if (Array.isArray(item)) return item.map(walk);
    if (typeof item === 'object' && item !== null && Object.getPrototypeOf(item) === Object.prototype) {
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [key, walk(inner)]));
    }
    return item;
  };
  return walk(value);
}

/** A copy of `value` with every byte array of at least SPILL_MIN_BYTES written to `dir` as `${prefix}-N` and replaced by its file's name. */
export function spillBytes<T>(value: T, dir: () => string, prefix: string): T {
  let n = 0;
  return replaceItems(value, (item) => {
    if (!(item instanceof Uint8Array)) return undefined;
    if (item.byteLength < SPILL_MIN_BYTES) return item;
    const file = join(dir(), `${prefix}-${n++}`);
    writeFileSync(file, item);
    return { spilledBytes: file } satisfies SpilledBytes;
  }) as T;
}

/** `value` with each spilled array read back from its file (the files stay: their owner removes them). */
export function unspillBytes<T>(value: T): T {
  return replaceItems(value, (item) => {
    if (!isSpilled(item)) return undefined;
    // A plain Uint8Array, as structured clone would have given.
    const file = readFileSync(item.spilledBytes);
    return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  }) as T;
}

/** The size of the largest byte array in `value`. */
export function largestBytes(value: unknown): number {
  let largest = 0;
  replaceItems(value, (item) => {
    if (!(item instanceof Uint8Array)) return undefined;
    largest = Math.max(largest, item.byteLength);
    return item;
  });
  return largest;
}

/** A spill directory's name: the daemon's PID, so a later daemon can tell whose it was. */
const SPILL_DIR_RE = /^signrelay-pdf-(\d+)-/;

/**
 * The directory spilled files go to, made when first needed (again, should something have
 * removed it — a /tmp cleaner) and removed when the process exits. Under SIGKILL it stays,
 * holding at most the files of the tasks then running: the next daemon to make its own
 * removes the directories of daemons no longer running. `remove` deletes one task's files.
 */
export function spillDirectory(root?: string): { path(): string; root(): string; remove(prefix: string): void; close(): void } {
  let dir: string | undefined;
  const close = () => {
    try {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    } catch {
      // the next daemon removes it
    }
    dir = undefined;
  };
  return {
    path() {
      if (dir !== undefined && existsSync(dir)) return dir;
      // The root is read when first needed, not when the pool module loads (TMPDIR may be set later).
      const parent = root ?? tmpdir();
      if (dir === undefined) {
        removeDeadDaemonsDirs(parent);
        process.once('exit', close);
      }
      dir = mkdtempSync(join(parent, `signrelay-pdf-${process.pid}-`));
      return dir;
    },
    root: () => root ?? tmpdir(),
    remove(prefix) {
      if (dir === undefined || !existsSync(dir)) return;
      // Best effort: a file left (too many open files, a disk error) goes with the directory.
      try {
        for (const file of readdirSync(dir)) {
          if (file.startsWith(`${prefix}-`)) rmSync(join(dir, file), { force: true });
        }
      } catch {
        // removed at exit, or by the next daemon
      }
    },
    close,
  };
}

/** Removes the spill directories, in `root`, of this user's daemons that are no longer running. */
export function removeDeadDaemonsDirs(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(SPILL_DIR_RE.exec(name)?.[1]);
    if (!pid || pid === process.pid || isRunning(pid)) continue;
    const path = join(root, name);
    try {
      if (statSync(path).uid === process.getuid?.()) rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone already, or not ours to remove: it is left as it is.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
