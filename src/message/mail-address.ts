// The addresses in a mail's From and Reply-To as they came, for every decision that rests
// on them (allow-lists, who gets a reply). mailparser decodes what it shows: punycode
// domains to Unicode — even invalid ones (`x@xn--corp-.xn--example-` shows as
// `x@corp.example`) — and encoded words inside an address. A check against the decoded
// form could be passed by an address that is not the one listed. So addresses are read
// from the raw header, compared in ASCII (IDNA) form, and an address whose decoded form is
// another address is a problem: such a mail is refused without a reply.
import addressparser from 'nodemailer/lib/addressparser';
import { asciiAddress } from '../ascii-address.ts';
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
