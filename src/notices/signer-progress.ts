// Who of a request's signers has signed, as the provider reports it — pure. Secured
// Signing's document status lists each signer (HasSigned, DeclinedReason), Signicat's
// order one task per signer; both arrive as DocumentStatus.signers, one list per document.
// The people are always the request's own stored signers (the mail's Signer lines, the
// route's defaults or the PDF's own [!Sign] tags); the provider only says *whether* each
// signed, matched by address — a name or address the provider sends never reaches a line.
// Every line is inert and bounded (record-text.ts): it goes to a work note on a record
// (reconciliation's "Ann Lee's invitation signed, 1 of 2") and to the requester's `status`
// answer. When each newly found signature was made is the provider's word (signingTimes).
import type { DocumentStatus } from '../providers/provider.ts';
import { latest } from '../providers/provider-time.ts';
import { recordValue } from '../servicenow/record-text.ts';
import type { Signer } from '../signer.ts';

/** What the provider says of one signer: signed every document, refused, still to sign, or nothing (no document lists them). */
export type SignerState = 'signed' | 'declined' | 'waiting' | 'unknown';

export interface SignerProgress {
  /** 0-based place in the request's signing order. */
  position: number;
  signer: Signer;
  state: SignerState;
}

/** What describeSignerProgress and signerProgress read of a provider status: its signers, per document (and when it was last signed). */
export type ProviderSigners = ReadonlyArray<Pick<DocumentStatus, 'signers'> & Partial<Pick<DocumentStatus, 'lastSignedAt'>>>;

/**
 * Each stored signer's state, in signing order. A signer is matched in each document's
 * list at their own place when the address there is theirs, else at the first place with
 * their address not taken by another (the same person twice in a request stays two
 * signers). Signed means signed in every document that lists them.
 */
export function signerProgress(signers: readonly Signer[], statuses: ProviderSigners): SignerProgress[] {
  const matches = statuses.map((status) => matchSigners(signers, status.signers));
  return signers.map((signer, position) => {
    const found = matches.map((m) => m[position]).filter((s) => s !== undefined);
    let state: SignerState = 'unknown';
    if (found.some((s) => s.declinedReason !== undefined && s.declinedReason.trim() !== '')) state = 'declined';
    else if (found.length > 0) state = found.every((s) => s.hasSigned) ? 'signed' : 'waiting';
    return { position, signer, state };
  });
}

/**
 * The progress as lines for people, one per signer in signing order: "Ann Lee's invitation
 * signed, 1 of 2", "Bob Ray has not signed yet", "Bob Ray declined", or — where the provider lists no
 * one — "Bob Ray: the provider does not say". `k of n` counts the signers who have signed,
 * in signing order. Names and addresses are the stored signers', made inert.
 */
export function describeSignerProgress(signers: readonly Signer[], statuses: ProviderSigners): string[] {
  let signed = 0;
  return signerProgress(signers, statuses).map(({ signer, state }) => {
    const who = signerName(signer);
    switch (state) {
      case 'signed': return signedLine(signer, ++signed, signers.length);
      case 'declined': return `${who} declined`;
      case 'waiting': return `${who} has not signed yet`;
      case 'unknown': return `${who}: the provider does not say`;
    }
  });
}

/**
 * The signers who have signed and were not noted yet (`noted`: positions), in signing
 * order, each with the number of signatures so far counting it — the next note's "k of n".
 */
export function newlySigned(progress: readonly SignerProgress[], noted: ReadonlySet<number>): Array<SignerProgress & { count: number }> {
  let count = noted.size;
  return progress.filter((p) => p.state === 'signed' && !noted.has(p.position)).map((p) => ({ ...p, count: ++count }));
}

/**
 * When each of the newly signed signers (`fresh`, positions) signed, as the provider reports
 * it; a signer whose time it does not tell is left out. Their own time where every document
 * that lists them gives one (Signicat's tasks), the latest of them. Else a document's latest
 * signature (Secured Signing's LastSignedDate, the only time it gives) — theirs only when they
 * are the one signer newly found signed and everyone else a document lists as signed was noted
 * before (`noted`): those were seen signed at an earlier look, when this signer was not, so
 * signed before them. Two found at once: the document's time is one of theirs, nobody knows whose.
 */
export function signingTimes(signers: readonly Signer[], statuses: ProviderSigners, fresh: readonly number[], noted: ReadonlySet<number>): Map<number, Date> {
  const matches = statuses.map((status) => matchSigners(signers, status.signers));
  const times = new Map<number, Date>();
  for (const position of fresh) {
    const listing = statuses.flatMap((status, d) => (matches[d]![position] ? [{ status, entry: matches[d]![position]!, matched: matches[d]! }] : []));
    if (listing.length === 0) continue;
    if (listing.every((l) => l.entry.signedAt !== undefined)) {
      times.set(position, latest(listing.map((l) => l.entry.signedAt))!);
      continue;
    }
    if (fresh.length !== 1) continue;
    const theLast = listing.every(({ status, matched }) => {
      const accounted = new Set(matched.filter((entry, p) => entry !== undefined && (p === position || noted.has(p))));
      return status.lastSignedAt !== undefined && status.signers.every((s) => !s.hasSigned || accounted.has(s));
    });
    if (theLast) times.set(position, latest(listing.map((l) => l.status.lastSignedAt))!);
  }
  return times;
}

/**
 * "Ann Lee's invitation signed, 1 of 2": the line a note and a status answer share. What the
 * provider reports is that the invitation sent to Ann Lee was signed, not who signed it (it
 * can be forwarded; the signed PDF names the real signer): never "Ann Lee signed" (audit review M4).
 */
export function signedLine(signer: Signer, count: number, of: number): string {
  return `${possessive(signerName(signer))} invitation signed, ${count} of ${of}`;
}

/** "Ann Lee's", "James'". */
export function possessive(name: string): string {
  return /s$/i.test(name) ? `${name}'` : `${name}'s`;
}

/** The signer's name made inert, or their address when the request has no name for them. */
export function signerName(signer: Signer): string {
  return recordValue(`${signer.firstName} ${signer.lastName}`) || recordValue(signer.email);
}

type ProviderSigner = DocumentStatus['signers'][number];

/** Per stored signer (by position), the provider's entry for them in one document's list, if any. */
function matchSigners(signers: readonly Signer[], listed: readonly ProviderSigner[]): Array<ProviderSigner | undefined> {
  const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  const taken = new Set<number>();
  const result: Array<ProviderSigner | undefined> = signers.map((signer, i) => {
    const atPlace = listed[i];
    if (atPlace && same(atPlace.email, signer.email)) {
      taken.add(i);
      return atPlace;
    }
    return undefined;
  });
  return result.map((found, i) => {
    if (found) return found;
    const at = listed.findIndex((s, j) => !taken.has(j) && same(s.email, signers[i]!.email));
    if (at < 0) return undefined;
    taken.add(at);
    return listed[at];
  });
}
