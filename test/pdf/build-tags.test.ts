// Smart-tag building is pure: table-driven cases for every name-sanitising rule, the
// address checks, and the return plus-address both ways.
import { describe, expect, it } from 'vitest';
import { isSignrelayError } from '../../src/errors.ts';
import { recipientTag, returnAddress, signTag, tokenFromReturnAddress } from '../../src/pdf/build-tags.ts';
import type { Signer } from '../../src/signer.ts';

const TOKEN = 'abcdefghijklmnopqrst';
const signer = (firstName: string, lastName: string, email = 'ann.lee@corp.example'): Signer => ({ firstName, lastName, email });

describe('signTag', () => {
  it.each<[string, number, Signer, string]>([
    ['plain', 1, signer('Ann', 'Lee'), '[!Sign.1,Ann,Lee,ann.lee@corp.example]'],
    ['signing order', 3, signer('Ann', 'Lee'), '[!Sign.3,Ann,Lee,ann.lee@corp.example]'],
    ['multi-word first name', 1, signer('Mary Ann', 'Lee'), '[!Sign.1,Mary Ann,Lee,ann.lee@corp.example]'],
    ['comma in a name', 1, signer('Lee, Ann', 'Jr'), '[!Sign.1,Lee Ann,Jr,ann.lee@corp.example]'],
    ['brackets and bang', 1, signer('[Ann]!', 'Lee'), '[!Sign.1,Ann,Lee,ann.lee@corp.example]'],
    ['tag injection', 1, signer('Ann', 'Lee,x@evil.example] [!Sign.2'), '[!Sign.1,Ann,Lee x@evil.example Sign.2,ann.lee@corp.example]'],
    ['control characters', 1, signer('An\u0000n', 'L\u0007ee'), '[!Sign.1,An n,L ee,ann.lee@corp.example]'],
    ['newline and tab', 1, signer('Ann\nMarie', 'Lee\tSmith'), '[!Sign.1,Ann Marie,Lee Smith,ann.lee@corp.example]'],
    ['zero-width and bidi override', 1, signer('An\u200Bn', '\u202ELee'), '[!Sign.1,An n,Lee,ann.lee@corp.example]'],
    ['spaces collapse and trim', 1, signer('  Ann   Marie ', ' Lee  '), '[!Sign.1,Ann Marie,Lee,ann.lee@corp.example]'],
    ['fullwidth letters (NFKC)', 1, signer('Ａｎｎ', 'Ｌｅｅ'), '[!Sign.1,Ann,Lee,ann.lee@corp.example]'],
    ['empty last name', 1, signer('Madonna', ''), '[!Sign.1,Madonna,-,ann.lee@corp.example]'],
    ['empty first name', 1, signer('', 'Lee'), '[!Sign.1,-,Lee,ann.lee@corp.example]'],
    ['no name: from the address', 2, signer('', '', 'mary-ann.lee+hr@corp.example'), '[!Sign.2,Mary Ann,Lee,mary-ann.lee+hr@corp.example]'],
    ['no name, one-word address', 1, signer('', '', 'jsmith@corp.example'), '[!Sign.1,Jsmith,-,jsmith@corp.example]'],
    ['name of only separators', 1, signer(',,,', '[]', 'ann.lee@corp.example'), '[!Sign.1,Ann,Lee,ann.lee@corp.example]'],
    ['Latin diacritics kept', 1, signer('Zoë', 'Ångström', 'zoe@corp.example'), '[!Sign.1,Zoë,Ångström,zoe@corp.example]'],
    ['Greek kept', 1, signer('Ηλέκτρα', 'Παπαδοπούλου', 'e.p@corp.example'), '[!Sign.1,Ηλέκτρα,Παπαδοπούλου,e.p@corp.example]'],
    ['Cyrillic kept', 1, signer('Офелия', 'Петрова', 'o.p@corp.example'), '[!Sign.1,Офелия,Петрова,o.p@corp.example]'],
    ['CJK: from the address', 1, signer('山田', '太郎', 'taro.yamada@corp.example'), '[!Sign.1,Taro,Yamada,taro.yamada@corp.example]'],
    ['mixed CJK: whole name from the address', 1, signer('Taro', '山田', 'taro.yamada@corp.example'), '[!Sign.1,Taro,Yamada,taro.yamada@corp.example]'],
    ['Arabic: from the address', 1, signer('ليلى', 'حداد', 'layla.haddad@corp.example'), '[!Sign.1,Layla,Haddad,layla.haddad@corp.example]'],
    ['CJK with a bare local part', 1, signer('山田', '太郎', '12345@corp.example'), '[!Sign.1,12345,-,12345@corp.example]'],
  ])('%s', (_name, order, input, expected) => {
    expect(signTag(order, input)).toBe(expected);
  });

  it('cuts a very long name part to 64 characters', () => {
    const tag = signTag(1, signer('A'.repeat(200), 'Lee'));
    expect(tag).toBe(`[!Sign.1,${'A'.repeat(64)},Lee,ann.lee@corp.example]`);
  });

  it('always yields one well-formed tag, whatever the name', () => {
    const hostile = [',', '[', ']', '!', '[!Sign.9,a,b,c]', '\u0000\u001f\u007f', '\u2028\u2029', '\uFEFF', ' , ', '!!!', '\uD800'];
    const wellFormed = /^\[!Sign\.1,[^,[\]!]+,[^,[\]!]+,ann\.lee@corp\.example\]$/;
    for (const a of hostile) {
      for (const b of hostile) expect(signTag(1, signer(`x${a}`, `${b}y`))).toMatch(wellFormed);
    }
  });

  it.each([
    ['an address with a control character', 'ann\u0001lee@corp.example', 'signer_email_invalid'],
    ['not an address', 'ann.lee', 'signer_email_invalid'],
    ['an address in a script the tag cannot print', '山田@corp.example', 'signer_email_unprintable'],
  ])('refuses %s as an input error', (_name, email, code) => {
    try {
      signTag(1, signer('Ann', 'Lee', email));
      expect.unreachable();
    } catch (err) {
      expect(isSignrelayError(err) && err.kind === 'input' && err.code === code).toBe(true);
    }
  });

  it('refuses a signing order that is not a positive integer', () => {
    expect(() => signTag(0, signer('Ann', 'Lee'))).toThrow(RangeError);
    expect(() => signTag(1.5, signer('Ann', 'Lee'))).toThrow(RangeError);
  });
});

describe('recipientTag', () => {
  it('names the return address with the configured letter', () => {
    expect(recipientTag('C', { firstName: 'signrelay', lastName: 'Returns' }, `returns+${TOKEN}@corp.example`))
      .toBe(`[!Recipient.C,signrelay,Returns,returns+${TOKEN}@corp.example]`);
    expect(recipientTag('N', { firstName: 'Ops', lastName: 'Desk' }, 'ops@corp.example')).toBe('[!Recipient.N,Ops,Desk,ops@corp.example]');
  });

  it('sanitises the name like a signer name', () => {
    expect(recipientTag('C', { firstName: 'sign,relay', lastName: '' }, 'ops@corp.example')).toBe('[!Recipient.C,sign relay,-,ops@corp.example]');
  });

  it.each(['c', 'CC', '', '1'])('refuses the letter %j as a config error', (letter) => {
    expect(() => recipientTag(letter, { firstName: 'a', lastName: 'b' }, 'ops@corp.example')).toThrow(/recipient_letter/);
  });
});

describe('returnAddress and tokenFromReturnAddress', () => {
  it('puts the token after a plus', () => {
    expect(returnAddress('returns@corp.example', TOKEN)).toBe(`returns+${TOKEN}@corp.example`);
  });

  it('refuses a base that already has a plus, or is no address, as config errors', () => {
    for (const base of ['returns+x@corp.example', 'returns', '@corp.example']) {
      try {
        returnAddress(base, TOKEN);
        expect.unreachable();
      } catch (err) {
        expect(isSignrelayError(err) && err.kind === 'config').toBe(true);
      }
    }
  });

  it('refuses something that is not a token', () => {
    expect(() => returnAddress('returns@corp.example', 'short')).toThrow(RangeError);
  });

  it.each<[string, string | undefined]>([
    [`returns+${TOKEN}@corp.example`, TOKEN],
    [`Returns+${TOKEN.toUpperCase()}@Corp.Example`, TOKEN],
    [` returns+${TOKEN}@corp.example `, TOKEN],
    ['returns@corp.example', undefined],
    [`returns+${TOKEN}x@corp.example`, undefined],
    [`returns+${TOKEN.slice(1)}@corp.example`, undefined],
    [`returns+${TOKEN.slice(0, -1)}1@corp.example`, undefined],
  ])('%s → %s', (address, token) => {
    expect(tokenFromReturnAddress(address)).toBe(token);
  });
});
