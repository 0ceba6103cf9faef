// The checks a mail's signers get (parse-signers.ts, signer-address-problems.ts), on the
// signers prepared documents name in their own [!Sign.N,…] tags, which are sent as they are:
// one mailbox twice (a `+tag` or Gmail spelling of it), signrelay's own address, the
// ServiceNow instance's; and documents that have the same people sign in different orders,
// where the request's one list "in signing order" would be wrong for one of them. Pure; each
// problem names the document.
import { mailboxOf } from '../message/mail-headers.ts';
import type { OwnSigner } from '../pdf/find-tags.ts';
import { listSigners } from '../pdf/own-tag-rules.ts';
import { signerAddressProblems } from './signer-address-problems.ts';
import type { IntakePolicy } from './types.ts';

export interface PreparedDocument {
  fileName: string;
  /** Its own sign tags' signers, in signing order (find-tags.ts ownSigners). */
  signers: readonly OwnSigner[];
}

export function preparedSignerProblems(documents: readonly PreparedDocument[], policy: Pick<IntakePolicy, 'requestAddress' | 'ownAddresses' | 'instanceAddresses'>): string[] {
  const problems: string[] = [];
  // One mailbox, one spelling across the documents: the same person in several is expected,
  // ann.lee@ in one and ann.lee+2@ in another is one inbox invited as two signers.
  const spelling = new Map<string, string>();
  for (const doc of documents) {
    const inDocument = new Set<string>();
    for (const signer of doc.signers) {
      const key = keyOf(signer);
      const written = spelling.get(key);
      if (inDocument.has(key) || (written !== undefined && written !== signer.email.toLowerCase())) {
        problems.push(`${doc.fileName}: ${signer.email} is named twice as a signer: name each signer once`);
      }
      inDocument.add(key);
      if (written === undefined) spelling.set(key, signer.email.toLowerCase());
    }
    problems.push(...signerAddressProblems(doc.signers.map((s) => s.email), policy).map((p) => `${doc.fileName}: ${p}`));
  }
  return [...problems, ...orderProblems(documents)];
}

const keyOf = (signer: OwnSigner) => mailboxOf(signer.email) ?? signer.email.toLowerCase();

/**
 * Each pair of documents whose common signers sign in another order in one than in the
 * other; or, when three or more disagree only together (A before B, B before C, C before A),
 * all of them.
 */
function orderProblems(documents: readonly PreparedDocument[]): string[] {
  const problems: string[] = [];
  for (const [i, a] of documents.entries()) {
    for (const b of documents.slice(i + 1)) {
      const inB = new Set(b.signers.map(keyOf));
      const inA = new Set(a.signers.map(keyOf));
      const common = (doc: PreparedDocument, other: Set<string>) => doc.signers.map(keyOf).filter((key) => other.has(key));
      if (common(a, inB).join('\n') === common(b, inA).join('\n')) continue;
      problems.push(`${a.fileName} and ${b.fileName} have the same people sign in different orders (${a.fileName}: ${listSigners(a.signers)}; ${b.fileName}: ${listSigners(b.signers)}): ` +
        'give the documents the same signing order, or send each in a mail of its own');
    }
  }
  if (problems.length === 0 && documents.length > 2 && signingOrder(documents) === undefined) {
    problems.push(`${documents.map((d) => d.fileName).join(', ')} have the same people sign in orders that do not agree: give the documents the same signing order, or send each in a mail of its own`);
  }
  return problems;
}

/**
 * The documents' signers as one list in an order every document keeps (each person once, as
 * first written), for the request to list "in signing order"; undefined when the documents
 * disagree. A signer comes as soon as everyone before them in every document has: by first
 * appearance among those who may.
 */
export function signingOrder(documents: readonly PreparedDocument[]): OwnSigner[] | undefined {
  const first = new Map<string, OwnSigner>();
  const before = new Map<string, Set<string>>();
  for (const doc of documents) {
    doc.signers.forEach((signer, i) => {
      const key = keyOf(signer);
      if (!first.has(key)) first.set(key, signer);
      const earlier = before.get(key) ?? new Set<string>();
      for (const prior of doc.signers.slice(0, i)) if (keyOf(prior) !== key) earlier.add(keyOf(prior));
      before.set(key, earlier);
    });
  }
  const order: OwnSigner[] = [];
  const placed = new Set<string>();
  while (placed.size < first.size) {
    const next = [...first.keys()].find((key) => !placed.has(key) && [...before.get(key)!].every((prior) => placed.has(prior)));
    if (next === undefined) return undefined;
    placed.add(next);
    order.push(first.get(next)!);
  }
  return order;
}
