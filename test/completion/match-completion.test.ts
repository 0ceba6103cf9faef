import { describe, expect, it } from 'vitest';
import { candidateReferences, matchCompletion, recipientTokens } from '../../src/completion/match-completion.ts';

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
    expect(candidateReferences('Contract gBeueUBEgsG5wnzI has been signed', 'Reference: AB12CD34EF56\nthankyouverymuch EVERYTHINGDONE'))
      .toEqual(['gBeueUBEgsG5wnzI', 'AB12CD34EF56']);
  });
  it('caps the number of lookups', () => {
    expect(candidateReferences(Array.from({ length: 500 }, (_, i) => `Ref${String(i).padStart(8, '0')}`).join(' '))).toHaveLength(200);
  });
});

describe('matchCompletion', () => {
  const requests = { [TOKEN]: 'r_by_token', [OTHER]: 'r_by_attachment' } as Record<string, string>;
  const lookup = {
    byToken: (t: string) => requests[t],
    byReference: (r: string) => (r === 'REF123456789' ? 'r_by_reference' : undefined),
  };

  it.each([
    [{ recipientTokens: [TOKEN], references: ['REF123456789'], attachmentTokens: [OTHER] }, 'r_by_token', 'recipient-token'],
    [{ recipientTokens: ['unknownunknownunknow'], references: ['REF123456789'], attachmentTokens: [OTHER] }, 'r_by_reference', 'document-reference'],
    [{ recipientTokens: [], references: ['nothing12345'], attachmentTokens: [OTHER] }, 'r_by_attachment', 'attachment-token'],
  ])('follows the order token → reference → attachment (%#)', (clues, request, via) => {
    expect(matchCompletion(clues, lookup)).toEqual({ request, via });
  });

  it('matches nothing without a known clue', () => {
    expect(matchCompletion({ recipientTokens: [], references: ['nothing12345'], attachmentTokens: [] }, lookup)).toBeUndefined();
  });
});
