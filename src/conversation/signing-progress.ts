// Who has signed, as the provider reports it per document (DocumentStatus.signers), in one
// sentence: "Ann Lee signed, 1 of 2; waiting for Bob Stone." Pure. A signer counts as signed
// when every document that names them says so. Names come from the request where the
// address matches (else the address alone), each value inert (record-text.ts): the sentence
// goes into a note on the record and into a mail.
import type { DocumentStatus } from '../providers/provider.ts';
import { recordValue } from '../servicenow/record-text.ts';
import type { Signer } from '../signer.ts';

export function signingProgress(signers: readonly Signer[], statuses: ReadonlyArray<Pick<DocumentStatus, 'signers' | 'phase'>>): string {
  const byEmail = new Map<string, boolean>();
  for (const status of statuses) {
    for (const s of status.signers) {
      const key = s.email.toLowerCase();
      byEmail.set(key, (byEmail.get(key) ?? true) && s.hasSigned);
    }
  }
  // The request's signers in order; those only the provider names (a prepared document's own tags) after them.
  const known = signers.map((s) => ({ name: nameOf(s), email: s.email.toLowerCase() }));
  const extra = [...byEmail.keys()].filter((e) => !known.some((k) => k.email === e)).map((email) => ({ name: recordValue(email), email }));
  const everyone = [...known, ...extra];
  if (everyone.length === 0) return 'The provider names no signers yet.';
  const signed = everyone.filter((p) => byEmail.get(p.email) === true);
  const waiting = everyone.filter((p) => byEmail.get(p.email) !== true);
  const count = `${signed.length} of ${everyone.length}`;
  const done = signed.length === 0 ? `Nobody has signed yet, ${count}` : `${list(signed.map((p) => p.name))} signed, ${count}`;
  return waiting.length === 0 ? `${done}.` : `${done}; waiting for ${list(waiting.map((p) => p.name))}.`;
}

function nameOf(signer: Signer): string {
  return recordValue(`${signer.firstName} ${signer.lastName}`.trim()) || recordValue(signer.email);
}

function list(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
