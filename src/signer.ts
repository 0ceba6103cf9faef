// A signer as the request language names one: `First Last <email>`. Shared by the intake
// parser, the route defaults and the `stamp` command, so all three read names alike.

export interface Signer {
  firstName: string;
  lastName: string;
  email: string;
  /** A mobile number in +CC form (+4791234567), for providers that invite by SMS too (Signicat). */
  mobile?: string;
}

/** +CC then the number: the only phone format Signicat accepts (seed 004), E.164's length. */
const MOBILE_RE = /^\+[1-9]\d{6,14}$/;

/** A run of characters between dots: an address's local part and its domain are dot-separated runs (no leading, trailing or double dot). */
const ATOM = String.raw`[^\s@<>(),;:"[\]\\.]+`;
const ADDRESS_RE = new RegExp(`^${ATOM}(?:\\.${ATOM})*@${ATOM}(?:\\.${ATOM})+$`);

export function isEmailAddress(text: string): boolean {
  return ADDRESS_RE.test(text);
}

/**
 * Parses `First Last <email>` (a role after it, in brackets or after a dash, is dropped), `"Last, First"
 * <email>` or a bare `email`, each optionally followed by a mobile number in +CC form (`Ann Lee <ann@x> +47 912 34 567`; spaces,
 * dashes and dots inside it are dropped). The last word of the name is the last name; a
 * bare address gives empty names, which the caller may fill from the address's local part.
 * Returns an error string otherwise.
 */
export function parseSigner(text: string): Signer | { error: string } {
  const phone = /\s+(\+?[\d(][\d\s().-]{5,}\d)\s*$/.exec(text.trim());
  if (phone) {
    const mobile = phone[1]!.replace(/[\s().-]/g, '');
    if (!MOBILE_RE.test(mobile)) {
      return { error: `"${phone[1]}" is not a mobile number in +CC form: write the country code first, e.g. +4791234567` };
    }
    const rest = parseSigner(text.trim().slice(0, phone.index));
    return 'error' in rest ? rest : { ...rest, mobile };
  }
  const trimmed = text.trim();
  // Words after the address — a role in brackets or after a dash (`<ann@x> (CFO)`, `<ann@x> -
  // Partner`) — are the writer's comment, not part of the signer. Anything else there (another
  // name after a comma, a number) is not dropped: the line is refused.
  const angle = /^(.*?)<([^<>]+)>(?:\s*\([^()<>@+\d]*\)|\s+[-–—]\s*[^,;()<>@+\d]*)?\s*$/.exec(trimmed);
  const email = (angle ? angle[2]! : trimmed).trim();
  const name = displayName(angle ? angle[1]! : '', email);
  if (!isEmailAddress(email)) {
    return { error: `"${trimmed}" has no valid email address (write it as First Last <first.last@example.com>)` };
  }
  if (name === '') return { firstName: '', lastName: '', email };
  const comma = /^([^,]+),\s*(.+)$/.exec(name);
  if (comma && !isNameSuffix(comma[2]!)) return { firstName: comma[2]!.trim(), lastName: comma[1]!.trim(), email };
  if (comma) {
    // `Martin Luther King, Jr.`: a suffix, not "Last, First" (names review M1: signed as "Jr. Martin Luther King").
    const words = comma[1]!.trim().split(/\s+/);
    const suffix = comma[2]!.split(',').map((part) => part.trim()).join(' ');
    return words.length === 1 ? { firstName: words[0]!, lastName: suffix, email } : { firstName: words.slice(0, -1).join(' '), lastName: `${words.at(-1)!} ${suffix}`, email };
  }
  const words = name.split(/\s+/);
  if (words.length === 1) return { firstName: words[0]!, lastName: '', email };
  return { firstName: words.slice(0, -1).join(' '), lastName: words.at(-1)!, email };
}

/**
 * What follows a name after a comma without being a first name: a generational suffix or a
 * degree or title (`King, Jr.`, `Smith, III`, `Lee, PhD`, `Doe, MD, MBA`). Each part must be one.
 */
const NAME_SUFFIX = /^(?:jr|sr|ii|iii|iv|v|vi|phd|ph\.?\s?d|md|m\.?\s?d|dds|do|rn|jd|llm|ll\.?m|esq|cpa|mba|msc|bsc|ma|ba|dphil|qc|kc|obe|mbe|cbe)\.?$/i;

function isNameSuffix(text: string): boolean {
  return text.split(',').every((part) => NAME_SUFFIX.test(part.trim()));
}

/**
 * Quotes of a display name, as clients write them: "Ann Lee", Outlook's 'Ann Lee', and the
 * typographic pairs autocorrect makes of straight quotes as they are typed, in each locale's
 * way — English “…” ‘…’, German and Czech „…“ ‚…‘, Polish and Hungarian „…”, Swedish and
 * Finnish ”…” ’…’, French and Swiss «…» ‹…›, Danish »…« ›…‹, Japanese and Chinese 「…」
 * 『…』. Left in, they became part of the signer's names: `„van der Berg, Pieter“` signed as
 * Pieter“ „van der Berg. The no-break spaces French puts inside are trimmed with the name.
 */
const QUOTE_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['"', '"'], ["'", "'"], ['“', '”'], ['‘', '’'], ['„', '“'], ['„', '”'], ['‚', '‘'], ['‚', '’'], ['”', '”'], ['’', '’'],
  ['«', '»'], ['»', '«'], ['»', '»'], ['‹', '›'], ['›', '‹'], ['「', '」'], ['『', '』'],
];
const QUOTED_NAME = new RegExp(`^(?:${QUOTE_PAIRS.map(([open, close]) => `${open}(.*)${close}`).join('|')})$`, 's');

/**
 * The name before `<address>` without its quotes, and without the address itself where a
 * client wrote it there too (`"ann@x" <ann@x>`, `Ann Lee (ann@x) <ann@x>`): that is the
 * address named twice, not a second person.
 */
function displayName(text: string, email: string): string {
  const unquote = (value: string) => {
    const m = QUOTED_NAME.exec(value.trim());
    return (m ? m.slice(1).find((part) => part !== undefined)! : value).trim();
  };
  const name = unquote(text);
  // The address as a word of its own (not "joann@x" for ann@x), bare or in brackets.
  const lower = name.toLowerCase();
  const address = email.toLowerCase();
  for (let at = lower.indexOf(address); at >= 0; at = lower.indexOf(address, at + 1)) {
    const before = at === 0 ? '' : lower[at - 1]!;
    const after = lower[at + address.length] ?? '';
    if (/^[\s("'[<]?$/.test(before) && /^[\s)"'\]>]?$/.test(after)) {
      return unquote(`${name.slice(0, at)}${name.slice(at + email.length)}`.replace(/[(\[]\s*[)\]]/g, ''));
    }
  }
  return name;
}

export function formatSigner(signer: Signer): string {
  const name = [signer.firstName, signer.lastName].filter(Boolean).join(' ');
  const address = name ? `${name} <${signer.email}>` : signer.email;
  return signer.mobile ? `${address} ${signer.mobile}` : address;
}
