// What the simulated instance's inbound email action does with one parsed mail: classify
// it (classify-inbound.ts) and, for a Reply, attach the mail's attachments to the record —
// skipping ones identical (same name and hash) to an attachment already there, and
// silently discarding all of them when together they exceed the instance's limit, as the
// real one does — then add the body as a comment. With an imported update set, its inbound
// actions decide instead (inbound-actions.ts): the attachments go on only when one of them
// takes the mail, and what it writes is what its script writes. Returns the log entry tests
// inspect.
import { createHash } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { classifyInbound, type ClassifyInboundOptions, type InboundClassification, type MatchedBy } from './classify-inbound.ts';
import { runInboundActions, type InboundActionsContext } from './inbound-actions.ts';
import type { SimInstance } from './instance.ts';

export interface ProcessedMail {
  messageId: string | null;
  subject: string;
  from: string;
  classification: InboundClassification;
  matchedBy?: MatchedBy;
  record?: { table: string; sysId: string; number: string };
  /** File names attached to the record. */
  attached: string[];
  /** File names not attached because an identical one was already there. */
  skipped: string[];
  /** Why attachments (or the whole action) were dropped, as the instance would log it. */
  discarded?: string;
  /** Why a reply-looking mail was classified New. */
  note?: string;
  /** With an imported update set: the inbound action that took the mail. */
  action?: string;
}

export interface ApplyLimits {
  /** glide.email.inbound.max_total_attachment_size_bytes (default 18 MiB). */
  maxTotalAttachmentBytes: number;
  /** glide.email.inbound.max_attachment_count (default 30): the mail's attachments past it are dropped. */
  maxAttachmentCount: number;
  /** glide.email.inbound.max_body_chars: over it, no inbound action runs. */
  maxBodyChars: number;
}

export const DEFAULT_MAX_TOTAL_ATTACHMENT_BYTES = 18_874_368;
export const DEFAULT_MAX_BODY_CHARS = 524_288;

export function applyInboundMail(
  mail: ParsedMail,
  instance: SimInstance,
  lookups: Omit<ClassifyInboundOptions, 'recordsNumbered'>,
  limits: ApplyLimits,
  actions?: InboundActionsContext,
): ProcessedMail {
  const subject = mail.subject ?? '';
  const text = mail.text ?? '';
  const from = mail.from?.value[0]?.address ?? '';
  const verdict = classifyInbound({ subject, text, inReplyTo: mail.inReplyTo ?? null }, {
    ...lookups, recordsNumbered: (n) => instance.byNumber(n).map((r) => r.sysId),
  });
  const entry: ProcessedMail = {
    messageId: mail.messageId ?? null, subject, from, classification: verdict.classification, attached: [], skipped: [],
    ...(verdict.matchedBy ? { matchedBy: verdict.matchedBy } : {}), ...(verdict.note ? { note: verdict.note } : {}),
  };
  const record = verdict.sysId === undefined ? undefined : instance.bySysId(verdict.sysId);
  if (verdict.classification !== 'reply' || !record) return entry;
  entry.record = { table: record.sysClassName, sysId: record.sysId, number: record.number };

  if (text.length > limits.maxBodyChars) {
    entry.discarded = `body of ${text.length} characters exceeds glide.email.inbound.max_body_chars (${limits.maxBodyChars}): no inbound action ran`;
    return entry;
  }
  let journal: Array<['work_notes' | 'comments', string]> = [['comments', `reply from: ${from}\n\n${text.trim()}`]];
  let by = from || 'guest';
  if (actions) {
    const run = runInboundActions({ classification: verdict.classification, from, subject, text }, record, actions);
    if ('skipped' in run) {
      entry.discarded = run.skipped;
      return entry;
    }
    ({ journal, by } = run.ran);
    entry.action = run.ran.action;
  }
  const attachments = mail.attachments.filter((a) => a.content && a.content.length > 0);
  const total = attachments.reduce((sum, a) => sum + a.content.length, 0);
  if (total > limits.maxTotalAttachmentBytes) {
    entry.discarded = `attachments of ${total} bytes exceed glide.email.inbound.max_total_attachment_size_bytes (${limits.maxTotalAttachmentBytes}): all discarded`;
  } else {
    if (attachments.length > limits.maxAttachmentCount) {
      entry.discarded = `${attachments.length} attachments exceed glide.email.inbound.max_attachment_count (${limits.maxAttachmentCount}): those past it discarded`;
    }
    for (const [i, a] of attachments.slice(0, limits.maxAttachmentCount).entries()) {
      const fileName = a.filename ?? `attachment-${i + 1}`;
      const hash = createHash('sha256').update(a.content).digest('hex');
      if (record.attachments.some((existing) => existing.fileName === fileName && existing.hash === hash)) {
        entry.skipped.push(fileName);
        continue;
      }
      instance.attach(record, { tableName: record.sysClassName, fileName, contentType: a.contentType || 'application/octet-stream', bytes: a.content, by: from || 'guest' });
      entry.attached.push(fileName);
    }
  }
  for (const [field, value] of journal) instance.addJournal(record, field, value, by);
  return entry;
}
