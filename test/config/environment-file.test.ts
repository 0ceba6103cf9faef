// The systemd EnvironmentFile= subset `check --env-file` reads: what the unit reads, or a
// refusal naming the line — never a value guessed differently from systemd's.
import { describe, expect, it } from 'vitest';
import { parseEnvironmentFile } from '../../src/config/environment-file.ts';

describe('parseEnvironmentFile', () => {
  it('reads KEY=value, quoted values with their escapes as systemd does, and skips comments and blank lines', () => {
    const text = [
      '# the service\'s secrets', '; another comment', '',
      'PLAIN=abc def  ', '  SPACED = x', 'EMPTY=', 'EQUALS=a=b',
      // Unquoted, a backslash takes the next character as it is.
      'UNQUOTED=p\\ss\\\\x',
      // Double-quoted, only \" \\ \` \$ are escapes; any other backslash stays, \n is two characters.
      'DOUBLE="a \\"quoted\\" \\\\ p\\ss \\$HOME \\n"',
      // Single-quoted, as written.
      "SINGLE='p\\ss \"x\"'",
      // Only space, tab and CR are whitespace to systemd; an escaped space is kept.
      'NBSP=a\u00a0', 'ESCAPED=abc\\ ', 'CRLF=x\r',
    ].join('\n');
    expect(parseEnvironmentFile(text, 'f')).toEqual({
      PLAIN: 'abc def', SPACED: 'x', EMPTY: '', EQUALS: 'a=b', UNQUOTED: 'pss\\x',
      DOUBLE: 'a "quoted" \\ p\\ss $HOME \\n', SINGLE: 'p\\ss "x"', NBSP: 'a\u00a0', ESCAPED: 'abc ', CRLF: 'x',
    });
  });

  it.each([
    ['export KEY=value', 'not a KEY=value line (a name of letters, digits and _, then =)'],
    ['1KEY=value', 'not a KEY=value line (a name of letters, digits and _, then =)'],
    ['\uFEFFKEY=value', 'not a KEY=value line (a name of letters, digits and _, then =)'], // a byte-order mark is part of the name to systemd
    ['# a comment \\', 'a comment ends in a backslash (the systemd of Debian 12 reads the next line as part of it)'],
    ['KEY="open', 'the value of KEY opens a quote it does not close, or goes on after it'],
    ["KEY='open", 'the value of KEY opens a quote it does not close, or goes on after it'],
    ['KEY="closed"then more', 'the value of KEY opens a quote it does not close, or goes on after it'],
    ['KEY=continued \\', 'the value of KEY ends in a backslash (a line continued is not read)'],
  ])('refuses %s with its line', (line, why) => {
    expect(() => parseEnvironmentFile(`# first\n${line}\n`, '/etc/signrelay/signrelay.env')).toThrow(`/etc/signrelay/signrelay.env, line 2: ${why}`);
  });
});
