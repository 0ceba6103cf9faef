// What to do with one request mail, decided without side effects: the mail parser's
// verdict, then a look inside each PDF (encrypted, damaged, too long, tags already there)
// and the signer check that needs it. Shared by the daemon and `signrelay explain`, so
// `explain` says exactly what the daemon would do.
import type { ParsedMail } from 'mailparser';
import { describeError, isSignrelayError } from '../errors.ts';
import { inspectPdf, type PdfFacts } from '../pdf/inspect-pdf.ts';
import type { AuthenticationVerdict } from './check-authentication.ts';
import { joinProblems, parseRequestMail } from './parse-request.ts';
import { readRequestMail } from './read-request-mail.ts';
import type { IntakePolicy, MailDecision, RequestDraft } from './types.ts';

export type RequestDecision =
  | Exclude<MailDecision, { action: 'request' }>
  | { action: 'request'; reason: string; reply: false; draft: RequestDraft; pdfs: PdfFacts[]; authentication?: AuthenticationVerdict };

export async function decideRequest(mail: ParsedMail, policy: IntakePolicy, now: Date): Promise<RequestDecision> {
  const decision = parseRequestMail(mail, policy, now);
  if (decision.action !== 'request') return decision;
  const { draft } = decision;
  const problems: string[] = [];
  const pdfs: PdfFacts[] = [];
  for (const doc of draft.documents) {
    try {
      pdfs.push(await inspectPdf(doc.bytes, { maxPages: policy.limits.max_pages, maxPdfBytes: policy.limits.max_pdf_bytes, fileName: doc.fileName }));
    } catch (err) {
      if (!isSignrelayError(err) || err.kind !== 'input') throw err;
      problems.push(err.message);
      // It used up the worker's time limit (20 s): ten such PDFs must not hold the folder for minutes.
      if (err.code === 'pdf_too_complex') break;
    }
  }
  if (problems.length === 0 && draft.signers.length === 0 && !pdfs.some((p) => p.hasSignTags)) {
    problems.push('no signer is named: add one line per signer to the mail, e.g. "Signer: Ann Lee <ann.lee@example.com>", in signing order');
  }
  if (problems.length > 0) return { action: 'reject', reason: joinProblems(problems), problems, reply: draft.noReplyReason === null };
  return { action: 'request', reason: decision.reason, reply: false, draft, pdfs, authentication: decision.authentication };
}

/**
 * Parses and decides in one step. A mail the MIME parser cannot read would fail the same
 * way on every retry: it is rejected (without a reply — we may not even know who sent it)
 * instead of being retried.
 */
export async function decideFromSource(source: Buffer, policy: IntakePolicy, now: Date): Promise<{ mail: ParsedMail | undefined; decision: RequestDecision }> {
  let mail: ParsedMail;
  try {
    mail = await readRequestMail(source);
  } catch (err) {
    return { mail: undefined, decision: { action: 'reject', reply: false, reason: `the mail could not be read (${describeError(err)})` } };
  }
  // Anything thrown past this point is not the mail's fault: the watcher retries it, a
  // limited number of times (with-attempt-limit).
  return { mail, decision: await decideRequest(mail, policy, now) };
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
  return {
    mail,
    decision: {
      action: 'reject', reply: mail !== undefined && (decision.action === 'request' ? decision.draft.noReplyReason === null : decision.reply),
      reason: `the mail is ${mb(size)} MB; the limit is ${mb(policy.limits.max_mail_bytes)} MB: send a smaller PDF (compress it, or split it into parts)`,
    },
  };
}
