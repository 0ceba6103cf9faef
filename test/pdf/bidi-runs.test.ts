// A display line of the signature page in the order it is seen (names review M3): fontkit
// reverses a whole string whose first strong letter is right to left, Latin and digits too,
// and draws a string that begins in Latin left to right, its Hebrew backwards.
import { describe, expect, it } from 'vitest';
import { visualUnits } from '../../src/pdf/bidi-runs.ts';

const seen = (text: string) => visualUnits(text).map((u) => (u.rtl ? `<${u.text}>` : u.text)).join('|');

describe('visualUnits', () => {
  it('leaves a line without right-to-left letters whole, as it is', () => {
    expect(visualUnits('Contract RITM0010001 (copy 2)')).toEqual([{ text: 'Contract RITM0010001 (copy 2)', rtl: false }]);
    expect(visualUnits('Ann Müller, Αθηνά, Ольга')).toHaveLength(1);
    expect(visualUnits('')).toEqual([]);
  });

  it('keeps a record number and a file extension left to right beside Hebrew', () => {
    // <…>: laid out right to left by the font; the rest drawn as it is, in this order.
    expect(seen('חוזה עבודה RITM0010001')).toBe('<חוזה עבודה>| RITM0010001');
    expect(seen('חוזה.pdf')).toBe('<חוזה>|.pdf');
    expect(seen('Offer – הצעה')).toBe('Offer – |<הצעה>');
  });

  it('reads digits after right-to-left words left to right, in their place in the run', () => {
    expect(seen('חוזה 2024')).toBe('2024|<חוזה >');
    // Arabic-Indic digits too: "contract number 123 of the year".
    expect(seen('عقد رقم ١٢٣ للعام')).toBe('< للعام>|١٢٣|<عقد رقم >');
  });

  it('keeps brackets round right-to-left text with it, turned to face the right way', () => {
    // A browser shows "Offer – הצעה 2024 (עותק 3)" as: Offer – (3 עותק) 2024 הצעה.
    // The font turns `<…>` round: ` )עותק ` shows as ` עותק( ` read left to right, i.e. "(עותק" read right to left.
    expect(seen('Offer – הצעה 2024 (עותק 3)')).toBe('Offer – |(|3|< )עותק >|2024|<הצעה >');
    // Brackets holding a Latin word stay left to right.
    expect(seen('הצעה (draft)')).toBe('<הצעה>| (draft)');
  });

  it('keeps a mark with its letter', () => {
    expect(seen('שָׁלוֹם RITM1')).toBe('<שָׁלוֹם>| RITM1');
  });
});
