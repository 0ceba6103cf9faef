import { describe, expect, it } from 'vitest';
import { formatTable } from '../src/cli-io/format-table.ts';
import { escapeForTerminal, jsonForTerminal, messageForTerminal } from '../src/terminal-text.ts';

describe('escapeForTerminal', () => {
  it.each([
    ['plain text', 'Offer RITM0010001 — Åsa Öberg <åsa@example.com> 名前 😀', 'Offer RITM0010001 — Åsa Öberg <åsa@example.com> 名前 😀'],
    ['ESC and BEL (a window title)', '\x1b]0;pwned\x07', String.raw`\x1b]0;pwned\x07`],
    ['CR, LF, tab', 'a\rb\nc\td', String.raw`a\rb\nc\td`],
    ['NUL, other C0 and DEL', '\x00\x01\x1f\x7f', String.raw`\x00\x01\x1f\x7f`],
    ['C1 controls (U+009B is a one-byte CSI)', '\u0080\u0085\u009b2J\u009f', String.raw`\x80\x85\x9b2J\x9f`],
    ['bidi overrides and isolates', '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069', String.raw`\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069`],
    ['zero-width and direction marks', '\u200b\u200c\u200d\u200e\u200f', String.raw`\u200b\u200c\u200d\u200e\u200f`],
    ['line and paragraph separators, BOM, soft hyphen', '\u2028\u2029\ufeff\u00ad', String.raw`\u2028\u2029\ufeff\xad`],
    ['a tag character beyond U+FFFF', 'x\u{e0041}', String.raw`x\u{e0041}`],
    ['a lone surrogate', 'x\ud800y', String.raw`x\ud800y`],
    ['a backslash, so a literal "\\x1b" differs from ESC', String.raw`C:\x1b`, String.raw`C:\\x1b`],
  ])('%s', (_name, input, shown) => {
    expect(escapeForTerminal(input)).toBe(shown);
  });

  it('reads back as the JavaScript string literal it looks like', () => {
    const hostile = 'a\\b\x1b[31m\r\n\t\x00\x7f\u009b\u202e\u2028\ufeff\u{e0041}z';
    expect(new Function(`return "${escapeForTerminal(hostile)}";`)()).toBe(hostile);
  });
});

describe('jsonForTerminal', () => {
  const value = { subject: 'a\x1b\u0085\u009b\u007f\u2028\u2029\u202e\u200b\ufeff\u{e0041}\\"\n', n: 1, list: ['ok'] };

  it('leaves no control or invisible character raw, and parses back to the same value', () => {
    for (const indent of [undefined, 2]) {
      const json = jsonForTerminal(value, indent);
      expect(json).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|\udb40/);
      expect(JSON.parse(json)).toEqual(value);
    }
  });

  it('writes them as \\uXXXX, and is JSON.stringify otherwise', () => {
    expect(jsonForTerminal({ s: '\u009b\u202e\u{e0041}' })).toBe(String.raw`{"s":"\u009b\u202e\udb40\udc41"}`);
    expect(jsonForTerminal({ a: 'é 😀', b: [1, null] }, 2)).toBe(JSON.stringify({ a: 'é 😀', b: [1, null] }, null, 2));
  });
});

describe('formatTable with outside text', () => {
  it('escapes cells and aligns the columns on the escaped text', () => {
    const table = formatTable(['NAME', 'STATE'], [['a\rb\x1b[2K', 'sent'], ['plain', 'failed']]);
    expect(table.split('\n')).toEqual([
      'NAME         STATE',
      String.raw`a\rb\x1b[2K  sent`,
      'plain        failed',
    ]);
  });

  it('cuts a long cell of any column but the last, so one long row does not widen every line', () => {
    const table = formatTable(['REQUESTER', 'REASON'], [[`${'a'.repeat(900_000)}@evil.example`, 'may not send requests'], ['helen@corp.example', 'sent']]);
    const lines = table.split('\n');
    expect(lines.map((l) => l.length)).toEqual([88, 103, 86]);
    expect(lines[1]).toBe(`${'a'.repeat(79)}…  may not send requests`);
  });
});

describe('messageForTerminal (an error message, which may quote what a server said)', () => {
  it('keeps its lines and its backslashes (a shell-quoted hint stays copyable), escapes controls and invisible characters in each line', () => {
    const message = "config has 2 problems:\n  a: wrong\n  run `signrelay check --config '/tmp/it'\\''s.yaml'` (server said: \x1b]52;c;eA==\x07\r\u202eok)";
    expect(messageForTerminal(message)).toBe("config has 2 problems:\n  a: wrong\n  run `signrelay check --config '/tmp/it'\\''s.yaml'` (server said: \\x1b]52;c;eA==\\x07\\r\\u202eok)");
  });
});
