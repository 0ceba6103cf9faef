// A systemd EnvironmentFile= (`KEY=VALUE` lines), read as the unit reads it, for `signrelay
// check --env-file FILE`: with `${VAR}` secrets the values the service will run on are in
// that file, not in the operator's shell — which may still hold the old ones a rotation
// replaces. Pure but for reading the file. systemd's own reading (env-file.c): comments (`#`,
// `;`) and blank lines skipped; `KEY=value` with the whitespace around the value dropped and
// a backslash taking the next character as it is (`p\ss` is `pss`); `KEY='value'` as written;
// `KEY="value"` where a backslash before `"`, `\`, `` ` `` or `$` takes that character and
// any other backslash stays (`"p\ss"` is `p\ss`, `"\n"` two characters). What it reads
// otherwise (a line continued, text after a closing quote) is refused with its line, never
// guessed.
import { readFileSync } from 'node:fs';
import { SignrelayError } from '../errors.ts';

// systemd's whitespace is " \t\r" (and the newline a line ends with), not JavaScript's \s: a
// byte-order mark or a no-break space is part of the name or the value there, as here.
const LINE = /^[ \t\r]*([A-Za-z_][A-Za-z0-9_]*)[ \t\r]*=[ \t\r]*(.*)$/s;
const DOUBLE_QUOTED = /^"((?:[^"\\]|\\.)*)"$/s;
const SINGLE_QUOTED = /^'([^']*)'$/;
const CONTINUED = Symbol('continued');

/** An unquoted value: a backslash takes the next character as it is; whitespace at its end goes, unless escaped. */
function unquoted(raw: string): string | typeof CONTINUED {
  let value = '';
  let kept = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') {
      if (i + 1 === raw.length) return CONTINUED;
      value += raw[++i];
      kept = value.length;
    } else {
      value += raw[i];
      if (!' \t\r'.includes(raw[i]!)) kept = value.length;
    }
  }
  return value.slice(0, kept);
}

export function parseEnvironmentFile(text: string, source: string): Record<string, string> {
  const values: Record<string, string> = {};
  text.split('\n').forEach((line, index) => {
    const refuse = (why: string) => new SignrelayError('config', 'env_file_invalid', `${source}, line ${index + 1}: ${why}; write KEY=value, KEY="value" or KEY='value', one to a line`);
    if (/^[ \t\r]*[#;]/.test(line)) {
      // systemd before 254 (Debian 12 has 252) reads the line after one ending in a backslash as part of the comment.
      if (/\\[ \t\r]*$/.test(line)) throw refuse('a comment ends in a backslash (the systemd of Debian 12 reads the next line as part of it)');
      return;
    }
    if (/^[ \t\r]*$/.test(line)) return;
    const match = LINE.exec(line);
    if (!match) throw refuse('not a KEY=value line (a name of letters, digits and _, then =)');
    const [, key, raw] = match as unknown as [string, string, string];
    if (/^["']/.test(raw)) {
      const quoted = raw.replace(/[ \t\r]+$/, '');
      const double = DOUBLE_QUOTED.exec(quoted);
      const single = SINGLE_QUOTED.exec(quoted);
      if (double) values[key] = double[1]!.replace(/\\(.)/gs, (escape, c: string) => ('"\\`$'.includes(c) ? c : escape));
      else if (single) values[key] = single[1]!;
      else throw refuse(`the value of ${key} opens a quote it does not close, or goes on after it`);
      return;
    }
    const value = unquoted(raw);
    if (value === CONTINUED) throw refuse(`the value of ${key} ends in a backslash (a line continued is not read)`);
    values[key] = value;
  });
  return values;
}

export function readEnvironmentFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SignrelayError('config', 'env_file_unreadable',
      `cannot read the environment file ${path} (--env-file): ${code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied (it is root\'s: run check as root)' : String(code)}`, { cause: err });
  }
  return parseEnvironmentFile(text, path);
}
