// What became of a request's documents when it ended before all were signed (a cancel, one
// document declined or expired), in words for the requester's notice, the record's note, a
// reply's answer and the operator's alert — pure. One builder for all four, so none of them
// says "the signers can no longer sign it" of a document that is still out (multidoc review
// M1), or "nothing was signed" of one that was (M2). File names and references are outside
// values: each passes through record-text.ts.
import { recordValue } from '../servicenow/record-text.ts';

/** A request's documents at the provider, by what the withdrawal made of them. */
export interface WithdrawalSummary {
  /** Withdrawn now (or gone from the provider already): nobody can sign them any more. */
  withdrawn: string[];
  /**
   * Signed by every signer before they could be withdrawn: a request is attached only when
   * every document is signed, so these stay at the provider, unattached.
   */
  signed: Array<{ fileName: string; reference: string }>;
  /** Not withdrawn (the provider refused, could not be reached, cannot withdraw, or the order is not known): they may still be signed. */
  left: string[];
}

export const NOTHING_OUT: WithdrawalSummary = { withdrawn: [], signed: [], left: [] };

/** Whether every document that was still out is withdrawn: only then may anyone be told "the signers can no longer sign it". */
export function everyOpenWithdrawn(summary: WithdrawalSummary): boolean {
  return summary.left.length === 0;
}

/**
 * The sentences that follow what happened to the request: which documents were withdrawn
 * (only when some of its documents were not), which had been signed and where they are,
 * which could not be withdrawn. Empty for the usual cancel: every document out withdrawn.
 * `after`: what ended the request — a cancel names the withdrawn documents only when some
 * others were not; a refusal always names the documents it took out with the refused one.
 */
export function withdrawalSentences(summary: WithdrawalSummary, provider: string, after: 'cancelled' | 'declined' | 'expired'): string {
  const sentences: string[] = [];
  const ending = ENDINGS[after];
  if (summary.withdrawn.length > 0 && (after !== 'cancelled' || summary.signed.length > 0 || summary.left.length > 0)) {
    sentences.push(`Withdrawn from signing at ${provider}: ${names(summary.withdrawn)}.`);
  }
  if (summary.signed.length > 0) {
    const one = summary.signed.length === 1;
    const refs = summary.signed.map((s) => `${recordValue(s.fileName)} (reference ${recordValue(s.reference)})`).join(', ');
    sentences.push(`Signed by every signer before ${ending}: ${refs}. ${one ? 'It was' : 'They were'} not attached to the record (a request is attached only when all its documents are signed) and ${one ? 'stays' : 'stay'} at ${provider}; the signrelay administrators can take ${one ? 'it' : 'them'} from there.`);
  }
  if (summary.left.length > 0) {
    const one = summary.left.length === 1;
    sentences.push(`${provider} did not withdraw ${names(summary.left)}: ${one ? 'its' : 'their'} signers may still be able to sign ${one ? 'it' : 'them'}, and a signature there is not attached to the record. The signrelay administrators were told.`);
  }
  return sentences.join(' ');
}

const ENDINGS = { cancelled: 'the withdrawal', declined: 'the decline', expired: 'the expiry' } as const;

/**
 * What became, since, of documents named when the request ended as ones their signers might
 * still sign (a later attempt of the withdrawals that had been failing): "Secured Signing has
 * withdrawn a.pdf since: its signers can no longer sign it." and "b.pdf was signed by every
 * signer before it could be withdrawn: …".
 */
export function settledSinceSentences(settled: Pick<WithdrawalSummary, 'withdrawn' | 'signed'>, provider: string): string {
  const sentences: string[] = [];
  if (settled.withdrawn.length > 0) {
    const one = settled.withdrawn.length === 1;
    sentences.push(`${provider} has withdrawn ${names(settled.withdrawn)} since: ${one ? 'its' : 'their'} signers can no longer sign ${one ? 'it' : 'them'}.`);
  }
  if (settled.signed.length > 0) {
    const one = settled.signed.length === 1;
    const refs = settled.signed.map((s) => `${recordValue(s.fileName)} (reference ${recordValue(s.reference)})`).join(', ');
    sentences.push(`${refs} ${one ? 'was' : 'were'} signed by every signer before ${one ? 'it' : 'they'} could be withdrawn: ${one ? 'it stays' : 'they stay'} at ${provider}, not attached to the record (the request ended first); the signrelay administrators can take ${one ? 'it' : 'them'} from there.`);
  }
  return sentences.join(' ');
}

function names(fileNames: readonly string[]): string {
  return fileNames.map((name) => recordValue(name)).join(', ');
}
