// What to do with one request mail, decided without side effects: the mail parser's
// verdict, then a look inside each PDF (encrypted, damaged, too long, tags already there)
// and the signer check that needs it. Shared by the daemon and `signrelay explain`, so
// `explain` says exactly what the daemon would do.
import type { ParsedMail } from 'mailparser';
import { describeError, isSignrelayError } from '../errors.ts';
import { inspectPdf, preparePdf, type PdfFacts, type PdfLimits, type PreparedPdf, type StampInput } from '../pdf/pdf-tasks.ts';
import { ownTagProblems, type OtherSigners } from '../pdf/own-tag-rules.ts';
import { isOverlayMisfit } from '../pdf/pdf-errors.ts';
import type { AuthenticationVerdict } from '../message/check-authentication.ts';
import { joinProblems, parseRequestMail, refusedUnread } from './parse-request.ts';
import { readRequestMail } from '../message/read-request-mail.ts';
import { preparedSignerProblems, signingOrder, type PreparedDocument } from './prepared-signer-problems.ts';
import { onSignaturePage, type StampPlan } from './stamp-plan.ts';
import type { IntakePolicy, MailDecision, RequestDraft } from './types.ts';

/** A document stamped while it was inspected, with what it was stamped with (stamp-plan.ts). */
export interface PreparedStamp {
  input: StampInput;
  bytes: Uint8Array;
  /** Why the configured overlay did not fit, when `input` is the signature page standing in for it. */
  overlayRefused?: string;
}

export type RequestDecision =
  | Exclude<MailDecision, { action: 'request' }>
  | {
    action: 'request'; reason: string; reply: false; draft: RequestDraft; pdfs: PdfFacts[]; sender: string; authentication?: AuthenticationVerdict;
    /** Per document, the stamp made while deciding (with a plan), if any. */
    prepared: Array<PreparedStamp | undefined>;
  };

/**
 * With a stamp plan each document is stamped as it is inspected, in one task, and its own
 * tags are read in the stamped file (prepare-pdf.ts); without one it is only inspected.
 */
export async function decideRequest(mail: ParsedMail, policy: IntakePolicy, now: Date, plan?: StampPlan): Promise<RequestDecision> {
  const decision = parseRequestMail(mail, policy, now);
  if (decision.action !== 'request') return decision;
  const { draft } = decision;
  const problems: string[] = [];
  const pdfs: PdfFacts[] = [];
  const prepared: Array<PreparedStamp | undefined> = [];
  for (const [i, doc] of draft.documents.entries()) {
    const limits = { maxPages: policy.limits.max_pages, maxPdfBytes: policy.limits.max_pdf_bytes, fileName: doc.fileName };
    try {
      const input = plan?.inputFor(draft, i);
      const made = input ? await prepareOrFallBack(doc.bytes, limits, input) : undefined;
      pdfs.push(made ? made.facts : await inspectPdf(doc.bytes, limits));
      prepared.push(made?.stamped ? { input: made.input, bytes: made.stamped, ...(made.overlayRefused ? { overlayRefused: made.overlayRefused } : {}) } : undefined);
    } catch (err) {
      if (!isSignrelayError(err) || err.kind !== 'input') throw err;
      problems.push(err.message);
      // It used up the worker's time limit (20 s): ten such PDFs must not hold the folder for minutes.
      if (err.code === 'pdf_too_complex') break;
    }
  }
  if (problems.length === 0) problems.push(...signerProblems(draft, pdfs, policy));
  if (problems.length > 0) return { action: 'reject', reason: joinProblems(problems), problems, ...replyOf(draft), record: draft.record };
  const own = policy.textTags ? signingOrder(preparedDocuments(draft, pdfs)) ?? [] : [];
  // The document's own tags decide: the request lists (and every notice and note names) those signers.
  const signed = own.length > 0 ? { ...draft, signers: own.map(({ firstName, lastName, email }) => ({ firstName, lastName, email })), signersFrom: 'pdf' as const } : draft;
  return { action: 'request', reason: decision.reason, reply: false, draft: signed, pdfs, prepared, sender: decision.sender, authentication: decision.authentication };
}

/**
 * Inspected and stamped in one task; when the configured overlay does not fit the page, with
 * a signature page instead (a second task, not four: committing the request uses this stamp
 * and says why it is not the overlay).
 */
async function prepareOrFallBack(bytes: Uint8Array, limits: PdfLimits, input: StampInput): Promise<PreparedPdf & { input: StampInput; overlayRefused?: string }> {
  try {
    return { ...(await preparePdf(bytes, limits, input)), input };
  } catch (err) {
    if (!isOverlayMisfit(err)) throw err;
    const fallback = onSignaturePage(input);
    return { ...(await preparePdf(bytes, limits, fallback)), input: fallback, overlayRefused: err.message };
  }
}

const NO_SIGNER = 'no signer is named: add one line per signer to the mail, e.g. "Signer: Ann Lee <ann.lee@example.com>", in signing order';

/** A rejection of a parsed request is answered like the request would have been. */
export function replyOf(draft: RequestDraft): { reply: boolean; replyTo?: string; replyNote?: string | null } {
  return draft.noReplyReason === null ? { reply: true, replyTo: draft.requester, replyNote: draft.requesterNote } : { reply: false };
}

/**
 * Who signs, once the PDFs are known: the mail's or the route's signers for documents
 * without tags of their own, a prepared document's own sign tags when nobody else names
 * signers — never a mix, and never a recipient or other tag the document brought along.
 */
function signerProblems(draft: RequestDraft, pdfs: PdfFacts[], policy: IntakePolicy): string[] {
  // A provider that reads no tags: a PDF's tag-like text is plain text, the mail or route names the signers.
  if (!policy.textTags) return draft.signers.length > 0 ? [] : [NO_SIGNER];
  const other = otherSigners(draft);
  const problems = draft.documents.flatMap((doc, i) => ownTagProblems(doc.fileName, pdfs[i]?.tags ?? [], other));
  if (problems.length > 0) return problems;
  const tagged = draft.documents.filter((_, i) => pdfs[i]?.hasSignTags);
  const untagged = draft.documents.filter((_, i) => !pdfs[i]?.hasSignTags);
  if (tagged.length > 0 && untagged.length > 0) {
    return [`${tagged[0]!.fileName} names its own signers in signature tags but ${untagged[0]!.fileName} has none: send documents with their own tags in a mail of their own`];
  }
  if (draft.signers.length === 0 && tagged.length === 0) {
    return [NO_SIGNER];
  }
  const prepared = preparedDocuments(draft, pdfs);
  const preparedProblems = preparedSignerProblems(prepared, policy);
  if (preparedProblems.length > 0) return preparedProblems;
  const own = signingOrder(prepared) ?? [];
  if (own.length > policy.limits.max_signers) {
    return [`the documents name ${own.length} signers in their tags but a request may have at most ${policy.limits.max_signers}: split the signing into several requests`];
  }
  return [];
}

function otherSigners(draft: RequestDraft): OtherSigners | null {
  if (draft.signersFrom === 'mail') {
    return { source: 'your mail', signers: draft.signers, useTagsFix: 'To have the document\'s signers sign, send it again without Signer: lines' };
  }
  if (draft.signersFrom === 'route') {
    return { source: `route "${draft.route}" (its default signers)`, signers: draft.signers, useTagsFix: 'To have the document\'s signers sign, send it to a route without default signers' };
  }
  return null;
}

/** The documents that name their own signers, with those signers in signing order. */
function preparedDocuments(draft: RequestDraft, pdfs: readonly PdfFacts[]): PreparedDocument[] {
  return draft.documents.flatMap((doc, i) => (pdfs[i]?.hasSignTags ? [{ fileName: doc.fileName, signers: pdfs[i]!.ownSigners }] : []));
}

/**
 * Parses and decides in one step. A mail the MIME parser cannot read would fail the same
 * way on every retry: it is rejected (without a reply — we may not even know who sent it)
 * instead of being retried.
 */
export async function decideFromSource(source: Buffer, policy: IntakePolicy, now: Date, plan?: StampPlan, parts?: ReadonlyMap<string, Buffer>): Promise<{ mail: ParsedMail | undefined; decision: RequestDecision }> {
  let mail: ParsedMail;
  try {
    mail = await readRequestMail(source, parts);
  } catch (err) {
    return { mail: undefined, decision: { action: 'reject', reply: false, reason: `the mail could not be read (${describeError(err)})` } };
  }
  // Anything thrown past this point is not the mail's fault: the watcher retries it, a
  // limited number of times (with-attempt-limit).
  return { mail, decision: await decideRequest(mail, policy, now, plan) };
}

/**
 * A large mail's outline (its attachments not downloaded yet: read-request-mail.ts) refused
 * from its headers alone and not answered — a stranger's, a machine's, a forged one — or null
 * when the whole mail must be read (also when the outline cannot be parsed: the whole mail's
 * reading then decides, and says why). Nobody outside makes the daemon download 29 MB to refuse it.
 */
export async function refusedFromOutline(outline: Buffer, policy: IntakePolicy): Promise<{ mail: ParsedMail; decision: Exclude<RequestDecision, { action: 'request' }> } | null> {
  let mail: ParsedMail;
  try {
    mail = await readRequestMail(outline);
  } catch {
    return null;
  }
  const decision = refusedUnread(mail, policy);
  return decision && decision.action !== 'request' ? { mail, decision } : null;
}

/**
 * A mail over `limits.max_mail_bytes` is never downloaded or parsed whole: it is decided
 * from its headers alone — ignored if automatic (a bounce), else rejected with a reply
 * (unless its sender may not use the route).
 */
export async function decideOversize(headers: Buffer, size: number, policy: IntakePolicy, now: Date): Promise<{ mail: ParsedMail | undefined; decision: RequestDecision }> {
  const { mail, decision } = await decideFromSource(headers, policy, now);
  // Ignored, or unauthenticated (never answered, and the reason an operator needs to see).
  if (decision.action === 'ignore' || (decision.action === 'reject' && decision.authentication)) return { mail, decision };
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);
  const answer = decision.action === 'request' ? replyOf(decision.draft) : { reply: decision.reply, replyTo: decision.replyTo, replyNote: decision.replyNote };
  return {
    mail,
    decision: {
      action: 'reject', ...(mail !== undefined ? answer : { reply: false }),
      reason: `the mail is ${mb(size)} MB; the limit is ${mb(policy.limits.max_mail_bytes)} MB: send a smaller PDF (compress it, or split it into parts)`,
    },
  };
}
