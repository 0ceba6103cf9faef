// Who signs, in which order: `Signer:` lines in the mail (`Signer 1:`, `Signer 2:` ordered
// by number; numbered and unnumbered lines together are refused), else the route's default signers, else none (the PDF may carry its own tags;
// the caller decides). Names follow `parseSigner` so the mail, the config and the `stamp`
// command read them alike.
import { withAsciiDomain } from '../ascii-address.ts';
import { mailboxOf } from '../message/mail-headers.ts';
import { parseSigner, type Signer } from '../signer.ts';
import { findDirectives, nearMisses, type Directive, type NearMiss } from './directive-lines.ts';
import type { Checked, SignersFrom } from './types.ts';

export interface SignerDefaults {
  /** Route name, for messages. */
  name: string;
  /** The route's `signers`, `First Last <email>` each. */
  signers: readonly string[];
}

export function parseSigners(body: string, route: SignerDefaults, maxSigners: number): Checked<{ signers: Signer[]; from: SignersFrom }> {
  const lines = findDirectives(body, 'signer');
  // A line that means to name a signer but is not read as one would leave that signer out
  // (or let the route's defaults sign instead): the requester is asked to write it plainly.
  const misses = nearMisses(body, 'signer', SIGNER_LABELS).filter((miss) => meantAsSigners(miss, lines.length > 0))
    .map((miss) => `the line "${miss.line}" is not a form signrelay reads: write each signer on a line of its own as Signer 1: First Last <first.last@example.com>, Signer 2: …`);
  if (misses.length > 0) return { value: { signers: [], from: lines.length > 0 ? 'mail' : 'none' }, problems: misses };
  if (lines.length > 0) {
    const checked = checkSigners(orderLines(lines), maxSigners, 'mail', (d) => `the line "${d.line}"`);
    return { value: checked.value, problems: [...mixedNumbering(lines), ...checked.problems] };
  }
  if (route.signers.length > 0) {
    const defaults = route.signers.map((value): Directive => ({ number: null, value, line: value, quoted: false }));
    const checked = checkSigners(defaults, maxSigners, 'route', (d) => `default signer "${d.value}" of route "${route.name}"`);
    // The requester cannot fix the configuration, but can name the signers instead.
    const problems = checked.problems.map((p) => `${p} (the signrelay operator must fix this; meanwhile name the signers with Signer: lines)`);
    return { value: checked.value, problems };
  }
  return { value: { signers: [], from: 'none' }, problems: [] };
}

/**
 * Labels that name a signer in other words or languages, at the start of a word: Signatory,
 * Signee, 1st signer, Signer name, Signed by, Signature 2; Unterzeichner, Signataire, Firmante, Ondertekenaar,
 * Podpisujący, Allekirjoittaja, Undertecknare, Undertegner, Assinante, Firmatario. Not
 * "signed" or "signing" ("Please send the signed copy to:", "Questions about signing:"), nor
 * "Assigned to:" or "Design:".
 */
const SIGNER_LABELS = /(?<!\p{L})(?:signer|signee|signator|signatair|signatari|signed\s+by|signature\s*\d|firmante|firmatari|unterzeichner|ondertekenaar|podpisuj|allekirjoittaja|undertecknare|undertegner|assinante)/iu;

/**
 * Whether a near miss names signers: what follows it reads as a signer, or as a list of
 * addresses (`Signers: a@x, b@y`); or it is the plural alone, a heading above a list, in a
 * mail without Signer lines (above `Signer 1:` lines it is only a heading). Prose that holds
 * an address ("Signers - questions to help@…") is neither.
 */
function meantAsSigners(miss: NearMiss, hasSignerLines: boolean): boolean {
  if (miss.value === '') return miss.plural && !hasSignerLines;
  if (!('error' in parseSigner(miss.value))) return true;
  return miss.value.split(/[,;]/).filter((part) => !('error' in parseSigner(part))).length >= 2;
}

/** Whether `next` can be the rest of `line`, wrapped by a client at ~78 characters. */
function wrappedInto(line: string, next: string): boolean {
  if (/^<[^<>\s]+@[^<>\s]+>/.test(next)) return true;
  // Wrapped inside the brackets, before a long address: "… Hohenberg-Wittelsbach <" / "maximilian…@…>".
  if (line.endsWith('<') && /^[^<>\s]+@[^<>\s]+>/.test(next)) return true;
  return line.length >= WRAPPED_AT && !/[:：]/.test(next) && !next.startsWith('>');
}

/** A wrapped line's first part is at least this long (Gmail wraps at 78). */
const WRAPPED_AT = 60;

/**
 * `Signer:` beside `Signer 2:`: where the unnumbered one signs is a guess either way (the
 * numbered ones went first, and the signer labelled 2 signed before the one written first).
 */
function mixedNumbering(lines: Directive[]): string[] {
  const unnumbered = lines.find((l) => l.number === null);
  const numbered = lines.find((l) => l.number !== null);
  if (!unnumbered || !numbered) return [];
  return [`the lines "${unnumbered.line}" and "${numbered.line}" mix numbered and unnumbered signers, so the signing order is unclear: number every signer (Signer 1:, Signer 2: …, in signing order), or none (Signer: lines, signing in the order written)`];
}

/** Numbered lines in number order, or unnumbered ones as written (a mix is refused: mixedNumbering). */
function orderLines(lines: Directive[]): Directive[] {
  const numbered = lines.filter((l) => l.number !== null).sort((a, b) => a.number! - b.number!);
  return [...numbered, ...lines.filter((l) => l.number === null)];
}

function checkSigners(lines: Directive[], maxSigners: number, from: SignersFrom, describe: (d: Directive) => string): Checked<{ signers: Signer[]; from: SignersFrom }> {
  const problems: string[] = [];
  const signers: Signer[] = [];
  const seenNumbers = new Set<number>();
  const seenEmails = new Set<string>();
  for (const line of lines) {
    if (line.number !== null) {
      if (seenNumbers.has(line.number)) problems.push(`two lines say "Signer ${line.number}:": give each signer its own number`);
      seenNumbers.add(line.number);
    }
    let parsed = parseOneSigner(line.value);
    // A long line wrapped by the client (Gmail's text part, at 78 characters): the rest is on
    // the next line, and the two read as one signer — only where a wrap put it: the address
    // alone, or the end of a line long enough to have been wrapped, that is no header or label.
    if (typeof parsed === 'string' && line.next !== undefined && line.value !== '' && wrappedInto(line.line, line.next)) {
      const joined = parseOneSigner(`${line.value} ${line.next}`);
      if (typeof joined !== 'string') parsed = joined;
    }
    if (typeof parsed === 'string') {
      problems.push(`${describe(line)} ${parsed}`);
      continue;
    }
    // One mailbox, however tagged: ann+x@ and ann@ are one inbox, and one person.
    const key = mailboxOf(parsed.email) ?? parsed.email.toLowerCase();
    if (seenEmails.has(key)) problems.push(`${parsed.email} is named twice as a signer: name each signer once`);
    seenEmails.add(key);
    signers.push(parsed);
  }
  if (signers.length > maxSigners) {
    problems.push(`${signers.length} signers are named but a request may have at most ${maxSigners}: split the signing into several requests`);
  }
  return { value: { signers, from }, problems };
}

/** A signer, or what is wrong with the line (completing "the line "…" …"). */
function parseOneSigner(value: string): Signer | string {
  const read = parseSigner(value);
  // An internationalised domain in its ASCII form: the tag can carry it (names review M4), and
  // the provider's Send call, the acknowledgement and the record name the same address.
  const parsed = 'error' in read ? read : { ...read, email: withAsciiDomain(read.email) };
  if ('error' in parsed) {
    if (value === '') return 'names nobody: write Signer: First Last <first.last@example.com>';
    if (parsed.error.includes('+CC')) return `has a mobile number signrelay cannot use: ${parsed.error.replace(/^"[^"]*" /, 'it ')}`;
    if (value.split('@').length > 2 || />\s*[,;]\s*\S/.test(value)) return 'names more than one person: put each signer on a line of its own';
    if (/^[^<>]*<[^<>]+@[^<>]+>\s*\S/.test(value)) {
      return 'has words after the address that signrelay cannot read: a role may follow in brackets, (CFO), a mobile number as +4791234567';
    }
    return 'has no valid email address: write it as Signer: First Last <first.last@example.com>';
  }
  const name = `${parsed.firstName} ${parsed.lastName}`;
  // parseSigner takes the last <…> as the address, so "A <a@x>, B <b@x>" would be one signer.
  if (/[<>@]/.test(name)) return 'names more than one person: put each signer on a line of its own';
  // A name garbled by a wrong or missing charset ("J\ufffdrgen", the mail parser's
  // replacement for bytes that are not UTF-8) would reach the tags and the provider as it
  // is: the name from the address is better than a wrong one.
  if (name.includes(REPLACEMENT_CHARACTER)) return withNames({ firstName: '', lastName: '', email: parsed.email, ...(parsed.mobile ? { mobile: parsed.mobile } : {}) });
  return withNames(parsed);
}

const REPLACEMENT_CHARACTER = '\ufffd';

/**
 * Fills missing names from the address's local part: words split at `.`, `_` and `-`
 * (a `+tag` dropped), each capitalised; the last word is the last name, the rest the
 * first name. `ann.lee@` → Ann Lee; `Ann <a.lee@…>` → Ann Lee; `jdoe@` → first name
 * "Jdoe" and an empty last name (nothing to derive it from). A name written in another
 * script than the address's is whole as it is: `李雷 <li.lei@…>` is not "李雷 Lei".
 */
export function withNames(signer: Signer): Signer {
  if (signer.firstName !== '' && signer.lastName !== '') return signer;
  const derived = nameFromAddress(signer.email);
  if (signer.firstName === '' && signer.lastName === '') return { ...signer, ...derived };
  const written = signer.firstName || signer.lastName;
  if (/\p{L}/u.test(written) && !/\p{Script=Latin}/u.test(written)) return signer;
  // A one-word name the address only spells again (`Sukarno <president.sukarno@…>`,
  // `d'Artagnan <d.artagnan@…>`) is a name of one word, not a first name (names review M2).
  const letters = (text: string) => text.toLocaleLowerCase().replace(/[^\p{L}\p{M}]/gu, '');
  const spelt = [derived.lastName, `${derived.firstName}${derived.lastName}`].some((part) => letters(part) === letters(written));
  if (signer.lastName === '' && derived.lastName !== '' && !spelt) return { ...signer, lastName: derived.lastName };
  if (signer.firstName === '') return { ...signer, firstName: derived.firstName };
  return signer;
}

export function nameFromAddress(email: string): { firstName: string; lastName: string } {
  const local = email.slice(0, email.lastIndexOf('@')).split('+')[0]!;
  const words = local.split(/[._-]+/).filter((w) => /\p{L}/u.test(w))
    .map((w) => w.charAt(0).toLocaleUpperCase() + w.slice(1));
  if (words.length === 0) return { firstName: local, lastName: '' };
  if (words.length === 1) return { firstName: words[0]!, lastName: '' };
  return { firstName: words.slice(0, -1).join(' '), lastName: words.at(-1)! };
}
