// Which request a completion mail belongs to — pure, in the order of DESIGN.md: the token
// in a recipient address (returns+TOKEN@…), then a provider document reference in the
// subject or body, then the token in an attachment's file name or PDF metadata. The
// caller looks clues up in the database and judges the request's state.
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

export function matchCompletion<R>(clues: CompletionClues, lookup: MatchLookup<R>): { request: R; via: MatchVia } | undefined {
  for (const token of clues.recipientTokens) {
    const request = lookup.byToken(token);
    if (request) return { request, via: 'recipient-token' };
  }
  for (const reference of clues.references) {
    const request = lookup.byReference(reference);
    if (request) return { request, via: 'document-reference' };
  }
  for (const token of clues.attachmentTokens) {
    const request = lookup.byToken(token);
    if (request) return { request, via: 'attachment-token' };
  }
  return undefined;
}

/**
 * Tokens from the recipient headers (To, Cc, Delivered-To, X-Original-To) whose address is
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

const REFERENCE_RE = /\b[A-Za-z0-9]{10,40}\b/g;
const MAX_REFERENCE_CANDIDATES = 200;

/** Words that could be a provider document reference, to be looked up (most are not). */
export function candidateReferences(...texts: Array<string | undefined>): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    for (const match of (text ?? '').matchAll(REFERENCE_RE)) {
      // A reference mixes letters and digits or cases; plain words are not worth a lookup.
      if (/^[a-z]+$/.test(match[0]) || /^[A-Z]+$/.test(match[0])) continue;
      found.add(match[0]);
      if (found.size >= MAX_REFERENCE_CANDIDATES) return [...found];
    }
  }
  return [...found];
}
