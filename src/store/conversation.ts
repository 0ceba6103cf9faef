// The requester's conversation in SQLite (migration 0010): whether a request's requester may
// be mailed automatically and the acknowledgement it got, and one row per reply mail with
// the command it carried — written before the command does anything, so a copy of the
// reply finds the row and does nothing twice.
import type { Db } from './open-database.ts';

export interface AcknowledgementRow {
  requestId: string;
  noReplyReason: string | null;
  messageId: string | null;
  replySecret: string | null;
  skipped: string | null;
}

/** At intake, in the request's transaction: whether its requester may be mailed automatically (RFC 3834). */
export function noteReplyPolicy(db: Db, requestId: string, noReplyReason: string | null): void {
  db.prepare('INSERT OR IGNORE INTO acknowledgements (request_id, no_reply_reason) VALUES (?, ?)').run(requestId, noReplyReason);
}

export function getAcknowledgement(db: Db, requestId: string): AcknowledgementRow | undefined {
  const row = db.prepare('SELECT * FROM acknowledgements WHERE request_id = ?').get(requestId) as Record<string, string | null> | undefined;
  return row ? { requestId: row.request_id!, noReplyReason: row.no_reply_reason ?? null, messageId: row.message_id ?? null, replySecret: row.reply_secret ?? null, skipped: row.skipped ?? null } : undefined;
}

/** The acknowledgement was queued (messageId) or deliberately not (skipped): either way, decided once. */
export function settleAcknowledgement(db: Db, requestId: string, outcome: { messageId: string; replySecret: string } | { skipped: string }, now: Date): void {
  const sent = 'messageId' in outcome ? outcome : null;
  db.prepare('UPDATE acknowledgements SET message_id = ?, reply_secret = ?, skipped = ?, decided_at = ? WHERE request_id = ?')
    .run(sent?.messageId ?? null, sent?.replySecret ?? null, 'skipped' in outcome ? outcome.skipped : null, now.toISOString(), requestId);
}

/** The request whose acknowledgement's Reply-To carries this secret. */
export function requestOfReplySecret(db: Db, secret: string): string | undefined {
  return (db.prepare('SELECT request_id FROM acknowledgements WHERE reply_secret = ?').get(secret) as { request_id: string } | undefined)?.request_id;
}

/**
 * The request whose acknowledgement, an answer to one of its replies, or a notice to its
 * requester (signed, withdrawn, expired, not sent: sent_mails keeps its random Message-ID) has
 * one of these Message-IDs. A reply to a notice was taken for a new request and answered
 * "attach the document as a PDF" (conversation review L2).
 */
export function requestOfMessageIds(db: Db, messageIds: readonly string[]): string | undefined {
  for (const id of messageIds) {
    const ack = db.prepare('SELECT request_id FROM acknowledgements WHERE message_id = ?').get(id) as { request_id: string } | undefined;
    if (ack) return ack.request_id;
    const answer = db.prepare('SELECT request_id FROM reply_commands WHERE answer_message_id = ? AND request_id IS NOT NULL').get(id) as { request_id: string } | undefined;
    if (answer) return answer.request_id;
    const notice = db.prepare("SELECT request_id FROM sent_mails WHERE message_id = ? AND purpose = 'notice' AND request_id IS NOT NULL").get(id) as { request_id: string } | undefined;
    if (notice) return notice.request_id;
  }
  return undefined;
}

export type ReplyCommandName = 'cancel' | 'remind' | 'extend' | 'status' | 'unknown' | 'none';
/** queued: a job carries it out and answers; answered: answered at once; refused: answered, nothing done; ignored: no answer. */
export type ReplyOutcome = 'queued' | 'answered' | 'refused' | 'ignored';

export interface ReplyCommandRow {
  id: number;
  mailKey: string;
  requestId: string | null;
  sender: string | null;
  command: ReplyCommandName;
  argument: string | null;
  outcome: ReplyOutcome;
  reason: string;
  answerTo: string | null;
  answerMessageId: string | null;
  createdAt: string;
  doneAt: string | null;
}

export type NewReplyCommand = Pick<ReplyCommandRow, 'mailKey' | 'requestId' | 'sender' | 'command' | 'argument' | 'outcome' | 'reason' | 'answerTo' | 'answerMessageId'>;

/** The new row's id, or undefined when a reply with this key was recorded before (a copy: do nothing). */
export function recordReplyCommand(db: Db, row: NewReplyCommand, now: Date): number | undefined {
  const result = db.prepare(`INSERT OR IGNORE INTO reply_commands (mail_key, request_id, sender, command, argument, outcome, reason, answer_to, answer_message_id, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(row.mailKey, row.requestId, row.sender, row.command, row.argument, row.outcome, row.reason, row.answerTo, row.answerMessageId, now.toISOString());
  return result.changes === 1 ? Number(result.lastInsertRowid) : undefined;
}

/** A reply's row, by its id (a job's payload) or by the reply's key (is this mail known?). */
export function findReplyCommand(db: Db, by: { id: number } | { mailKey: string }): ReplyCommandRow | undefined {
  const row = ('id' in by ? db.prepare('SELECT * FROM reply_commands WHERE id = ?').get(by.id) : db.prepare('SELECT * FROM reply_commands WHERE mail_key = ?').get(by.mailKey)) as Record<string, unknown> | undefined;
  return row ? toRow(row) : undefined;
}

export function listReplyCommands(db: Db, requestId: string): ReplyCommandRow[] {
  return (db.prepare('SELECT * FROM reply_commands WHERE request_id = ? ORDER BY id').all(requestId) as Array<Record<string, unknown>>).map(toRow);
}

/** A queued command was carried out and answered (its answer queued in the same transaction). */
export function finishReplyCommand(db: Db, id: number, answerMessageId: string | null, now: Date): void {
  db.prepare('UPDATE reply_commands SET answer_message_id = coalesce(?, answer_message_id), done_at = ? WHERE id = ?').run(answerMessageId, now.toISOString(), id);
}

function toRow(r: Record<string, unknown>): ReplyCommandRow {
  return {
    id: r.id as number,
    mailKey: r.mail_key as string,
    requestId: (r.request_id as string | null) ?? null,
    sender: (r.sender as string | null) ?? null,
    command: r.command as ReplyCommandName,
    argument: (r.argument as string | null) ?? null,
    outcome: r.outcome as ReplyOutcome,
    reason: r.reason as string,
    answerTo: (r.answer_to as string | null) ?? null,
    answerMessageId: (r.answer_message_id as string | null) ?? null,
    createdAt: r.created_at as string,
    doneAt: (r.done_at as string | null) ?? null,
  };
}
