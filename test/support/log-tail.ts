// The last lines of a daemon's JSON log, one short line each (time, mailbox, message, and
// for imapflow's protocol log the command or answer), the last `lines` of each mailbox's
// and of the rest: printed when a test of a world fails, so a hang seen once on a loaded
// box is read from the run's output (one watcher's liveness probes do not bury another's
// last command) instead of guessed at. Each line is quoted as outside text (one line, no
// control characters: a hostile mail's subject cannot drive the terminal) and cut to 200.
import { quoteOutside } from '../../src/outside-text.ts';

const FIELDS = ['task', 'job', 'jobId', 'attempt', 'purpose', 'requestId', 'uid', 'to', 'kind', 'outcome', 'state', 'code', 'error'] as const;

export function logTail(chunks: readonly string[], lines = 40): string {
  const groups = new Map<string, string[]>();
  for (const line of chunks.join('').split('\n')) {
    if (!line) continue;
    const shown = show(line);
    const group = groups.get(shown.mailbox) ?? [];
    group.push(shown.text);
    if (group.length > lines) group.shift();
    groups.set(shown.mailbox, group);
  }
  return [...groups].map(([mailbox, group]) => `-- ${mailbox || 'daemon'}\n${group.join('\n')}`).join('\n');
}

function show(line: string): { mailbox: string; text: string } {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { mailbox: '', text: quoteOutside(line, 200) };
  }
  const time = typeof entry.timestamp === 'string' ? entry.timestamp.slice(11, 23) : '';
  const what = entry.message === 'imapflow'
    ? `imap ${String(entry.src ?? '')} ${String(entry.imapMsg ?? entry.msg ?? '')}`
    : `${String(entry.message)} ${JSON.stringify(Object.fromEntries(FIELDS.filter((f) => entry[f] !== undefined).map((f) => [f, entry[f]])))}`;
  return { mailbox: typeof entry.mailbox === 'string' ? entry.mailbox : '', text: quoteOutside(`${time} ${what}`, 200) };
}
