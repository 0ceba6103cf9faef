// A mistake in a bench's command line: said in one line with the usage, exit 2, no stack trace.
export class UsageError extends Error {}

/** `read()`'s options, or undefined once a UsageError has been said on stderr (the bench then exits 2). */
export function readOptions<T>(bench: string, usage: string, read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${bench}: ${err.message}\n${usage}`);
    return undefined;
  }
}
