// Which request a completion mail belongs to — pure. The clues, in the order of DESIGN.md:
// the token in a recipient address (returns+TOKEN@…), a provider document reference in the
// subject or body, the token in an attachment's file name or PDF metadata. Every clue is
// looked up, not just the first that matches: a mail whose clues name two different
// requests (A's token in the address, B's reference in the body or B's token in the PDF)
// is a conflict, never a match — otherwise the order of the clues would decide which
// record a document lands on. The caller looks clues up in the database and judges the
// request's state.
import { tokenFromReturnAddress } from '../pdf/build-tags.ts';

export type MatchVia = 'recipient-token' | 'document-reference' | 'attachment-token';

export interface CompletionClues {
  recipientTokens: string[];
  references: string[];
  attachmentTokens: string[];
}

export interface MatchLookup<R> {
  byToken(token: string): R | undefined;
  byReference(reference: string): R | undefined;
}

export interface MatchHit<R> {
  request: R;
  /** The first (most trusted) kind of clue that named this request. */
  via: MatchVia;
}

export type CompletionMatch<R> =
  | { kind: 'none' }
  | { kind: 'matched'; request: R; via: MatchVia }
  /** Clues naming different requests: one hit per request, in clue order. */
  | { kind: 'conflict'; hits: MatchHit<R>[] };

export function matchCompletion<R extends { id: string }>(clues: CompletionClues, lookup: MatchLookup<R>): CompletionMatch<R> {
  const hits: MatchHit<R>[] = [];
  const add = (request: R | undefined, via: MatchVia) => {
    if (request && !hits.some((h) => h.request.id === request.id)) hits.push({ request, via });
  };
  for (const token of clues.recipientTokens) add(lookup.byToken(token), 'recipient-token');
  for (const reference of clues.references) add(lookup.byReference(reference), 'document-reference');
  for (const token of clues.attachmentTokens) add(lookup.byToken(token), 'attachment-token');
  if (hits.length === 0) return { kind: 'none' };
  if (hits.length > 1) return { kind: 'conflict', hits };
  return { kind: 'matched', ...hits[0]! };
}

/** The recorded reason of a conflict: which clue named which request. */
export function describeConflict(hits: ReadonlyArray<MatchHit<{ id: string }>>): string {
  const named = hits.map((h) => `request ${h.request.id} by ${CLUE_WORDS[h.via]}`).join(', ');
  return `it names more than one request (${named}): nothing was delivered, since the mail cannot say which record the document belongs on`;
}

const CLUE_WORDS: Record<MatchVia, string> = {
  'recipient-token': 'the token in its recipient address',
  'document-reference': 'a document reference in its subject or body',
  'attachment-token': 'the token in an attachment\'s name or PDF metadata',
};

/**
 * Tokens from the recipient headers (To, Cc, and the envelope headers servers write: Delivered-To, X-Original-To, Envelope-To, Received … for) whose address is
 * the return address with a +TOKEN: the same local part and domain, any case.
 */
export function recipientTokens(addresses: readonly string[], returnAddress: string): string[] {
  const [baseLocal = '', baseDomain = ''] = returnAddress.toLowerCase().split('@');
  const tokens: string[] = [];
  for (const raw of addresses) {
    const address = raw.trim().toLowerCase().replace(/^<|>$/g, '');
    const [local = '', domain = ''] = address.split('@');
    if (domain !== baseDomain || local.split('+')[0] !== baseLocal) continue;
    const token = tokenFromReturnAddress(address);
    if (token && !tokens.includes(token)) tokens.push(token);
  }
  return tokens;
}

const MAX_REFERENCE_CANDIDATES = 200;

/**
 * Words that could be one of the provider's references (a document reference, an order id),
 * to be looked up (most are not). `pattern` is the provider's shape of a reference
 * (ProviderTraits.referencePattern, global): Secured Signing's are 10-40 characters,
 * Signicat's order ids up to 64.
 */
export function candidateReferences(pattern: RegExp, ...texts: Array<string | undefined>): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    for (const [word] of (text ?? '').matchAll(pattern)) {
      // A reference has digits or mixes cases; plain (or hyphenated) words are not worth a lookup.
      if (!/\d/.test(word) && !(/[a-z]/.test(word) && /[A-Z]/.test(word))) continue;
      found.add(word);
      if (found.size >= MAX_REFERENCE_CANDIDATES) return [...found];
    }
  }
  return [...found];
}
