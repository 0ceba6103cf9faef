import { describe, expect, it } from 'vitest';
import { findTags, ownSigners, signTagSigner, tagDifference } from '../../src/pdf/find-tags.ts';
import { pageText } from '../../src/pdf/page-text.ts';

describe('findTags', () => {
  it.each([
    ['as written', '[!Sign.1,Ann,Lee,ann@x.example]', 'sign', '[!Sign.1,Ann,Lee,ann@x.example]'],
    ['any case', '[!rEcIpIeNt.C,Eve,Evil,eve@x.example]', 'recipient', '[!rEcIpIeNt.C,Eve,Evil,eve@x.example]'],
    ['spaces around every separator', '[ ! Sign . 2 , Mary Ann , Lee , m@x.example ]', 'sign', '[!Sign.2,Mary Ann,Lee,m@x.example]'],
    ['split over lines', '[\n!Sign.1,Mal,\nLory,mal@x.example\n]', 'sign', '[!Sign.1,Mal,Lory,mal@x.example]'],
    ['fullwidth brackets and bang', '［！Recipient.C,Eve,Evil,eve@x.example］', 'recipient', '[!Recipient.C,Eve,Evil,eve@x.example]'],
    ['a zero-width space between [ and !', '[\u200b!Sign.1,A,B,a@x.example]', 'sign', '[!Sign.1,A,B,a@x.example]'],
    ['a combining grapheme joiner after the !', '[!\u034fRecipient.C,E,V,e@x.example]', 'recipient', '[!Recipient.C,E,V,e@x.example]'],
    ['a variation selector after the [', '[\ufe0f!Recipient.C,E,V,e@x.example]', 'recipient', '[!Recipient.C,E,V,e@x.example]'],
    ['a Hangul filler between [ and !', '[\u3164!Sign.1,A,B,a@x.example]', 'sign', '[!Sign.1,A,B,a@x.example]'],
    ['a combining accent on the [', '[\u0301!Recipient.C,E,V,e@x.example]', 'recipient', '[!Recipient.C,E,V,e@x.example]'],
    ['a family spread over lines', '[!Re\ncipient.C,E,V,e@x.example]', 'recipient', '[!Re cipient.C,E,V,e@x.example]'],
    ['another family', '[!Witness.1,W,X,w@x.example]', 'witness', '[!Witness.1,W,X,w@x.example]'],
  ])('finds a tag %s', (_, text, family, normalised) => {
    expect(findTags(`before ${text} after`)).toEqual([{ family, text: normalised }]);
  });

  it('reports an unterminated tag, cut', () => {
    const [tag] = findTags(`[!Sign.1,Mal,Lory,${'x'.repeat(500)}`);
    expect(tag!.family).toBe('sign');
    expect(tag!.text.length).toBeLessThanOrEqual(300);
    expect(signTagSigner(tag!)).toBeUndefined();
  });

  it('ignores brackets that open no tag', () => {
    expect(findTags('[1] see [Appendix A] and [ ] or [!] or [! 42]')).toEqual([]);
  });

  it('takes a closed, bare bracketed word for no tag — LaTeX, shell and Markdown write them — but any family with a qualifier, fields or an address for one', () => {
    expect(findTags('\\begin{figure}[!htbp] [!h] case $a in [!yY]*) > [!NOTE] [!done] [!Initial] [!gsave newpath(20,7) moveto]')).toEqual([]);
    expect(findTags('[!Witness.1] [!F2F,Ann,Lee] [!Text.1.Required] [!Date.1.dd/MM/yyyy] [!note ann@x.example] [! Witness . 2 , W , X , w@x.example ] [!Sign] [!recipient] x[!is.na(x)]').map((t) => t.family))
      .toEqual(['witness', 'f', 'text', 'date', 'noteann', 'witness', 'sign', 'recipient', 'is']);
  });

  it('judges a tag as a reader that drops diacritics reads it, and takes one not closed within reach for a tag whatever it holds', () => {
    const long = 'x'.repeat(320);
    expect(findTags(`[!Re\u0336cipient.C,${long},Evil,mallory@evil.example]`).map((t) => t.family)).toEqual(['recipient']);
    expect(findTags('[!Si\u0336gn.2,Mal,Lory,mal@evil.example]').map((t) => t.family)).toEqual(['sign']);
    expect(findTags(`[!Witness${' '.repeat(400)}W]`)).toHaveLength(1);
    expect(findTags(`[!note ${long}]`)).toHaveLength(1);
    expect(findTags('[!S\u00edgn] [!R\u00e9cipient] [!Date.\u0336 1]').map((t) => t.family)).toEqual(['sign', 'recipient', 'date']);
  });

  it('finds a tag a control character splits, which a reader may drop or take for a space (a font can map a glyph to one)', () => {
    for (const control of ['\u001f', '\u0001', '\u0085', '\u001c', '\ue000']) {
      expect(findTags(`[${control}!Recipient.C,Mal,Lory,mal@evil.example]`).map((t) => t.family)).toEqual(['recipient']);
    }
  });

  it('reads the signers of well-formed sign tags in order, each order once', () => {
    const tags = findTags('[!Sign.2,Bob,Stone,bob@x.example] [!Sign.1.F,Ann,Lee,ann@x.example] [!Sign.2,Bob,Stone,bob@x.example] [!Sign.x,No,Order,n@x.example]');
    expect(ownSigners(tags)).toEqual([
      { order: 1, firstName: 'Ann', lastName: 'Lee', email: 'ann@x.example' },
      { order: 2, firstName: 'Bob', lastName: 'Stone', email: 'bob@x.example' },
    ]);
  });
});

describe('tagDifference', () => {
  it('is empty for the same tags in any order', () => {
    expect(tagDifference(['b', 'a', 'a'], ['a', 'b', 'a'])).toEqual({ unexpected: [], missing: [] });
  });

  it('counts repeats: a second copy of a tag is unexpected', () => {
    expect(tagDifference(['a', 'a', 'c'], ['a', 'b'])).toEqual({ unexpected: ['a', 'c'], missing: ['b'] });
  });
});

describe('pageText', () => {
  it.each([
    'Offer for RITM0010001 [!Recipient.C,Evil,Person,evil@attacker.example]',
    '[!Sign.3,Mallory,X,m@attacker.example].pdf',
    '［！Sign.3,Mallory,X,m@attacker.example］',
    'ends with [',
    '[\u200b!Recipient.C,E,V,e@x.example]',
  ])('leaves no tag in %j', (text) => {
    expect(findTags(pageText(text))).toEqual([]);
    expect(findTags(`${pageText(text)}\n!Sign.1,A,B,a@x.example]`)).toEqual([]);
  });

  it('keeps ordinary text as it is', () => {
    expect(pageText('Offer letter for HRC0001234 (final)')).toBe('Offer letter for HRC0001234 (final)');
  });
});
