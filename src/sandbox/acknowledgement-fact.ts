// The demo's line for a request's acknowledgement (docs/request-mails.md): sent to whom, with
// its subject, and the lines that name the request — found in the mail world's outbox by
// its header and its In-Reply-To, the request mail it answers. And whether one is still
// waiting in the job table, so the demo does not end before it is out.
import type { EventRow } from '../store/events.ts';
import { jobsForRequest } from '../store/jobs.ts';
import type { Db } from '../store/open-database.ts';
import type { DemoSources, Fact } from './demo-facts.ts';

const PREVIEW = /^\s+(Record|Due|Request):/;

export function acknowledgementFact(key: string, event: EventRow, { world }: DemoSources, requestMessageId: string | null): Fact {
  const ack = world.outbox.messages.find((m) => m.parsed.headers.get('x-signrelay') === 'acknowledgement' && m.parsed.inReplyTo === requestMessageId);
  const to = String(event.detail?.to ?? ack?.envelope.rcptTo.join(', ') ?? '?');
  return {
    key, at: Date.parse(event.at),
    headline: ack ? `acknowledgement sent to ${to}: "${ack.parsed.subject ?? ''}" (reply cancel, remind, extend or status to it)` : `acknowledgement sent to ${to} (not found in the outbox)`,
    details: (ack?.parsed.text ?? '').split('\n').filter((l) => PREVIEW.test(l)).map((l) => `| ${l.trim()}`),
  };
}

/** Whether the request's acknowledgement is queued but not sent yet. */
export function acknowledgementPending(db: Db, requestId: string): boolean {
  return jobsForRequest(db, requestId).some((j) => j.kind === 'mail' && j.state === 'pending' && j.payload.purpose === 'acknowledgement');
}
