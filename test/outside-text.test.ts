// Outside text on one line: breaks, controls and format characters become a space — but a
// joiner inside a word of a script that spells with it stays (names review L2: a Persian first
// name was split in two at the provider, in the acknowledgement and on the record).
import { describe, expect, it } from 'vitest';
import { oneLine } from '../src/outside-text.ts';

describe('oneLine', () => {
  it.each([
    ['a Persian name with a zero-width non-joiner keeps it', 'علی\u200cرضا کریمی', 'علی\u200cرضا کریمی'],
    ['a joiner in a Devanagari word keeps it', 'क्\u200dष', 'क्\u200dष'],
    ['a joiner at a word\'s edge is a space', 'Ann\u200c Lee\u200d', 'Ann Lee'],
    ['direction overrides and isolates go', 'Ann \u202eeeL\u202c \u2066x\u2069', 'Ann eeL x'],
    ['line breaks and tabs are one space', 'a\r\n\tb', 'a b'],
  ])('%s', (_, text, expected) => {
    expect(oneLine(text)).toBe(expected);
  });
});
