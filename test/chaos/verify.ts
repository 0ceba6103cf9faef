// The end of a chaos run: what the remote sides and the mailboxes say happened, counted
// from their own records (the simulators' call logs and stores, Dovecot's folders, the SMTP
// server's mails) and compared with what the daemon's database claims. Read-only.
import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { MAX_MESSAGE_ATTEMPTS, UNEXPLAINED_ATTEMPTS_FACTOR } from '../../src/mail/with-attempt-limit.ts';
import { ALERTS_TO, REQUEST_ADDRESS, type ChaosWorld } from './chaos-world.ts';
import type { ProviderMail } from './provider-side.ts';
import type { ObservedCall } from './effect-tap.ts';
import type { SimulatedRequest } from '../../src/sandbox/simulated-provider.ts';
import { verifyRecordUpdates } from './verify-record-updates.ts';

export interface Tally {
  /** Requests whose record did not get the signed copy. */
  lost: number;
  /** Successful sends beyond one per request (Secured Signing: SmartTag/Send; Signicat: orders per token), plus sends refused as "already sent". */
  duplicateSends: number;
  /** Signed copies attached beyond one per record. */
  duplicateAttachments: number;
  /** Records with exactly one certificate, the provider's (servicenow.attach_certificate; 0 when off). */
  certificates: number;
  /** Certificates attached beyond one per record. */
  duplicateCertificates: number;
  /** Work notes beyond one per event (sent, signed) on a record. */
  duplicateNotes: number;
  /** Status-field updates beyond one per transition on a record. */
  duplicateFieldUpdates: number;
  /** Per-signer "signed, k of n" notes on the records (each checked once, in order, before the signed note). */
  signerNotes: number;
  /** Mails the daemon sent (replies, notices, alerts): none are due for good requests. */
  daemonMails: number;
  /** Of them: the same acknowledgement handed to the SMTP server again after a kill cut off its record. */
  repeatedMails: number;
  /** The provider's mails to the return address, by how the daemon must file them (Signicat: one `notice` per order, its creation). */
  providerMails: Record<ProviderMail['outcome'], number>;
  /**
   * Of the notices: those that reached the return mailbox after their order's completion
   * notice and were read once the request was delivered — filed as `duplicate` ("already
   * delivered"), which process-completion-mail.ts does for any mail of a finished request.
   */
  lateNotices: number;
  /** Uploads no send used (the documented gap: an upload whose answer was lost is repeated; Signicat: session documents in no order). */
  orphanUploads: number;
  delivered: number;
  /**
   * Of `lost`: requests whose request or completion mail the daemon gave up on because it
   * was killed while handling it too often (known bug 4 in README.md).
   */
  lostToAttemptLimit: number;
  /** The most attempts counted at one mail (given up after GIVE_UP_AFTER attempts cut short by the process dying). */
  maxMailAttempts: number;
  /** Token answers at the provider (Secured Signing: refreshes, each rotating the refresh token — a kill in between locks the daemon out; Signicat: client-credentials tokens). */
  tokenRefreshes: number;
  /**
   * Of `lost`: requests stalled because a kill between a refresh-token rotation and saving
   * the new token locked the daemon out (known limitation 2 in README.md).
   */
  lostToLockout: number;
  /** That lock-out's operator alert (subject and text), when it was recognised: it must name the spent token and the fix. */
  lockoutAlert: string | null;
  /** Broken invariants: a run with any of these fails. */
  problems: string[];
  /**
   * Outcomes the daemon is known (or designed) to produce under SIGKILL today (see
   * test/chaos/README.md): printed loudly, failing the bench but not the suite, so the
   * suite guards everything else. Move a kind to `problems` once its fix lands.
   */
  knownIssues: string[];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** The reason withAttemptLimit records when no attempt recorded an error: the process died each time. */
export const DIED_WHILE_HANDLING = 'the process stopped while handling it';
/** Attempts cut short by the process dying (no error recorded) before a mail is given up. */
export const GIVE_UP_AFTER = MAX_MESSAGE_ATTEMPTS * UNEXPLAINED_ATTEMPTS_FACTOR;
/** The subject of the alert a refused Secured Signing refresh token raises (src/providers/secured-signing/oauth.ts). */
export const LOCKOUT_SUBJECT = 'Secured Signing refused the refresh token';
/** The alert a give-up raises, by mailbox. */
const GIVE_UP_ALERT = { requests: /a request mail from .* could not be processed/, returns: /a completion mail matched no open request/ } as const;
const normalizeId = (id: string | null | undefined) => (id ?? '').trim().toLowerCase();

/**
 * Whether `text` names one of the refresh tokens a kill cut off (`sha256 <prefix>…`: the
 * daemon's words for a refresh whose answer was lost), what was lost, and the fix.
 */
export function namesLostRefresh(text: string, lostRefreshes: readonly string[]): boolean {
  return lostRefreshes.some((hash) => text.includes(`sha256 ${hash.slice(0, 12)}`))
    && /was never saved/.test(text) && /run `signrelay authorize(?: --config [^`]+)?` \(or put a new refresh token in provider\.refresh_token and `systemctl restart signrelay`\)/.test(text);
}

/**
 * @param lostRefreshes sha256 of every refresh token whose token-endpoint answer a kill cut
 *   off (the provider rotated it; the daemon never saw the new one).
 */
export async function verifyWorld(world: ChaosWorld, requestMessageIds: string[], lostRefreshes: readonly string[] = [], signing?: SigningTimeline): Promise<Tally> {
  const problems: string[] = [];
  const knownIssues: string[] = [];
  const records = new Set(world.records);
  const provider = world.provider;
  const db = world.database();
  const recordOfToken = tokenRecords(db);

  // --- The provider: one successful send per request (Secured Signing: SmartTag/Send answered;
  // Signicat: an order whose clientReference is the request's token), none refused as already sent.
  const sends = provider.sends(recordOfToken);
  problems.push(...sends.problems);
  let duplicateSends = sends.refusedAsSent;
  for (const [record, sent] of sends.sent) {
    if (!records.has(record)) problems.push(`a successful send for an unknown record ${record}`);
    if (sent.length > 1) {
      duplicateSends += sent.length - 1;
      problems.push(`${record}: ${sent.length} successful sends (${provider.displayName})`);
    }
  }
  const orphanUploads = provider.orphanUploads();
  const providerMails = provider.mails(recordOfToken, sends.sent);
  problems.push(...providerMails.problems);

  // --- ServiceNow: exactly one attachment per record, the provider's signed copy (as its API
  // serves it); each note and status-field update exactly once (verify-record-updates.ts).
  let delivered = 0;
  let duplicateAttachments = 0;
  let certificates = 0;
  let duplicateCertificates = 0;
  let duplicateNotes = 0;
  let duplicateFieldUpdates = 0;
  let signerNotes = 0;
  for (const record of world.servicenow.records) {
    if (!records.has(record.number)) continue;
    const request = sends.sent.get(record.number)?.[0];
    const signed = request ? await provider.signedCopy(request) : undefined;
    const expected = signed ? sha256(signed) : undefined;
    // The certificate beside it, when the daemon attaches one: exactly one per delivered record, the provider's.
    const certificateFiles = record.attachments.filter((a) => a.fileName === provider.certificateName);
    const attachments = record.attachments.filter((a) => a.fileName !== provider.certificateName);
    if (!world.attachCertificate && certificateFiles.length > 0) problems.push(`${record.number}: a certificate attached with servicenow.attach_certificate off`);
    if (certificateFiles.length > 1) {
      duplicateCertificates += certificateFiles.length - 1;
      problems.push(`${record.number}: ${certificateFiles.length} certificates (${provider.certificateName})`);
    }
    for (const c of certificateFiles) {
      const problem = request ? await provider.certificateProblem(request, c.bytes) : 'no send for it at the provider';
      if (problem) problems.push(`${record.number}: certificate ${c.fileName}: ${problem}`);
    }
    if (certificateFiles.length === 1) certificates++;
    if (attachments.length > 1) {
      duplicateAttachments += attachments.length - 1;
      problems.push(`${record.number}: ${attachments.length} attachments (${attachments.map((a) => a.fileName).join(', ')})`);
    }
    const good = attachments.filter((a) => expected !== undefined && a.hash === expected);
    if (good.length > 0) delivered++;
    for (const a of attachments) {
      if (expected === undefined || a.hash !== expected) problems.push(`${record.number}: attachment ${a.fileName} is not the provider's signed copy`);
      if (a.fileName !== 'contract-signed.pdf') problems.push(`${record.number}: attachment named ${a.fileName}`);
    }
    // Exactly once since bug 5's fix: a refused PATCH is retried, an unknown outcome is settled (journal, field read back).
    if (world.attachCertificate && good.length > 0 && certificateFiles.length === 0) problems.push(`${record.number}: signed copy delivered, no certificate beside it`);
    const signatures = request && signing ? [...signing.signatures.values()].find((t) => sameRequest(t.request, request)) : undefined;
    const seen = signatures && signing ? seenSignatures(signatures, world.provider.calls, signing.deaths) : [];
    const updates = verifyRecordUpdates(record, world.servicenow.calls, db, good.length > 0, seen);
    duplicateNotes += updates.duplicateNotes;
    duplicateFieldUpdates += updates.duplicateFieldUpdates;
    signerNotes += updates.signerNotes;
    problems.push(...updates.problems);
  }
  const lost = world.records.length - delivered;

  const sign = await foldersOf(world, 'sign');
  const returns = await foldersOf(world, 'returns');

  // --- Known issue: mails given up because the daemon died while handling them 5 times.
  // A request mail goes to Rejected (no request), a completion mail to Unmatched (the
  // request stays `sent`). Recognised when the database's give-ups match the folders'.
  const givenUp = new Map<string, string>(); // Message-ID → record
  const givenUpRecords = new Map<string, 'requests' | 'returns'>();
  if (db) {
    const rows = db.prepare('SELECT mailbox, count(*) AS n FROM messages WHERE reason LIKE ? GROUP BY mailbox')
      .all(`%${DIED_WHILE_HANDLING}%`) as Array<{ mailbox: string; n: number }>;
    const countOf = (mailbox: string) => rows.find((r) => r.mailbox === mailbox)?.n ?? 0;
    const requestRecord = new Map(requestMessageIds.map((id, i) => [normalizeId(id), world.records[i]!]));
    const completionRecord = new Map(providerMails.mails.map((m) => [normalizeId(m.messageId), m.record ?? '?']));
    for (const [mailbox, folder, recordOf] of [
      ['requests', sign.get('Rejected'), requestRecord],
      ['returns', returns.get('Unmatched'), completionRecord],
    ] as const) {
      const ids = (folder ?? []).map((m) => normalizeId(m.messageId)).filter((id) => recordOf.has(id));
      if (countOf(mailbox) === 0 || countOf(mailbox) !== ids.length) continue;
      for (const id of ids) {
        const record = recordOf.get(id)!;
        givenUp.set(id, record);
        givenUpRecords.set(record, mailbox);
        knownIssues.push(`${record}: its ${mailbox === 'requests' ? 'request' : 'completion'} mail was given up — the daemon was SIGKILLed while handling it ${GIVE_UP_AFTER} times, ` +
          `which counts as a mail that crashes the process (moved to ${mailbox === 'requests' ? 'Rejected, no request' : 'Unmatched, the request stays sent'}; operator alerted)`);
      }
    }
  }

  // --- Known limitation (bug 2): a kill between a refresh-token rotation and saving the new
  // token locks the daemon out. Tolerated only when the operator was told precisely (the
  // alert names the spent token, what was lost and the fix); the work it stalls — requests
  // whose jobs wait on that refusal — is then expected, not a problem.
  const daemonMails = world.smtp.messages.filter((m) => m.envelope.mailFrom && m.envelope.mailFrom.address.toLowerCase() === REQUEST_ADDRESS);
  const lockout = db && lostRefreshes.length > 0 ? await recognizeLockout(db, daemonMails, lostRefreshes) : null;
  if (lockout) {
    knownIssues.push(`${lockout.stalled.size} request(s) wait for a new provider.refresh_token: the daemon was SIGKILLed between a refresh-token ` +
      `rotation at Secured Signing and saving the new token (a known limitation); the operator alert said so: "${lockout.alert.split('\n')[0]}"`);
  } else if (db && lostRefreshes.length > 0 && stalledJobs(db, (error) => error.includes('invalid_grant')).size > 0) {
    problems.push('the daemon is locked out after a kill at a refresh-token rotation, and no alert named it precisely (the spent token, what was lost, provider.refresh_token)');
  }

  // --- The daemon's own account (read-only).
  let maxMailAttempts = 0;
  let lateNotices = 0;
  if (!db) problems.push('the daemon never created its database');
  else {
    problems.push(...databaseProblems(db, world.records, givenUpRecords, lockout?.stalled ?? new Set()));
    const outcomes = mailOutcomeProblems(db, requestMessageIds, providerMails.mails, new Set(givenUp.keys()));
    problems.push(...outcomes.problems);
    lateNotices = outcomes.lateNotices;
    maxMailAttempts = (db.prepare('SELECT coalesce(max(attempts), 0) AS n FROM message_attempts').get() as { n: number }).n;
  }

  // --- Mailboxes: watched folders empty; every mail in exactly one folder.
  for (const [user, folders, watched] of [['sign', sign, 'INBOX'], ['returns', returns, 'INBOX']] as const) {
    const left = folders.get(watched) ?? [];
    if (left.length > 0) problems.push(`${left.length} mail(s) left in ${user}/${watched}`);
  }
  problems.push(...placement('sign', sign, requestMessageIds, (id) => (givenUp.has(id) ? 'Rejected' : 'Processed')));
  problems.push(...placement('returns', returns, providerMails.mails.map((m) => m.messageId), (id) => (givenUp.has(id) ? 'Unmatched' : 'Completed')));

  // --- Mail the daemon sent: replies, notices and alerts. Good requests get none but their
  // acknowledgement (docs/request-mails.md), at most once each, whatever the kills.
  const toleratedAlerts: RegExp[] = [...new Set(givenUpRecords.values())].map((mailbox) => GIVE_UP_ALERT[mailbox]);
  if (lockout) toleratedAlerts.push(new RegExp(LOCKOUT_SUBJECT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const acknowledged = new Map<string, { at: number; messageId: string }>();
  let repeatedMails = 0;
  for (const m of daemonMails) {
    const head = m.raw.toString('utf8').split(/\r?\n\r?\n/, 1)[0] ?? '';
    const subject = /^subject:\s*(.*)$/im.exec(head)?.[1] ?? '(no subject)';
    if (toleratedAlerts.some((alert) => alert.test(subject))) continue; // the known issue's alert
    if (/^x-signrelay:\s*acknowledgement\s*$/im.test(head)) {
      const about = normalizeId(/^in-reply-to:\s*(\S+)/im.exec(head)?.[1] ?? '(none)');
      const messageId = normalizeId(/^message-id:\s*(\S+)/im.exec(head)?.[1] ?? '(none)');
      const at = world.smtp.messages.indexOf(m);
      const first = acknowledged.get(about);
      if (!first) acknowledged.set(about, { at, messageId });
      // SMTP hands a mail over at least once (docs/reliability.md): a kill after the server
      // took it and before the daemon recorded that hands the identical message (its
      // Message-ID fixed when queued) over again. A repeat without a kill in between, or
      // a different message, is a second acknowledgement.
      else if (first.messageId === messageId && (signing?.mailDeaths ?? []).some((d) => d > first.at && d <= at) && (!db || mailJobsWith(db, messageId) === 1)) {
        repeatedMails++;
        first.at = at; // a third copy needs a kill after the second
      } else problems.push(`the request ${about} was acknowledged twice${first.messageId === messageId ? ' (the same message, with no kill between the copies, or queued twice)' : ''}`);
      continue;
    }
    problems.push(`the daemon mailed ${m.envelope.rcptTo.map((r) => r.address).join(', ')}: "${subject}"`);
  }
  // At least once too: every request sent at the provider (its own account) or by the daemon's
  // trail gets its acknowledgement, unless the daemon recorded why it skipped it (a route
  // setting, the hourly limit). A kill between `sent` and the mail must not lose it.
  const skippedAcknowledgements = db ? acknowledgementsSkipped(db) : new Map<string, string>();
  const sentRecords = new Set([...sends.sent.keys(), ...(db ? recordsSent(db) : [])]);
  for (const [i, record] of world.records.entries()) {
    if (!sentRecords.has(record) || lockout?.stalledRecords.has(record) || skippedAcknowledgements.has(record)) continue;
    if (!acknowledged.has(normalizeId(requestMessageIds[i]))) problems.push(`${record}: sent, and its requester never got the acknowledgement (none recorded as skipped)`);
  }

  // --- No secret in any daemon output.
  for (const daemon of world.daemons) {
    const output = readFileSync(daemon.logFile, 'utf8');
    for (const secret of world.secrets) {
      if (output.includes(secret)) problems.push(`daemon #${daemon.index} printed a secret (${secret.slice(0, 6)}…)`);
    }
  }

  return {
    lost, duplicateSends, duplicateAttachments, certificates, duplicateCertificates, duplicateNotes, duplicateFieldUpdates, signerNotes, daemonMails: daemonMails.length, repeatedMails, orphanUploads, delivered,
    lateNotices,
    providerMails: { completion: providerMails.mails.filter((m) => m.outcome === 'completion').length, notice: providerMails.mails.filter((m) => m.outcome === 'notice').length },
    lostToAttemptLimit: [...givenUpRecords.keys()].filter((r) => !world.servicenow.records.some((x) => x.number === r && x.attachments.length > 0)).length,
    maxMailAttempts, tokenRefreshes: world.tap.counts().token, problems, knownIssues,
    lostToLockout: lockout ? world.records.filter((r) => lockout.stalledRecords.has(r) && !world.servicenow.records.some((x) => x.number === r && x.attachments.length > 0)).length : 0,
    lockoutAlert: lockout?.alert ?? null,
  };
}

/** The provider-side timeline of the signing: indexes into the provider's call log. */
export interface SigningTimeline {
  /** Per request: where each signature (in signing order) began and ended. */
  signatures: Map<string, { request: SimulatedRequest; before: number[]; after: number[] }>;
  /** Where each killed daemon had died. */
  deaths: number[];
  /** Where each killed daemon had died in the SMTP server's log (world.smtp.messages). */
  mailDeaths: number[];
}

const sameRequest = (a: SimulatedRequest, b: SimulatedRequest) => a.providerOrderId === b.providerOrderId && a.references.join() === b.references.join();

/** A status read of this request at the provider (Secured Signing: Document/Status; Signicat: the order or a task). */
export function isStatusCall(call: ObservedCall, request: SimulatedRequest): boolean {
  if (call.method !== 'GET' || call.status !== 200) return false;
  if (request.references.some((ref) => call.path.endsWith(`/Document/Status/${ref}`))) return true;
  const order = request.providerOrderId;
  return order !== null && (call.path.endsWith(`/orders/${order}`) || (call.path.includes(`/orders/${order}/tasks/`) && !call.path.endsWith('/events')));
}

/**
 * The signers (0-based, in signing order) whose signature a status read saw before the last
 * signer signed, by a daemon that lived on until after that last signature: reconciliation
 * must have noted each (a note on the record, or one folded into the signed note).
 */
function seenSignatures(timeline: { request: SimulatedRequest; before: number[]; after: number[] }, calls: readonly ObservedCall[], deaths: readonly number[]): number[] {
  const last = timeline.before.length - 1;
  if (last < 1 || timeline.after.length <= last) return [];
  const seen: number[] = [];
  for (let k = 0; k < last; k++) {
    for (let c = timeline.after[k]!; c < timeline.before[last]!; c++) {
      if (!isStatusCall(calls[c]!, timeline.request)) continue;
      if (deaths.some((d) => d > c && d <= timeline.after[last]!)) continue; // killed before it could note it
      seen.push(k);
      break;
    }
  }
  return seen;
}

/** How many mail jobs the daemon queued with this Message-ID (one: a repeat is the same job handed over again). */
function mailJobsWith(db: Database.Database, messageId: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM jobs WHERE kind = 'mail'
      AND lower(json_extract(payload, '$.message.messageId')) IN (?, ?)`).get(messageId, `<${messageId}>`) as { n: number }).n;
}

/** Records whose request reached `sent` by the daemon's trail. */
function recordsSent(db: Database.Database): string[] {
  return (db.prepare(`SELECT DISTINCT r.record_number AS record FROM events e JOIN requests r ON r.id = e.request_id
      WHERE e.kind = 'transition' AND e.to_state = 'sent' AND r.record_number IS NOT NULL`).all() as Array<{ record: string }>).map((r) => r.record);
}

/** Records whose acknowledgement the daemon decided not to send, with why. */
function acknowledgementsSkipped(db: Database.Database): Map<string, string> {
  const rows = db.prepare(`SELECT r.record_number AS record, a.skipped FROM acknowledgements a JOIN requests r ON r.id = a.request_id
      WHERE a.skipped IS NOT NULL AND r.record_number IS NOT NULL`).all() as Array<{ record: string; skipped: string }>;
  return new Map(rows.map((r) => [r.record, r.skipped]));
}

/** Requests (id → record) that are not delivered and have a pending job whose last error matches. */
export function stalledJobs(db: Database.Database, matches: (error: string) => boolean): Map<string, string> {
  const rows = db.prepare(`SELECT r.id, r.record_number AS record, j.last_error AS error FROM requests r JOIN jobs j ON j.request_id = r.id
      WHERE r.state != 'delivered' AND j.state = 'pending' AND j.last_error IS NOT NULL`).all() as Array<{ id: string; record: string; error: string }>;
  return new Map(rows.filter((r) => matches(r.error)).map((r) => [r.id, r.record]));
}

/** The lock-out of bug 2, when the operator alert named it precisely and the stalled jobs wait on that very refusal. */
async function recognizeLockout(db: Database.Database, daemonMails: ChaosWorld['smtp']['messages'], lostRefreshes: readonly string[]) {
  let alert: string | null = null;
  for (const m of daemonMails) {
    if (!m.envelope.rcptTo.some((r) => r.address.toLowerCase() === ALERTS_TO)) continue;
    const parsed = await simpleParser(m.raw);
    const text = `${parsed.subject ?? ''}\n${parsed.text ?? ''}`;
    if ((parsed.subject ?? '').includes(LOCKOUT_SUBJECT) && namesLostRefresh(text, lostRefreshes)) alert = text;
  }
  const stalled = stalledJobs(db, (error) => namesLostRefresh(error, lostRefreshes));
  if (!alert || stalled.size === 0) return null;
  return { alert, stalled: new Set(stalled.keys()), stalledRecords: new Set(stalled.values()) };
}

function databaseProblems(db: Database.Database, records: string[], givenUp: ReadonlyMap<string, 'requests' | 'returns'>, lockedOut: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const rows = db.prepare('SELECT id, state, record_number AS record, reason FROM requests').all() as Array<{ id: string; state: string; record: string | null; reason: string | null }>;
  const byRecord = new Map<string, typeof rows>();
  for (const row of rows) byRecord.set(row.record ?? '(none)', [...(byRecord.get(row.record ?? '(none)') ?? []), row]);
  for (const record of records) {
    const found = byRecord.get(record) ?? [];
    if (found.length === 0 && givenUp.get(record) !== 'requests') problems.push(`${record}: no request in the database`);
    if (found.length > 1) problems.push(`${record}: ${found.length} requests in the database`);
    for (const r of found) {
      if (r.state === 'sent' && givenUp.get(record) === 'returns') continue; // its completion mail was given up
      if (lockedOut.has(r.id)) continue; // waits for a new refresh token (the known lock-out)
      if (r.state !== 'delivered') problems.push(`${record}: request ${r.id} is ${r.state}${r.reason ? ` (${r.reason})` : ''}; ${lastEvents(db, r.id)}`);
    }
  }
  for (const [record] of byRecord) if (!records.includes(record)) problems.push(`a request for an unknown record ${record}`);
  const jobs = db.prepare("SELECT id, kind, request_id AS requestId, state, attempts, last_error AS lastError FROM jobs WHERE state != 'done'").all() as Array<Record<string, unknown>>;
  for (const j of jobs) if (!(j.state === 'pending' && lockedOut.has(String(j.requestId)))) problems.push(`job ${String(j.id)} (${String(j.kind)}, ${String(j.requestId)}) is ${String(j.state)} after ${String(j.attempts)} attempt(s): ${String(j.lastError)}`);
  return problems;
}

/** Why process-completion-mail.ts files a mail of a request that is finished already. */
const ALREADY_FINISHED = /^request \S+ is already (completed|delivered)$/;

/**
 * How the daemon recorded each mail (`messages`): every request mail once as `request`;
 * every mail of the provider to the return address once, as what it is — a `completion`,
 * or (Signicat's order creation) a `notice`; nothing else at all. A notice that arrived
 * after its order's completion and was read once the request was finished is filed as a
 * `duplicate` of a finished request: accepted, and counted (`lateNotices`) — mail keeps no
 * order, and nothing is lost or done twice by it. A mail given up after kills (known bug
 * 4, `givenUp`: normalized Message-IDs) is the known issue's.
 */
function mailOutcomeProblems(db: Database.Database, requestMessageIds: readonly string[], providerMails: readonly ProviderMail[], givenUp: ReadonlySet<string>): { problems: string[]; lateNotices: number } {
  const problems: string[] = [];
  let lateNotices = 0;
  const expected = new Map<string, { mailbox: string; outcome: string }>();
  for (const id of requestMessageIds) expected.set(`requests ${normalizeId(id)}`, { mailbox: 'requests', outcome: 'request' });
  for (const m of providerMails) expected.set(`returns ${normalizeId(m.messageId)}`, { mailbox: 'returns', outcome: m.outcome });
  const rows = db.prepare('SELECT mailbox, message_id AS messageId, outcome, reason FROM messages').all() as Array<{ mailbox: string; messageId: string | null; outcome: string; reason: string }>;
  const seen = new Map<string, number>();
  for (const row of rows) {
    const id = normalizeId(row.messageId);
    const key = `${row.mailbox} ${id}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (givenUp.has(id) && row.reason.includes(DIED_WHILE_HANDLING)) continue; // the known issue
    const want = expected.get(key);
    if (!want) problems.push(`a ${row.mailbox} mail nobody sent (${row.messageId ?? 'no Message-ID'}) was recorded as ${row.outcome}: ${row.reason}`);
    else if (want.outcome === 'notice' && row.outcome === 'duplicate' && ALREADY_FINISHED.test(row.reason)) lateNotices++;
    else if (row.outcome !== want.outcome) problems.push(`a ${row.mailbox} mail (${row.messageId}) was recorded as ${row.outcome}, not ${want.outcome}: ${row.reason}`);
  }
  for (const [key, want] of expected) {
    const n = seen.get(key) ?? 0;
    if (n !== 1 && !givenUp.has(key.slice(key.indexOf(' ') + 1))) problems.push(`a ${want.mailbox} mail (${key.slice(key.indexOf(' ') + 1)}, a ${want.outcome}) was recorded ${n} times, not once`);
  }
  return { problems, lateNotices };
}

/** The record of each request token, from the daemon's database (Signicat's orders carry the token as their client reference). */
function tokenRecords(db: Database.Database | undefined): (token: string) => string | undefined {
  const rows = db ? db.prepare('SELECT token, record_number AS record FROM requests').all() as Array<{ token: string; record: string | null }> : [];
  const byToken = new Map(rows.map((r) => [r.token, r.record ?? undefined]));
  return (token) => byToken.get(token);
}

/** The request's last few audit events, to say where it stopped. */
export function lastEvents(db: Database.Database, requestId: string, count = 4): string {
  const events = db.prepare('SELECT kind, from_state AS fromState, to_state AS toState, detail FROM events WHERE request_id = ? ORDER BY id DESC LIMIT ?')
    .all(requestId, count) as Array<{ kind: string; fromState: string | null; toState: string | null; detail: string | null }>;
  return `last events: ${events.reverse().map((e) => e.kind === 'transition' ? `${e.fromState}→${e.toState}` : `${e.kind} ${e.detail ?? ''}`).join(' | ')}`;
}

type Folders = Map<string, Array<{ messageId: string | null; subject: string | null }>>;

async function foldersOf(world: ChaosWorld, user: string): Promise<Folders> {
  const folders: Folders = new Map();
  for (const folder of await world.dovecot.folders(user)) folders.set(folder, await world.dovecot.list(user, folder));
  return folders;
}

/** Every expected mail exactly once, in its home folder; nothing else anywhere. */
function placement(user: string, folders: Folders, expectedIds: string[], homeOf: (id: string) => string): string[] {
  const problems: string[] = [];
  const where = new Map<string, string[]>();
  for (const [folder, messages] of folders) {
    for (const m of messages) {
      const id = normalizeId(m.messageId);
      where.set(id, [...(where.get(id) ?? []), folder]);
    }
  }
  const expected = new Set(expectedIds.map(normalizeId));
  for (const id of expected) {
    const found = where.get(id) ?? [];
    if (found.length === 0) problems.push(`${user}: mail ${id} is in no folder`);
    else if (found.length > 1) problems.push(`${user}: mail ${id} is in ${found.length} places (${found.join(', ')})`);
    else if (found[0] !== homeOf(id)) problems.push(`${user}: mail ${id} is in ${found[0]}, not ${homeOf(id)}`);
  }
  for (const [id, found] of where) if (!expected.has(id)) problems.push(`${user}: unexpected mail ${id || '(no Message-ID)'} in ${found.join(', ')}`);
  return problems;
}
