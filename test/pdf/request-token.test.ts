// The request token: format, uniqueness and an even spread of symbols (a weak or biased
// generator would make tokens guessable).
import { describe, expect, it } from 'vitest';
import { isRequestToken, newRequestToken, REQUEST_TOKEN_LENGTH } from '../../src/pdf/request-token.ts';

describe('newRequestToken', () => {
  it('makes 20 lower-case base32 characters (100 bits)', () => {
    expect(REQUEST_TOKEN_LENGTH * 5).toBeGreaterThanOrEqual(80);
    for (let i = 0; i < 100; i++) {
      const token = newRequestToken();
      expect(token).toMatch(/^[a-z2-7]{20}$/);
      expect(isRequestToken(token)).toBe(true);
    }
  });

  it('never repeats in 10 000 draws', () => {
    const tokens = new Set(Array.from({ length: 10_000 }, newRequestToken));
    expect(tokens.size).toBe(10_000);
  });

  it('uses all 32 symbols about equally in every position', () => {
    const draws = 4_000;
    const counts = Array.from({ length: REQUEST_TOKEN_LENGTH }, () => new Map<string, number>());
    for (let i = 0; i < draws; i++) {
      [...newRequestToken()].forEach((ch, pos) => counts[pos]!.set(ch, (counts[pos]!.get(ch) ?? 0) + 1));
    }
    // Expected 125 per symbol and position (σ ≈ 11): a short alphabet, a stuck position or
    // a skewed mapping falls outside 70..190.
    for (const perPosition of counts) {
      expect(perPosition.size).toBe(32);
      const values = [...perPosition.values()];
      expect(Math.min(...values)).toBeGreaterThan(70);
      expect(Math.max(...values)).toBeLessThan(190);
    }
  });
});

describe('isRequestToken', () => {
  it.each([
    ['abcdefghijklmnopqrst', true],
    ['234567abcdefghijklmn', true],
    ['ABCDEFGHIJKLMNOPQRST', false],
    ['abcdefghijklmnopqrs', false],
    ['abcdefghijklmnopqrstu', false],
    ['abcdefghijklmnopqrs1', false],
    ['abcdefghijklmnopqrs8', false],
    ['abcdefghij-lmnopqrst', false],
    ['', false],
  ])('%j → %s', (text, expected) => {
    expect(isRequestToken(text)).toBe(expected);
  });
});
