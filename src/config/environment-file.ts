// A systemd EnvironmentFile= (`KEY=VALUE` lines), read as the unit reads it, for `signrelay
// check --env-file FILE`: with `${VAR}` secrets the values the service will run on are in
// that file, not in the operator's shell — which may still hold the old ones a rotation
// replaces. Pure but for reading the file. The subset systemd documents and init's advice
// writes: comments (`#`, `;`), blank lines, `KEY=value`, `KEY="value"` (with `\"`, `\\`,
// `\n` escapes) and `KEY='value'`; anything else is refused with its line, never guessed.
import { readFileSync } from 'node:fs';
import { SignrelayError } from '../errors.ts';

const LINE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;
const DOUBLE_QUOTED = /^"((?:[^"\\]|\\.)*)"$/;
const SINGLE_QUOTED = /^'([^']*)'$/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', $: '$', '`': '`' };

export function parseEnvironmentFile(text: string, source: string): Record<string, string> {
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    if (/^\s*([#;].*)?$/.test(line)) return;
    const refuse = (why: string) => new SignrelayError('config', 'env_file_invalid', `${source}, line ${index + 1}: ${why}; write KEY=value, KEY="value" or KEY='value', one to a line`);
    const match = LINE.exec(line);
    if (!match) throw refuse('not a KEY=value line');
    const [, key, raw] = match as unknown as [string, string, string];
    const double = DOUBLE_QUOTED.exec(raw);
    const single = SINGLE_QUOTED.exec(raw);
    if (double) values[key] = double[1]!.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
    else if (single) values[key] = single[1]!;
    else if (/^["']/.test(raw)) throw refuse(`the value of ${key} opens a quote it does not close`);
    else if (raw.endsWith('\\')) throw refuse(`the value of ${key} ends in a backslash (a line continued is not read)`);
    else values[key] = raw;
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
