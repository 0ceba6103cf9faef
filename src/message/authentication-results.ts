// Parses one Authentication-Results header field (RFC 8601) into its authserv-id and its
// results (`dkim=pass header.d=corp.example`). Pure, and forgiving the way real headers
// need: folded lines, comments (nested, with `;` inside), quoted values, method versions
// (`dkim/1`), Microsoft 365's headers that carry no authserv-id at all and its stray
// `; hotmail.com;` fragments. Whether a header is trusted is decided elsewhere
// (check-authentication.ts): this module only reads.

export interface AuthResult {
  /** Lower case: dkim, spf, dmarc, arc, compauth, … */
  method: string;
  /** Lower case: pass, fail, softfail, none, neutral, temperror, permerror, policy, … */
  result: string;
  reason?: string;
  /** `ptype.property` (lower case) → value as written, e.g. `header.d` → `corp.example`. */
  properties: Record<string, string>;
}

export interface AuthenticationResults {
  /** Lower case; null when the header names none (Microsoft 365 writes none). */
  authservId: string | null;
  results: AuthResult[];
}

/** Characters that end a keyword or an authserv-id. */
const KEYWORD_STOP = /[\s;=()"]/;
/** A property value may hold `=` and `/` (a base64 `header.b`), so fewer characters end it. */
const PVALUE_STOP = /[\s;()"]/;

export function parseAuthenticationResults(headerValue: string): AuthenticationResults | null {
  const cursor = new Cursor(headerValue.replace(/\r?\n(?=[ \t])/g, ''));
  cursor.skipCfws();
  const start = cursor.at;
  const first = cursor.readValue(KEYWORD_STOP);
  cursor.skipCfws();
  let authservId: string | null = null;
  if (first === '' || cursor.peek() === '=') {
    cursor.at = start; // no authserv-id: the header starts with its first result
  } else {
    authservId = first.toLowerCase();
    const version = cursor.peek() === ';' || cursor.done() ? '' : cursor.read(KEYWORD_STOP);
    if (version !== '' && !/^\d+$/.test(version)) return null;
  }

  const results: AuthResult[] = [];
  for (let firstResult = authservId === null; ; firstResult = false) {
    cursor.skipCfws();
    if (!firstResult) {
      if (cursor.done()) break;
      if (cursor.peek() !== ';') cursor.skipTo(';'); // junk after a result: skip to the next
      if (!cursor.eat(';')) break;
      cursor.skipCfws();
    }
    const result = readResult(cursor);
    if (result) results.push(result);
  }
  if (authservId === null && results.length === 0) return null;
  return { authservId, results };
}

function readResult(cursor: Cursor): AuthResult | undefined {
  const method = cursor.read(KEYWORD_STOP).toLowerCase();
  cursor.skipCfws();
  // `none` alone is RFC 8601's "no result"; a word without `=` is a stray fragment.
  if (method === '' || !cursor.eat('=')) return undefined;
  cursor.skipCfws();
  const result = cursor.readValue(KEYWORD_STOP).toLowerCase();
  if (result === '') return undefined;
  const out: AuthResult = { method: method.replace(/\s*\/.*$/, ''), result, properties: {} };
  for (;;) {
    cursor.skipCfws();
    if (cursor.done() || cursor.peek() === ';') return out;
    const key = cursor.read(KEYWORD_STOP).toLowerCase();
    cursor.skipCfws();
    if (key === '' || !cursor.eat('=')) {
      if (key === '') cursor.at++; // a stray `=` or `"`: step over it
      continue;
    }
    cursor.skipCfws();
    const value = cursor.readValue(PVALUE_STOP);
    if (key === 'reason') out.reason = value;
    else out.properties[key] = value;
  }
}

class Cursor {
  at = 0;
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  done(): boolean {
    return this.at >= this.text.length;
  }

  peek(): string {
    return this.text[this.at] ?? '';
  }

  eat(char: string): boolean {
    if (this.peek() !== char) return false;
    this.at++;
    return true;
  }

  skipTo(char: string): void {
    while (!this.done() && this.peek() !== char) {
      if (this.peek() === '(') this.skipComment();
      else if (this.peek() === '"') this.readQuoted();
      else this.at++;
    }
  }

  /** Whitespace and comments — `(…)`, nested, with `\` escapes (CFWS). */
  skipCfws(): void {
    for (;;) {
      while (/\s/.test(this.peek())) this.at++;
      if (this.peek() !== '(') return;
      this.skipComment();
    }
  }

  read(stop: RegExp): string {
    const from = this.at;
    while (!this.done() && !stop.test(this.peek())) this.at++;
    return this.text.slice(from, this.at);
  }

  /** A quoted string (unescaped) or a plain run of characters up to `stop`. */
  readValue(stop: RegExp): string {
    return this.peek() === '"' ? this.readQuoted() : this.read(stop);
  }

  private readQuoted(): string {
    let out = '';
    this.at++;
    while (!this.done() && this.peek() !== '"') {
      if (this.peek() === '\\') this.at++;
      out += this.text[this.at] ?? '';
      this.at++;
    }
    this.at++;
    return out;
  }

  private skipComment(): void {
    let depth = 0;
    do {
      const char = this.peek();
      if (char === '\\') this.at++;
      else if (char === '(') depth++;
      else if (char === ')') depth--;
      this.at++;
    } while (depth > 0 && !this.done());
  }
}
