// Outside text — a mail's subject, a requester's address, signer names, file names,
// reasons, a provider's or server's error message — made safe to print on an operator's
// terminal. Raw, such text can set the window title (OSC), recolour or clear the screen
// (CSI, also as the one-byte C1 CSI U+009B), return the cursor to overwrite what was
// printed (CR), or reorder and hide what is shown (bidi overrides, zero-width characters).
// Pure; the operator commands call it where they format a value, and the logger for every
// line it writes (a log line quotes a mail's subject, a reason, a server's answer).
//
// Text mode: every control (C0, DEL, C1), every format character (\p{Cf}: bidi overrides and
// isolates, zero-width spaces and joiners, BOM, soft hyphen, tag characters), the line and
// paragraph separators and lone surrogates are printed as JavaScript-style escapes — `\r`,
// `\n`, `\t`, `\x1b`, `\x9b`, `\u202e`, `\u{e0041}` — so a value stays on its own line and
// what it hides is visible. A backslash is printed as `\\`: without that, a subject that
// literally reads `\x1b` would look the same as one carrying ESC. The escaped text reads back
// exactly as a JavaScript string literal would.
//
// JSON mode: JSON.stringify escapes C0 controls, `"`, `\` and lone surrogates, but leaves
// DEL, C1 controls, U+2028/U+2029 and format characters raw; they are escaped as \uXXXX (a
// surrogate pair for those beyond U+FFFF). None of them can be JSON syntax or indentation
// (that is ASCII, the newline included, which must stay), so they are always inside a
// string, and the output stays valid JSON that parses back to the same value.

const TEXT_UNSAFE = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const JSON_UNSAFE = /[\x7f-\x9f\p{Cf}\p{Zl}\p{Zp}]/gu;

const NAMED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

function escapeChar(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.codePointAt(0)!;
  if (code <= 0xff) return `\\x${hex(code, 2)}`;
  return code <= 0xffff ? `\\u${hex(code, 4)}` : `\\u{${hex(code, 5)}}`;
}

/** TEXT with every control, invisible format character and backslash escaped: one line, all visible. */
export function escapeForTerminal(text: string): string {
  return text.replace(TEXT_UNSAFE, escapeChar);
}

const MESSAGE_UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * One of signrelay's own messages (an error, which may quote what a server or a file said),
 * for the terminal: its lines kept, each line's controls and invisible characters escaped as
 * escapeForTerminal does — but its backslashes kept, so a command it gives (a shell-quoted
 * path, `'\''`) can be copied as it is printed.
 */
export function messageForTerminal(text: string): string {
  return text.split('\n').map((line) => line.replace(MESSAGE_UNSAFE, escapeChar)).join('\n');
}

/** JSON.stringify(VALUE), with what it leaves raw (C1, DEL, U+2028/9, format characters) as \uXXXX. */
export function jsonForTerminal(value: unknown, indent?: number): string {
  return escapeJson(JSON.stringify(value, null, indent));
}

/** JSON text (from any serializer) with what JSON leaves raw (C1, DEL, U+2028/9, format characters) as \uXXXX. */
export function escapeJson(json: string): string {
  return json.replace(JSON_UNSAFE, (char) => Array.from({ length: char.length }, (_, i) => `\\u${hex(char.charCodeAt(i), 4)}`).join(''));
}
