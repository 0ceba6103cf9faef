// The checks a mail's signers get (parse-signers.ts, signer-address-problems.ts), on the
// signers prepared documents name in their own [!Sign.N,…] tags, which are sent as they are:
// one mailbox twice (a `+tag` or Gmail spelling of it), signrelay's own address, the
// ServiceNow instance's. Pure; each problem names the document.
import { mailboxOf } from '../message/mail-headers.ts';
import type { OwnSigner } from '../pdf/find-tags.ts';
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
      const key = mailboxOf(signer.email) ?? signer.email.toLowerCase();
      const written = spelling.get(key);
      if (inDocument.has(key) || (written !== undefined && written !== signer.email.toLowerCase())) {
        problems.push(`${doc.fileName}: ${signer.email} is named twice as a signer: name each signer once`);
      }
      inDocument.add(key);
      if (written === undefined) spelling.set(key, signer.email.toLowerCase());
    }
    problems.push(...signerAddressProblems(doc.signers.map((s) => s.email), policy).map((p) => `${doc.fileName}: ${p}`));
  }
  return problems;
}
