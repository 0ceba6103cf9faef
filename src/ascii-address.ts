// An address as mail is routed by it, in ASCII (IDNA) form: what allow-lists match and
// replies go to (message/mail-address.ts, message/sender-allowed.ts), and what the
// configuration checks an allow-list entry against (config/schema.ts) — one rule for both,
// so an entry the schema takes is one a sender can match. Pure.
import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * A local part as mail is routed by it: the characters of a dot-atom (RFC 5322; UTF-8 letters
 * with their marks and joiners, RFC 6532; dots anywhere, as old Japanese carriers hand them
 * out), without a quoted part and without the old source-routing characters `%` and `!`. A quoted local part (`"x@evil.example"@corp.example`) or
 * `x%evil.example@corp.example` matches `*@corp.example`, and a relay that honours such
 * routing forwards a reply to it out of the domain.
 */
const LOCAL_PART_RE = /^[\p{L}\p{M}\p{N}\u200c\u200d.#$&'*+\-/=?^_`{|}~]+$/u;

/** RFC 5321's limits: a local part of 64 octets, an address (a path less its brackets) of 254. */
const MAX_LOCAL_OCTETS = 64;
const MAX_ADDRESS_OCTETS = 254;

/**
 * `local@domain` with the domain in ASCII (IDNA) form, lower case; null when it has none, a
 * local part that routes elsewhere, an empty label (`gmail.com.`: one mailbox spelt twice),
 * or more than SMTP carries.
 */
export function asciiAddress(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  const local = address.slice(0, at).trim();
  if (Buffer.byteLength(local) > MAX_LOCAL_OCTETS || !LOCAL_PART_RE.test(local)) return null;
  const written = address.slice(at + 1).trim();
  const domain = domainToASCII(written);
  if (domain === '' || domain.split('.').includes('') || !validIdnaLabels(domain) || !writtenAs(domain, written)) return null;
  const ascii = `${local}@${domain}`.toLowerCase();
  return Buffer.byteLength(ascii) > MAX_ADDRESS_OCTETS ? null : ascii;
}

/**
 * The address with an internationalised domain in its ASCII (IDNA) form and the local part
 * as written (`lilei@例子.广告` → `lilei@xn--fsqu00a.xn--4rr70v`): one address, the form a
 * smart tag can carry and mail is routed by. As written when the domain is ASCII already, or
 * when no ASCII form stands for it as written (what it is then refused for is said later).
 */
export function withAsciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  const written = address.slice(at + 1);
  if (at <= 0 || /^[\x21-\x7e]*$/.test(written)) return address;
  const domain = domainToASCII(written);
  if (domain === '' || domain.split('.').includes('') || !validIdnaLabels(domain) || !writtenAs(domain, written)) return address;
  return `${address.slice(0, at)}@${domain}`;
}

/**
 * Whether the ASCII form stands for the domain as written, case aside. domainToASCII parses
 * a URL's host: it ends the host at `/ ? # \`, drops zero-width characters and soft hyphens,
 * maps fullwidth and circled letters — so `y@corp.example/evil.example`, `y@ｃorp.example`
 * and `y@corp.example` with a zero-width space all came out as `y@corp.example`.
 */
function writtenAs(domain: string, written: string): boolean {
  const labels = written.normalize('NFC').toLowerCase().split('.');
  const ascii = domain.split('.');
  return labels.length === ascii.length && labels.every((label, i) => label === ascii[i] || label === domainToUnicode(ascii[i]!).normalize('NFC'));
}

/** Every `xn--` label must really be punycode, and come back the same from its Unicode form. */
function validIdnaLabels(domain: string): boolean {
  return domain.split('.').every((label) => {
    if (!label.toLowerCase().startsWith('xn--')) return true;
    const unicode = domainToUnicode(label);
    return unicode !== '' && !unicode.toLowerCase().startsWith('xn--') && domainToASCII(unicode) === label.toLowerCase();
  });
}

/**
 * The address of a From setting: "signrelay <sign@corp.example>", sign@corp.example, or the
 * old comment form sign@corp.example (signrelay). One reading for the configuration's check
 * and intake's own-address guard, which must agree: a comment left on the address made
 * signrelay's own mail look like a stranger's.
 */
export function addressOfFrom(from: string): string {
  return (/<([^<>]*)>\s*$/.exec(from)?.[1] ?? from.replace(/\([^()]*\)/g, '')).trim();
}

/** Domains whose mail service ignores dots in the local part, and their canonical name (Gmail: `a.nn@googlemail.com` is `ann@gmail.com`). */
const DOTLESS_DOMAINS: ReadonlyMap<string, string> = new Map([['gmail.com', 'gmail.com'], ['googlemail.com', 'gmail.com']]);

/**
 * The mailbox an address delivers to, as a key: the local part without its `+tag`, in lower
 * case, as is the domain (`Ann+x@Corp.example` → `ann@corp.example`; a local part that starts
 * with `+`, an SMS gateway's number, is all mailbox), and Gmail's spellings of one inbox as
 * one (dots in the local part, googlemail.com). What the reply budget counts by, the request
 * watcher takes senders in turn by, and a signer named twice is found by.
 */
export function mailboxKey(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, Math.max(at, 0)).toLowerCase();
  const tag = local.indexOf('+', 1);
  const base = tag > 0 ? local.slice(0, tag) : local;
  const domain = address.slice(at + 1).toLowerCase();
  const dotless = DOTLESS_DOMAINS.get(domain);
  return dotless === undefined ? `${base}@${domain}` : `${base.replaceAll('.', '')}@${dotless}`;
}
