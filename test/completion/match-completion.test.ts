import { describe, expect, it } from 'vitest';
import { candidateReferences, describeConflict, matchCompletion, recipientTokens } from '../../src/completion/match-completion.ts';
import { securedSigningTraits } from '../../src/providers/secured-signing/traits.ts';
import { signicatTraits } from '../../src/providers/signicat/traits.ts';

const SS = securedSigningTraits({ recipient_letter: 'C' }).referencePattern;
const SIGNICAT = signicatTraits().referencePattern;

const TOKEN = 'abcdefghijklmnopqrst';
const OTHER = 'zyxwvutsrqponmlkjihg';

describe('recipientTokens', () => {
  it.each([
    [[`returns+${TOKEN}@corp.example`], [TOKEN]],
    [[`Returns+${TOKEN.toUpperCase()}@CORP.example`], [TOKEN]],
    [[`returns+${TOKEN}@other.example`], []], // another domain
    [[`sign+${TOKEN}@corp.example`], []], // another mailbox
    [['returns@corp.example'], []],
    [['returns+short@corp.example'], []],
    [[`returns+${TOKEN}@corp.example`, `returns+${TOKEN}@corp.example`, `returns+${OTHER}@corp.example`], [TOKEN, OTHER]],
  ])('%j → %j', (addresses, expected) => {
    expect(recipientTokens(addresses, 'returns@corp.example')).toEqual(expected);
  });
});

describe('candidateReferences', () => {
  it('keeps mixed words that could be references and skips plain words', () => {
    expect(candidateReferences(SS, 'Contract gBeueUBEgsG5wnzI has been signed', 'Reference: AB12CD34EF56\nthankyouverymuch EVERYTHINGDONE'))
      .toEqual(['gBeueUBEgsG5wnzI', 'AB12CD34EF56']);
  });
  it('keeps references with - and _ (base64url) whole, and skips hyphenated words', () => {
    expect(candidateReferences(SS, 'Document a-Bc_12dE3fGh-iJ signed', 'a well-known-sentence, (Ab_cd-EF-gh) and x_y'))
      .toEqual(['a-Bc_12dE3fGh-iJ', 'Ab_cd-EF-gh']);
  });
  it('caps the number of lookups', () => {
    expect(candidateReferences(SS, Array.from({ length: 500 }, (_, i) => `Ref${String(i).padStart(8, '0')}`).join(' '))).toHaveLength(200);
  });
  it('takes the provider\'s shape of a reference: a Signicat order id is longer than any Secured Signing reference', () => {
    const orderId = `ord_${'Ab3'.repeat(18)}`; // 58 characters
    const subject = `Signing order ${orderId} completed`;
    expect(candidateReferences(SIGNICAT, subject)).toEqual([orderId]);
    expect(candidateReferences(SS, subject)).toEqual([]);
  });
});

describe('matchCompletion', () => {
  const A = { id: 'r_a' };
  const B = { id: 'r_b' };
  const tokens: Record<string, { id: string }> = { [TOKEN]: A, [OTHER]: B };
  const references: Record<string, { id: string }> = { REF_A_123456: A, REF_B_123456: B };
  const lookup = { byToken: (t: string) => tokens[t], byReference: (r: string) => references[r] };
  const clues = (c: Partial<{ recipientTokens: string[]; references: string[]; attachmentTokens: string[] }>) =>
    ({ recipientTokens: [], references: [], attachmentTokens: [], ...c });

  it.each([
    ['the recipient token', clues({ recipientTokens: [TOKEN] }), 'recipient-token'],
    ['a reference when the plus-address is lost', clues({ recipientTokens: ['unknownunknownunknow'], references: ['nothing12345', 'REF_A_123456'] }), 'document-reference'],
    ['the attachment token as the last resort', clues({ references: ['nothing12345'], attachmentTokens: [TOKEN] }), 'attachment-token'],
    ['every clue naming the same request (the first kind counts)', clues({ recipientTokens: [TOKEN], references: ['REF_A_123456'], attachmentTokens: [TOKEN, TOKEN] }), 'recipient-token'],
  ] as const)('matches by %s', (_name, c, via) => {
    expect(matchCompletion(c, lookup)).toEqual({ kind: 'matched', request: A, via });
  });

  it('matches nothing without a known clue', () => {
    expect(matchCompletion(clues({ references: ['nothing12345'] }), lookup)).toEqual({ kind: 'none' });
  });

  // A's token must never carry B's document: whichever clue comes first may not decide.
  it.each([
    ['B\'s reference in the body', clues({ recipientTokens: [TOKEN], references: ['REF_B_123456'] }), ['recipient-token', 'document-reference']],
    ['B\'s token in the PDF metadata', clues({ recipientTokens: [TOKEN], attachmentTokens: [OTHER] }), ['recipient-token', 'attachment-token']],
    ['both tokens in the recipients', clues({ recipientTokens: [TOKEN, OTHER] }), ['recipient-token', 'recipient-token']],
    ['A\'s reference with B\'s token in the attachment, the address lost', clues({ references: ['REF_A_123456'], attachmentTokens: [OTHER] }), ['document-reference', 'attachment-token']],
  ] as const)('is a conflict when A\'s token comes with %s', (_name, c, vias) => {
    const match = matchCompletion(c, lookup);
    expect(match).toEqual({ kind: 'conflict', hits: [{ request: A, via: vias[0] }, { request: B, via: vias[1] }] });
    expect(describeConflict(match.kind === 'conflict' ? match.hits : [])).toBe(
      `it names more than one request (request r_a by ${WORDS[vias[0]]}, request r_b by ${WORDS[vias[1]]}): nothing was delivered, since the mail cannot say which record the document belongs on`);
  });
});

const WORDS = {
  'recipient-token': 'the token in its recipient address',
  'document-reference': 'a document reference in its subject or body',
  'attachment-token': 'the token in an attachment\'s name or PDF metadata',
} as const;
