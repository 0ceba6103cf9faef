// The worker process PDFs are parsed in (started by pdf-pool.ts): it runs one task at
// a time — inspect, stamp, both at once (prepare), read a token or check a completion mail's copy against what was
// sent — and answers with the result or the error, flattened so it survives the trip
// between processes. The time and heap limits are applied from outside; the allocation
// cap (cap-allocations.ts) is installed here, before any parser is loaded. It ends itself
// when the daemon goes away; if a parser in a loop keeps it from noticing, its guard
// (src/orphan-guard.ts) kills it.
import { writeFileSync } from 'node:fs';
import { collectGarbage, COLLECT_AFTER_BYTES } from '../collect-garbage.ts';
import { describeError, isSignrelayError } from '../errors.ts';
import { capAllocations } from './cap-allocations.ts';
import { tooComplexPdfError, WORKER_CANNOT_LOAD_EXIT, workerUnavailable } from './pdf-errors.ts';
import { largestBytes, spillBytes, unspillBytes } from './spill-bytes.ts';
import type { PdfTask, PdfTaskMessage, PdfTaskReply, SerializedError } from './pdf-pool.ts';

const cap = capAllocations(Number.POSITIVE_INFINITY);

// Under a memory limit (systemd's MemoryMax=) the kernel's OOM killer takes the process it
// scores highest: this one, not the daemon — a worker is replaced in a moment, a daemon
// killed drops every mail in hand. Raising one's own score needs no privilege.
try {
  writeFileSync('/proc/self/oom_score_adj', '500');
} catch {
  // Not Linux, or /proc not mounted: the limits inside the worker still apply.
}

// Listening before the parsers load: a message that arrived with no listener would be lost.
const queue: PdfTaskMessage[] = [];
let busy = false;
process.on('message', (message: PdfTaskMessage) => {
  queue.push(message);
  void drain();
});
process.on('disconnect', () => process.exit(0));
// A stop is the daemon's to carry out: it finishes the task in hand, then ends its workers
// (and a worker whose daemon died is ended by its guard). Ctrl-C at a terminal (SIGINT to the
// whole foreground group) and a unit stopped with KillMode=control-group reach the workers
// too: died of them, the task in hand would fail and count against its mail.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

// Loaded after the cap is in place, so nothing the parsers allocate escapes it.
const parsers = Promise.all([import('./inspect-pdf.ts'), import('./stamp-pdf.ts'), import('./pdf-token.ts'), import('./prepare-pdf.ts')]);
const verifier = import('./verify-signed-copy.ts');
// Readers that cannot be loaded (a broken install, a NODE_OPTIONS they do not survive) are the
// machine's failure, not a PDF's: said on stderr and by an exit code of its own (pdf-pool.ts).
for (const loading of [parsers, verifier]) {
  loading.catch((err: unknown) => {
    process.stderr.write(`signrelay-pdf-worker: could not load the PDF readers: ${describeError(err)}\n`);
    process.exit(WORKER_CANNOT_LOAD_EXIT);
  });
}

async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    for (let message = queue.shift(); message; message = queue.shift()) {
      const { reply, large } = await run(message);
      await new Promise<void>((resolve) => process.send!(reply, undefined, {}, () => resolve()));
      // A large PDF's buffers and parsed objects would stay resident until the worker is
      // recycled (collect-garbage.ts): given back once it is answered, unless more work waits.
      if (large && queue.length === 0) collectGarbage();
    }
  } finally {
    busy = false;
  }
}

async function run({ id, task, maxBufferBytes, spillDir }: PdfTaskMessage): Promise<{ reply: PdfTaskReply; large: boolean }> {
  cap.setMaxBytes(maxBufferBytes);
  cap.takeRefused();
  let result: unknown;
  let failure: unknown;
  let large = false;
  try {
    // Large arrays come as files, and go back as files (spill-bytes.ts).
    const input = throughTempDirectory('read the PDF from', spillDir, () => unspillBytes(task));
    large = largestBytes(input) >= COLLECT_AFTER_BYTES;
    const value = await runTask(input);
    result = throughTempDirectory('write its answer to', spillDir, () => spillBytes(value, () => spillDir, `task-${id}-out`));
  } catch (err) {
    failure = err;
  }
  // pdf.js carries on past many errors, so a refused allocation may not have surfaced as
  // one: whatever the outcome, a stream that needed a buffer over the cap is a refusal.
  const refused = cap.takeRefused();
  if (refused !== undefined) {
    const fileName = task.op === 'inspect' || task.op === 'prepare' ? task.limits.fileName : task.op === 'stamp' ? task.input.request.fileName : undefined;
    failure = tooComplexPdfError(fileName, `reading it needs more than ${Math.round(maxBufferBytes / (1024 * 1024))} MB at once`, failure);
  }
  const rss = process.memoryUsage.rss();
  if (failure !== undefined) return { reply: { id, rss, ok: false, error: serialize(failure) }, large };
  return { reply: { id, rss, ok: true, value: result }, large };
}

async function runTask(task: PdfTask): Promise<unknown> {
  const [{ inspectPdfInProcess }, { stampPdfInProcess }, { readTokenFromPdfInProcess }, { preparePdfInProcess }] = await parsers;
  switch (task.op) {
    case 'inspect': return inspectPdfInProcess(task.bytes, task.limits);
    case 'stamp': return stampPdfInProcess(task.bytes, task.input);
    case 'prepare': return preparePdfInProcess(task.bytes, task.limits, task.input);
    case 'token': return readTokenFromPdfInProcess(task.bytes, task.overlayPage);
    case 'verify-signed': return (await verifier).verifySignedCopyInProcess(task.bytes, task.sent);
  }
}

/** The spill files are the machine's: failing them (a full or missing TMPDIR) is not the PDF's failure. */
function throughTempDirectory<T>(what: string, spillDir: string, io: () => T): T {
  try {
    return io();
  } catch (err) {
    throw workerUnavailable(`the PDF worker could not ${what} the temp directory ${spillDir}: ${describeError(err)}`, err);
  }
}

function serialize(err: unknown): SerializedError {
  if (isSignrelayError(err)) return { name: err.name, message: err.message, kind: err.kind, code: err.code, cause: err.cause === undefined ? undefined : describeError(err.cause) };
  // An errno code (a spawn or a file that failed) goes along: it says the machine failed (pdf-pool.ts).
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack, ...(typeof code === 'string' ? { code } : {}) };
  return { name: 'Error', message: String(err) };
}
