// The addresses in a mail's From and Reply-To as they came, for every decision that rests
// on them (allow-lists, who gets a reply). mailparser decodes what it shows: punycode
// domains to Unicode — even invalid ones (`x@xn--corp-.xn--example-` shows as
// `x@corp.example`) — and encoded words inside an address. A check against the decoded
// form could be passed by an address that is not the one listed. So addresses are read
// from the raw header, compared in ASCII (IDNA) form, and an address whose decoded form is
// another address is a problem: such a mail is refused without a reply.
import addressparser from 'nodemailer/lib/addressparser';
import { domainToASCII, domainToUnicode } from 'node:url';
import type { ParsedMail } from 'mailparser';
import { quoteOutside } from '../outside-text.ts';
import { addressesOf, rawHeaderValues } from './mail-headers.ts';

export type AddressedMail = Pick<ParsedMail, 'headerLines' | 'from' | 'replyTo'>;

export interface HeaderAddresses {
  /** Every address of the field, ASCII (IDNA) form, lower case, in order. */
  addresses: string[];
  /** Why the field cannot be trusted (several fields, an address that decodes to another); null when it can. */
  problem: string | null;
}

/**
 * A local part as mail is routed by it: the characters of a dot-atom (RFC 5322; UTF-8 letters
 * with their marks and joiners, RFC 6532; dots anywhere, as old Japanese carriers hand them
 * out), without a quoted part and without the old source-routing characters `%` and `!`. A quoted local part (`"x@evil.example"@corp.example`) or
 * `x%evil.example@corp.example` matches `*@corp.example`, and a relay that honours such
 * routing forwards a reply to it out of the domain.
 */
const LOCAL_PART_RE = /^[\p{L}\p{M}\p{N}\u200c\u200d.#$&'*+\-/=?^_`{|}~]+$/u;

/** `local@domain` with the domain in ASCII (IDNA) form, lower case; null when it has none, or a local part that routes elsewhere. */
export function asciiAddress(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  const local = address.slice(0, at).trim();
  if (!LOCAL_PART_RE.test(local)) return null;
  const domain = domainToASCII(address.slice(at + 1).trim());
  if (domain === '' || !validIdnaLabels(domain)) return null;
  return `${local}@${domain}`.toLowerCase();
}

/** Every `xn--` label must really be punycode, and come back the same from its Unicode form. */
function validIdnaLabels(domain: string): boolean {
  return domain.split('.').every((label) => {
    if (!label.toLowerCase().startsWith('xn--')) return true;
    const unicode = domainToUnicode(label);
    return unicode !== '' && !unicode.toLowerCase().startsWith('xn--') && domainToASCII(unicode) === label.toLowerCase();
  });
}

/** Raw header lines hold the bytes as latin1 characters: UTF-8 (RFC 6532) is read as such. */
function utf8(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
  const decoded = Buffer.from(value, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? value : decoded;
}

const FIELDS = { from: 'From', 'reply-to': 'Reply-To' } as const;

export function headerAddresses(mail: AddressedMail, field: keyof typeof FIELDS): HeaderAddresses {
  const name = FIELDS[field];
  const values = rawHeaderValues(mail, field).map(utf8);
  if (values.length > 1) return { addresses: [], problem: `the mail has ${values.length} ${name} fields` };
  const raw = values.flatMap((value) => addressparser(value, { flatten: true })).map((a) => a.address).filter((a) => a !== '');
  const addresses: string[] = [];
  for (const address of raw) {
    const ascii = /=\?/.test(address) ? null : asciiAddress(address);
    if (ascii === null) return { addresses: [], problem: `the ${name} address ${quoteOutside(address, 80)} is not a usable address` };
    addresses.push(ascii);
  }
  const decoded = addressesOf(field === 'from' ? mail.from : mail.replyTo).map((a) => asciiAddress(a) ?? a.toLowerCase());
  if (decoded.length !== addresses.length || decoded.some((a, i) => a !== addresses[i])) {
    return { addresses: [], problem: `the ${name} field ${quoteOutside(values.join(', '), 120)} decodes to other addresses (${quoteOutside(decoded.join(', '), 120)})` };
  }
  return { addresses, problem: null };
}
