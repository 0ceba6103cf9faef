// What `signrelay demo` prints, read back from what really happened: the daemon's SQLite
// audit trail (requests, events, documents, jobs, mail outcomes), the PDFs in its blob store,
// the signing provider's simulator (told in its words by its story: provider-story.ts), the
// ServiceNow simulator's records (attachments, journal), the watchers' moves and the mail
// world (deliveries, outbox). Nothing here is scripted:
// a step is printed when its record appears, at the time it records, and the demo fails
// (with what it was still waiting for) when a record never appears or says something else.
// It looks again at each of the daemon's events (daemon.events), not on a timer.
import { createHash } from 'node:crypto';
import { RETURNS_MAILBOX } from '../completion/process-completion-mail.ts';
import type { Daemon } from '../daemon.ts';
import { extractPdfText } from '../pdf/extract-text.ts';
import { onAnyEvent, type DaemonEvents } from '../store/daemon-events.ts';
import { listEvents, type EventRow } from '../store/events.ts';
import { jobsForRequest } from '../store/jobs.ts';
import { findMessageById } from '../store/messages.ts';
import { getDocuments, getRequest, listRequests, type RequestRow } from '../store/requests.ts';
import type { MailWorld } from './mail-world.ts';
import type { DemoSources, Fact, FactMaker } from './demo-facts.ts';
import { providerMailFacts } from './provider-mail-facts.ts';
import { acknowledgementFact, acknowledgementPending } from './acknowledgement-fact.ts';

export type { DemoSources, Fact, FactMaker } from './demo-facts.ts';
import type { ServiceNowSimulator } from './servicenow/server.ts';
import type { SimAttachment, SimRecord } from './servicenow/instance.ts';
import type { SimulatedProvider } from './simulated-provider-types.ts';
import type { SimulatedRequest } from './simulated-request.ts';

const REPLY_PREVIEW_LINES = 5;

/** A mail already delivered to the request mailbox (its delivery is the caller's to report). */
export interface ObservedMail {
  messageId: string;
  /** How the mail should end: a request sent for signing, or a rejection with a reply. */
  expect: 'sent' | 'rejected';
}

/** The completion mail the simulator sent for a request that was sent for signing. */
export interface ObservedCompletion {
  requestId: string;
  /** The completion mail's Message-ID, as the simulator sent it. */
  messageId: string;
  /** The request's audit events up to this id were printed already (see followMail). */
  afterEventId: number;
}

/** When the demo gives up: moved on by every step it prints (src/commands/demo.ts). */
export interface DemoDeadline {
  at: number;
}

export interface FollowOptions {
  deadline: DemoDeadline;
  print(fact: Fact): void;
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
  /** Print nothing new yet: something that happened earlier than what is seen is still on its way (a mail being sent). */
  hold?: boolean;
  done: boolean;
  failure: string | null;
  waitingFor: string;
}


/**
 * Counts the daemon's events; `next(seen)` resolves at the first one after the `seen`-th (at
 * once if it came already), when `also` settles, or at the deadline, whichever is first.
 */
function eventsSeen(events: Pick<DaemonEvents, 'on'>) {
  let count = 0;
  let wake = () => {};
  const stop = onAnyEvent(events, () => {
    count += 1;
    wake();
  });
  return {
    count: () => count,
    next(seen: number, deadline: number, also?: Promise<unknown>): Promise<void> {
      if (count > seen) return Promise.resolve();
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        }),
        ...(also ? [also.then(() => undefined, () => undefined)] : []),
      ]).finally(() => {
        clearTimeout(timer);
        wake = () => {};
      });
    },
    stop,
  };
}

/**
 * Prints each new fact in time order until the observation is done, fails, or the deadline
 * passes; looks again after each daemon event (and, while the provider is still mailing,
 * once its mails are out).
 */
async function follow(sources: DemoSources, observe: (fact: FactMaker) => Observation, options: FollowOptions): Promise<void> {
  const printed = new Set<string>();
  const cache = new Map<string, Promise<Fact>>();
  const fact: FactMaker = (key, make) => {
    let made = cache.get(key);
    if (!made) {
      made = Promise.resolve().then(make);
      cache.set(key, made);
    }
    return made;
  };
  const events = eventsSeen(sources.daemon.events);
  try {
    for (;;) {
      // Counted before looking: an event while the facts are rendered is a reason to look again.
      const before = events.count();
      const seen = observe(fact);
      const facts = seen.hold && !seen.failure ? [] : await Promise.all(seen.facts);
      for (const f of facts.filter((f) => !printed.has(f.key)).sort((a, b) => a.at - b.at)) {
        printed.add(f.key);
        options.print(f);
      }
      if (seen.failure) throw new DemoIncomplete(seen.failure, false);
      if (seen.done) return;
      if (Date.now() > options.deadline.at) throw new DemoIncomplete(`still waiting for ${seen.waitingFor}`, true);
      await events.next(before, options.deadline.at, seen.hold ? sources.signing.story.mailed() : undefined);
    }
  } finally {
    events.stop();
  }
}

/**
 * Prints each new fact about a request mail until it ends as expected (sent for signing, or
 * rejected with a reply); returns its request and the last audit event printed for it.
 */
export async function followMail(sources: DemoSources, mail: ObservedMail, options: FollowOptions): Promise<{ requestId: string; lastEventId: number }> {
  let last = { requestId: '', lastEventId: 0 };
  await follow(sources, (fact) => {
    const seen = observeMail(sources, mail, fact);
    if (seen.request) last = { requestId: seen.request.id, lastEventId: seen.lastEventId };
    return seen;
  }, options);
  return last;
}

/**
 * Prints each new fact about a request whose completion mail was sent — the mail matched,
 * the signed copy downloaded, attached to the record with a work note, the request
 * delivered and the mail filed — until all of that happened, or something else did.
 */
export async function followCompletion(sources: DemoSources, completion: ObservedCompletion, options: FollowOptions): Promise<void> {
  await follow(sources, (fact) => observeCompletion(sources, completion, fact), options);
}

function observeMail(sources: DemoSources, mail: ObservedMail, fact: FactMaker): Observation & { request?: RequestRow; lastEventId: number } {
  const { daemon } = sources;
  const facts: Array<Promise<Fact>> = [];
  const moved = sources.moves.find((m) => m.watcher === 'requests' && m.messageId === mail.messageId);
  if (moved) facts.push(fact('moved', () => ({ key: 'moved', at: moved.at, headline: `mail moved to ${moved.folder}`, details: [] })));

  const request = listRequests(daemon.db).find((r) => r.messageId === mail.messageId);
  if (!request) {
    // The outcome is committed before the move, so a moved mail without a request was ignored.
    if (moved) return { facts, done: false, failure: `the daemon moved the mail to ${moved.folder} without a request (ignored: see the log)`, waitingFor: '', lastEventId: 0 };
    const imapError = daemon.requestWatcher.status().lastError;
    return { facts, done: false, failure: null, waitingFor: `the daemon to take the mail from the INBOX${imapError ? ` (IMAP: ${imapError.message})` : ''}`, lastEventId: 0 };
  }
  let replied = false;
  const events = listEvents(daemon.db, request.id);
  for (const event of events) {
    const key = `event-${event.id}`;
    if (event.kind === 'mail' && event.detail?.sent === 'reply') {
      replied = true;
      facts.push(fact(key, () => replyFact(key, event, sources, mail)));
    } else if (event.kind === 'mail' && event.detail?.sent === 'acknowledgement') {
      facts.push(fact(key, () => acknowledgementFact(key, event, sources, mail.messageId)));
    } else if (event.kind === 'transition' || event.kind === 'note') {
      facts.push(fact(key, () => transitionFact(key, event, request, sources)));
    }
  }

  // What the provider mailed for the request so far: invitations, and notices to the return address, which the daemon files.
  const mails = providerMailFacts(sources, request, simulatedRequest(daemon, request), fact);
  facts.push(...mails.facts);

  const state = request.state;
  const seen = { facts, request, lastEventId: events.at(-1)?.id ?? 0, hold: mails.mailing };
  if (mail.expect === 'sent' && (state === 'rejected' || state === 'failed')) {
    return { ...seen, done: false, failure: `the sample request ended "${state}": ${request.reason ?? 'no reason recorded'}`, waitingFor: '' };
  }
  if (mail.expect === 'rejected' && state !== 'rejected') {
    return { ...seen, done: false, failure: `the mail without a PDF was accepted as a request (state "${state}"); it should have been rejected`, waitingFor: '' };
  }
  if (mails.failure) return { ...seen, done: false, failure: mails.failure, waitingFor: '' };
  const sentAndTold = state === 'sent' && moved !== undefined && !mails.mailing && mails.unfiled === null && !acknowledgementPending(daemon.db, request.id);
  const done = mail.expect === 'sent' ? sentAndTold : replied && moved !== undefined;
  const next = state === 'sent' && moved && mails.unfiled ? `${mails.unfiled} (request ${request.id} is "sent")` : waitingFor(sources, request, replied);
  return { ...seen, done, failure: null, waitingFor: next };
}

function observeCompletion(sources: DemoSources, completion: ObservedCompletion, fact: FactMaker): Observation {
  const { daemon } = sources;
  const returns = daemon.returnWatcher;
  const facts: Array<Promise<Fact>> = [];
  const request = getRequest(daemon.db, completion.requestId);
  if (!request) return { facts, done: false, failure: `request ${completion.requestId} is gone from the database`, waitingFor: '' };

  const moved = sources.moves.find((m) => m.watcher === 'returns' && m.messageId === completion.messageId);
  const filed = findMessageById(daemon.db, RETURNS_MAILBOX, completion.messageId);
  if (moved) facts.push(fact('moved', () => ({ key: 'moved', at: moved.at, headline: `completion mail moved to ${moved.folder}`, details: [] })));
  if (filed && filed.outcome !== 'completion') {
    return { facts, done: false, failure: `the completion mail was filed as "${filed.outcome}" in ${filed.folder}: ${filed.reason}`, waitingFor: '' };
  }

  let matched = false;
  for (const event of listEvents(daemon.db, request.id).filter((e) => e.id > completion.afterEventId)) {
    const key = `event-${event.id}`;
    const detail = event.detail ?? {};
    if (event.kind === 'mail' && detail.received === 'completion') {
      matched = true;
      facts.push(fact(key, () => matchedFact(key, event, request, sources)));
    } else if (event.kind === 'transition' && event.toState === 'completed') {
      facts.push(fact(key, () => signedCopyFact(key, event, request, sources)));
    } else if (event.kind === 'effect' && detail.phase === 'done' && String(detail.effect).startsWith('attach-')) {
      const attachment = sources.servicenow.attachments.get(String(detail.attachment));
      const problem = attachmentProblem(attachment, request, sources);
      if (problem) return { facts, done: false, failure: problem, waitingFor: '' };
      facts.push(fact(key, () => attachedFact(key, event, attachment!, sources)));
    } else if (event.kind === 'effect' && detail.phase === 'done' && detail.effect === 'work-note') {
      facts.push(fact(key, () => workNoteFact(key, event, request, sources)));
    } else if (event.kind === 'transition' || event.kind === 'note') {
      facts.push(fact(key, () => transitionFact(key, event, request, sources)));
    }
  }

  if (request.state !== 'sent' && request.state !== 'completed' && request.state !== 'delivered') {
    return { facts, done: false, failure: `request ${request.id} ended "${request.state}": ${request.reason ?? 'no reason recorded'}`, waitingFor: '' };
  }
  const done = request.state === 'delivered' && moved !== undefined;
  const next = !matched ? 'the completion watcher to take the mail from its folder'
    : request.state === 'sent' ? 'the complete job to download the signed copy from the simulator'
      : request.state === 'completed' ? `the signed copy to be attached to ${request.recordNumber ?? 'the record'}`
        : 'the completion mail to be moved to its folder';
  const lastError = jobsForRequest(daemon.db, request.id).map((j) => j.lastError).filter(Boolean).pop();
  const watcherError = returns.status().lastError;
  const because = lastError ? `; last job error: ${lastError}` : watcherError ? `; IMAP: ${watcherError.message}` : '';
  return { facts, done, failure: null, waitingFor: `${next} (request ${request.id} is "${request.state}"${because})` };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A request as the simulator knows it: what the daemon stored when it sent it. */
export function simulatedRequest(daemon: Daemon, request: RequestRow): SimulatedRequest {
  return { providerOrderId: request.providerOrderId, references: getDocuments(daemon.db, request.id).map((d) => d.providerRef ?? '') };
}

function recordOf(attachment: SimAttachment, { servicenow }: DemoSources): SimRecord | undefined {
  return servicenow.records.find((r) => r.sysId === attachment.tableSysId);
}

/** What is wrong with an attachment the daemon says it made, if anything: the record's copy must be the API's. */
function attachmentProblem(attachment: SimAttachment | undefined, request: RequestRow, sources: DemoSources): string | null {
  if (!attachment) return `the daemon recorded an attachment for request ${request.id} that the ServiceNow simulator does not have`;
  const record = recordOf(attachment, sources);
  if (!record || record.number !== request.recordNumber) {
    return `${attachment.fileName} was attached to ${record?.number ?? 'an unknown record'}, not to ${request.recordNumber ?? 'the request\'s record'}`;
  }
  const simulated = simulatedRequest(sources.daemon, request);
  const copies = simulated.references.map((_, i) => sources.signing.story.servedCopy(simulated, i)).filter((c) => c !== undefined);
  if (!copies.some((c) => sha256(c) === attachment.hash)) {
    return `${attachment.fileName} on ${record.number} (sha256 ${attachment.hash}) is not the simulator's signed copy`;
  }
  return null;
}

function matchedFact(key: string, event: EventRow, request: RequestRow, { daemon, signing }: DemoSources): Fact {
  const via = String(event.detail?.via ?? '?');
  const job = jobsForRequest(daemon.db, request.id).find((j) => j.kind === 'complete');
  const how: Record<string, string> = {
    'recipient-token': `the address it came to carries request ${request.id}'s token ${request.token}`,
    'document-reference': `it names ${signing.story.referenceName} of request ${request.id}`,
    'attachment-token': `its attachment carries request ${request.id}'s token ${request.token}`,
  };
  const source = event.detail?.attachments ? 'the mail\'s PDF is kept (completion.trust_attachment)' : 'the signed copy will come from the API, not from the mail';
  return {
    key, at: Date.parse(event.at),
    headline: `completion mail matched to request ${request.id} by ${via}`,
    details: [...(how[via] ? [how[via]] : []), `${job ? `queued job "complete" #${job.id}; ` : ''}${source}`],
  };
}

async function signedCopyFact(key: string, event: EventRow, request: RequestRow, sources: DemoSources): Promise<Fact> {
  const { daemon, signing } = sources;
  const fromApi = event.detail?.source !== 'mail attachment';
  const details: string[] = [];
  const calls: string[] = [];
  const simulated = simulatedRequest(daemon, request);
  for (const [index, doc] of getDocuments(daemon.db, request.id).entries()) {
    if (!doc.signedSha256) continue;
    calls.push(...signing.story.downloads(simulated, index));
    const bytes = daemon.blobs.get(doc.signedSha256);
    const apiCopy = signing.story.servedCopy(simulated, index);
    const same = apiCopy === undefined ? 'the simulator has no signed copy' : sha256(apiCopy) === doc.signedSha256 ? '= the simulator\'s signed copy' : 'DIFFERS from the simulator\'s signed copy';
    details.push(`${doc.fileName}: ${bytes.length} bytes, sha256 ${doc.signedSha256} (${same})`);
    const pages = await extractPdfText(bytes);
    const before = (await extractPdfText(daemon.blobs.get(doc.stampedSha256 ?? doc.originalSha256))).length;
    const added = pages.slice(before);
    details.push(`${before} page${before === 1 ? '' : 's'} sent → ${pages.length} signed; the simulator's added page${added.length === 1 ? '' : 's'}:`);
    added.forEach((text, i) => {
      for (const line of text.split('\n').map((l) => l.trim()).filter((l) => /^(Signing certificate|Signed by)/.test(l))) details.push(`  page ${before + i + 1}  ${line}`);
    });
  }
  return {
    key, at: Date.parse(event.at),
    headline: fromApi ? `downloaded the signed copy from the API: ${calls.join(', ') || '(no download call seen at the simulator)'}` : 'took the signed copy from the completion mail (completion.trust_attachment)',
    details,
  };
}

function attachedFact(key: string, event: EventRow, attachment: SimAttachment, sources: DemoSources): Fact {
  const record = recordOf(attachment, sources)!;
  const call = sources.servicenow.calls.find((c) => c.method === 'POST' && c.path === '/api/now/attachment/file'
    && c.query.file_name === attachment.fileName && c.query.table_sys_id === record.sysId && c.status === 201);
  return {
    key, at: Date.parse(event.at),
    headline: `attached to ${record.number} (${record.table}): ${attachment.fileName}`,
    details: [
      ...(call ? [`ServiceNow simulator: POST ${call.path} → ${call.status} as ${call.user ?? '?'}`] : []),
      `sys_attachment ${attachment.sysId}: ${attachment.sizeBytes} bytes, ${attachment.contentType}`,
      `sha256 ${attachment.hash} (= the API's signed copy)`,
    ],
  };
}

function workNoteFact(key: string, event: EventRow, request: RequestRow, { servicenow }: DemoSources): Fact {
  const record = servicenow.records.find((r) => r.number === request.recordNumber);
  const note = record?.journal.filter((j) => j.field === 'work_notes' && j.value.includes(request.id)).at(-1);
  return {
    key, at: Date.parse(event.at),
    headline: note ? `work note on ${record!.number} by ${note.by}:` : `work note recorded as added (not found on ${request.recordNumber ?? 'the record'} at the simulator)`,
    details: note ? note.value.split('\n').map((l) => `| ${l}`.trimEnd()) : [],
  };
}

function waitingFor(sources: DemoSources, request: RequestRow, replied: boolean): string {
  const next: Record<string, string> = {
    received: 'the PDF to be stamped', stamped: sources.signing.story.waitingFor.upload,
    uploaded: sources.signing.story.waitingFor.send, sent: 'the mail to be moved to Processed',
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
      return { ...base, ...sources.signing.story.uploaded(getDocuments(sources.daemon.db, request.id).map((d) => ({ reference: d.providerRef, uploadName: d.uploadName }))) };
    case 'sent':
      return { ...base, ...sources.signing.story.sent(simulatedRequest(sources.daemon, request)) };
    case 'delivered':
      return { ...base, headline: `delivered: request ${request.id} is done, the signed PDF is on ${request.recordNumber ?? 'its record'}`, details: [] };
    case 'rejected':
      return { ...base, headline: `rejected (request ${request.id}):`, details: (request.reason ?? 'no reason recorded').split('\n') };
    case 'failed':
      return { ...base, headline: `FAILED (request ${request.id}):`, details: (String(event.detail?.reason ?? request.reason ?? '')).split('\n') };
    default:
      if (event.kind === 'note' && typeof event.detail?.alert === 'string') {
        return { ...base, headline: `operator alert (${event.detail.alert}): ${String(event.detail.subject ?? '')}`, details: [] };
      }
      return { ...base, headline: event.kind === 'note' ? `note: ${JSON.stringify(event.detail ?? {})}` : `request ${request.id}: ${event.fromState ?? '∅'} → ${event.toState}`, details: [] };
  }
}

async function stampedFact(request: RequestRow, { daemon, signing }: DemoSources): Promise<Pick<Fact, 'headline' | 'details'>> {
  const details: string[] = [];
  const names: string[] = [];
  for (const doc of getDocuments(daemon.db, request.id)) {
    if (!doc.stampedSha256) continue;
    names.push(doc.uploadName ?? doc.fileName);
    const before = (await extractPdfText(daemon.blobs.get(doc.originalSha256))).length;
    const pages = await extractPdfText(daemon.blobs.get(doc.stampedSha256));
    const stamp = signing.story.stampedText(pages, before);
    details.push(`${doc.fileName}: ${before} page${before === 1 ? '' : 's'} → ${pages.length}; ${stamp.label}:`);
    for (const line of stamp.lines) details.push(`  ${line}`);
  }
  return { headline: `stamped: ${names.join(', ')}`, details };
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
