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

const LINE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;
const DOUBLE_QUOTED = /^"((?:[^"\\]|\\.)*)"$/;
const SINGLE_QUOTED = /^'([^']*)'$/;

export function parseEnvironmentFile(text: string, source: string): Record<string, string> {
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    if (/^\s*([#;].*)?$/.test(line)) return;
    const refuse = (why: string) => new SignrelayError('config', 'env_file_invalid', `${source}, line ${index + 1}: ${why}; write KEY=value, KEY="value" or KEY='value', one to a line`);
    const match = LINE.exec(line);
    if (!match) throw refuse('not a KEY=value line');
    const [, key, raw] = match as unknown as [string, string, string];
    if (/\\$/.test(raw.replace(/\\\\/g, ''))) throw refuse(`the value of ${key} ends in a backslash (a line continued is not read)`);
    const double = DOUBLE_QUOTED.exec(raw);
    const single = SINGLE_QUOTED.exec(raw);
    if (double) values[key] = double[1]!.replace(/\\(.)/g, (escape, c: string) => ('"\\`$'.includes(c) ? c : escape));
    else if (single) values[key] = single[1]!;
    else if (/^["']/.test(raw)) throw refuse(`the value of ${key} opens a quote it does not close, or goes on after it`);
    else values[key] = raw.replace(/\\(.)/g, '$1');
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
