// What `signrelay demo` prints, read back from what really happened: the daemon's SQLite
// audit trail (requests, events, documents, jobs), the stamped PDF's text layer, the
// Secured Signing simulator's call log, the request watcher's moves and the mail outbox. Nothing
// here is scripted: a step is printed when its record appears, at the time it records, and
// the demo fails (with what it was still waiting for) when a record never appears.
import type { Daemon } from '../daemon.ts';
import { extractPdfText } from '../pdf/extract-text.ts';
import { listEvents, type EventRow } from '../store/events.ts';
import { jobsForRequest } from '../store/jobs.ts';
import { getDocuments, listRequests, type RequestRow } from '../store/requests.ts';
import type { MailWorld } from './mail-world.ts';
import type { SecuredSigningSimulator } from './secured-signing/server.ts';
import { parseSmartTags } from './secured-signing/smart-tags.ts';

const POLL_INTERVAL_MS = 30;
const REPLY_PREVIEW_LINES = 5;

/** One printed step: when it happened, a headline and indented details. */
export interface Fact {
  key: string;
  at: number;
  headline: string;
  details: string[];
}

export interface DemoSources {
  daemon: Daemon;
  simulator: SecuredSigningSimulator;
  world: MailWorld;
  /** The request watcher's moves, as it reported them. */
  moves: Array<{ at: number; messageId: string | null; folder: string }>;
}

/** A mail already delivered to the request mailbox (its delivery is the caller's to report). */
export interface ObservedMail {
  messageId: string;
  /** How the mail should end: a request sent for signing, or a rejection with a reply. */
  expect: 'sent' | 'rejected';
}

/** The demo did not complete: the message says what went wrong or what was still awaited. */
export class DemoIncomplete extends Error {
  /** True when the deadline passed; false when something ended the wrong way. */
  readonly timedOut: boolean;

  constructor(message: string, timedOut: boolean) {
    super(message);
    this.name = 'DemoIncomplete';
    this.timedOut = timedOut;
  }
}

interface Observation {
  facts: Array<Promise<Fact>>;
  done: boolean;
  failure: string | null;
  waitingFor: string;
}

/** Prints each new fact about `mail` in time order until it ends as expected, fails, or the deadline passes. */
export async function followMail(sources: DemoSources, mail: ObservedMail, options: { deadline: number; print(fact: Fact): void }): Promise<void> {
  const printed = new Set<string>();
  const cache = new Map<string, Promise<Fact>>();
  for (;;) {
    const seen = observe(sources, mail, cache);
    const facts = await Promise.all(seen.facts);
    for (const fact of facts.filter((f) => !printed.has(f.key)).sort((a, b) => a.at - b.at)) {
      printed.add(fact.key);
      options.print(fact);
    }
    if (seen.failure) throw new DemoIncomplete(seen.failure, false);
    if (seen.done) return;
    if (Date.now() > options.deadline) throw new DemoIncomplete(`still waiting for ${seen.waitingFor}`, true);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function observe(sources: DemoSources, mail: ObservedMail, cache: Map<string, Promise<Fact>>): Observation {
  const { daemon } = sources;
  /** Facts are rendered once (the stamped one reads a PDF) and reused on every poll. */
  const fact = (key: string, make: () => Fact | Promise<Fact>): Promise<Fact> => {
    let made = cache.get(key);
    if (!made) {
      made = Promise.resolve(make());
      cache.set(key, made);
    }
    return made;
  };
  const facts: Array<Promise<Fact>> = [];
  const moved = sources.moves.find((m) => m.messageId === mail.messageId);
  if (moved) facts.push(fact('moved', () => ({ key: 'moved', at: moved.at, headline: `mail moved to ${moved.folder}`, details: [] })));

  const request = listRequests(daemon.db).find((r) => r.messageId === mail.messageId);
  if (!request) {
    // The outcome is committed before the move, so a moved mail without a request was ignored.
    if (moved) return { facts, done: false, failure: `the daemon moved the mail to ${moved.folder} without a request (ignored: see the log)`, waitingFor: '' };
    const imapError = daemon.requestWatcher.status().lastError;
    return { facts, done: false, failure: null, waitingFor: `the daemon to take the mail from the INBOX${imapError ? ` (IMAP: ${imapError.message})` : ''}` };
  }
  let replied = false;
  for (const event of listEvents(daemon.db, request.id)) {
    const key = `event-${event.id}`;
    if (event.kind === 'mail' && event.detail?.sent === 'reply') {
      replied = true;
      facts.push(fact(key, () => replyFact(key, event, sources, mail)));
    } else if (event.kind === 'transition' || event.kind === 'note') {
      facts.push(fact(key, () => transitionFact(key, event, request, sources)));
    }
  }

  const state = request.state;
  if (mail.expect === 'sent' && (state === 'rejected' || state === 'failed')) {
    return { facts, done: false, failure: `the sample request ended "${state}": ${request.reason ?? 'no reason recorded'}`, waitingFor: '' };
  }
  if (mail.expect === 'rejected' && state !== 'rejected') {
    return { facts, done: false, failure: `the mail without a PDF was accepted as a request (state "${state}"); it should have been rejected`, waitingFor: '' };
  }
  const done = mail.expect === 'sent' ? state === 'sent' && moved !== undefined : replied && moved !== undefined;
  return { facts, done, failure: null, waitingFor: waitingFor(sources, request, replied) };
}

function waitingFor(sources: DemoSources, request: RequestRow, replied: boolean): string {
  const next: Record<string, string> = {
    received: 'the PDF to be stamped', stamped: 'the upload to the Secured Signing simulator',
    uploaded: 'SmartTag/Send at the simulator', sent: 'the mail to be moved to Processed',
    rejected: replied ? 'the mail to be moved to Rejected' : 'the rejection reply to be sent',
  };
  const what = next[request.state] ?? 'the request to move on';
  const lastError = jobsForRequest(sources.daemon.db, request.id).map((j) => j.lastError).filter(Boolean).pop();
  const watcherError = sources.daemon.requestWatcher.status().lastError;
  const because = lastError ? `; last job error: ${lastError}` : watcherError ? `; IMAP: ${watcherError.message}` : '';
  return `${what} (request ${request.id} is "${request.state}"${because})`;
}

async function transitionFact(key: string, event: EventRow, request: RequestRow, sources: DemoSources): Promise<Fact> {
  const at = Date.parse(event.at);
  const base = { key, at };
  switch (event.toState) {
    case 'received': {
      const record = request.recordNumber ? `record ${request.recordNumber}${request.recordTable ? ` (${request.recordTable})` : ''}` : 'no record';
      return {
        ...base, headline: `accepted as request ${request.id}: route ${request.route}, ${record}, due ${request.dueDate}`,
        details: request.signers.map((s, i) => `signer ${i + 1}: ${s.firstName} ${s.lastName} <${s.email}>`),
      };
    }
    case 'stamped':
      return { ...base, ...(await stampedFact(request, sources)) };
    case 'uploaded':
      return { ...base, ...uploadedFact(request, sources) };
    case 'sent':
      return { ...base, ...sentFact(request, sources) };
    case 'rejected':
      return { ...base, headline: `rejected (request ${request.id}):`, details: (request.reason ?? 'no reason recorded').split('\n') };
    case 'failed':
      return { ...base, headline: `FAILED (request ${request.id}):`, details: (String(event.detail?.reason ?? request.reason ?? '')).split('\n') };
    default:
      return { ...base, headline: event.kind === 'note' ? `note: ${JSON.stringify(event.detail ?? {})}` : `request ${request.id}: ${event.fromState ?? '∅'} → ${event.toState}`, details: [] };
  }
}

async function stampedFact(request: RequestRow, { daemon }: DemoSources): Promise<Pick<Fact, 'headline' | 'details'>> {
  const details: string[] = [];
  const names: string[] = [];
  for (const doc of getDocuments(daemon.db, request.id)) {
    if (!doc.stampedSha256) continue;
    names.push(doc.uploadName ?? doc.fileName);
    const before = (await extractPdfText(daemon.blobs.get(doc.originalSha256))).length;
    const pages = await extractPdfText(daemon.blobs.get(doc.stampedSha256));
    details.push(`${doc.fileName}: ${before} page${before === 1 ? '' : 's'} → ${pages.length}; smart tags in the stamped PDF's text:`);
    pages.forEach((text, i) => {
      const tags = parseSmartTags(text);
      for (const tag of [...tags.sign, ...tags.recipients]) details.push(`  page ${i + 1}  ${tag.text}`);
    });
  }
  return { headline: `stamped: ${names.join(', ')}`, details };
}

function uploadedFact(request: RequestRow, { daemon, simulator }: DemoSources): Pick<Fact, 'headline' | 'details'> {
  const docs = getDocuments(daemon.db, request.id);
  const details: string[] = [];
  const token = simulator.calls.find((c) => c.path.endsWith('/oauth2/token'));
  if (token) details.push(`simulator: POST ${token.path} → ${token.status} (access token from the refresh token)`);
  for (const doc of docs) {
    const call = simulator.calls.find((c) => c.file?.name === doc.uploadName && c.status === 200);
    if (!call) continue;
    const tags = call.tags ? `; tags it read: ${call.tags.sign.length} × [!Sign], ${call.tags.recipients.length} × [!Recipient]` : '';
    details.push(`simulator: POST ${call.path} → ${call.status} (${call.file!.size} bytes)${tags}`);
  }
  return { headline: `uploaded: Secured Signing reference ${docs.map((d) => d.providerRef ?? '?').join(', ')}`, details };
}

function sentFact(request: RequestRow, { daemon, simulator }: DemoSources): Pick<Fact, 'headline' | 'details'> {
  const references = getDocuments(daemon.db, request.id).map((d) => d.providerRef ?? '');
  const call = simulator.calls.find((c) => c.path.endsWith('/SmartTag/Send') && c.status === 200
    && JSON.stringify((c.body as { DocumentReferences?: unknown })?.DocumentReferences) === JSON.stringify(references));
  const details: string[] = [];
  for (const reference of references) {
    const doc = simulator.documents.get(reference);
    if (!doc) continue;
    details.push(`simulator: document ${reference} is "${doc.status}", due ${doc.dueDate ?? '?'}`);
    for (const s of doc.signers) details.push(`  invitation to ${s.FirstName} ${s.LastName} <${s.Email}> (${s.SignedStatus})`);
  }
  const accepted = call ? `SmartTag/Send accepted by the simulator (HTTP ${call.status})` : 'recorded as sent (no SmartTag/Send call seen at the simulator)';
  return { headline: `sent for signing: ${accepted}`, details };
}

function replyFact(key: string, event: EventRow, { world }: DemoSources, mail: ObservedMail): Fact {
  const reply = world.outbox.messages.find((m) => m.parsed.inReplyTo === mail.messageId);
  const to = String(event.detail?.to ?? reply?.envelope.rcptTo.join(', ') ?? '?');
  const lines = (reply?.parsed.text ?? '').split('\n').map((l) => l.trimEnd());
  const preview = lines.filter((l, i) => l !== '' || (i > 0 && lines[i - 1] !== '')).slice(0, REPLY_PREVIEW_LINES);
  return {
    key, at: Date.parse(event.at),
    headline: reply ? `reply sent to ${to}: "${reply.parsed.subject ?? ''}"` : `reply sent to ${to} (not found in the outbox)`,
    details: preview.map((l) => `| ${l}`.trimEnd()),
  };
}
