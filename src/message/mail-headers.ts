// Header fields and addresses of a parsed mail. mailparser's header map reshapes fields
// (List-* merged into "list", only the first of some fields kept), so envelope-ish and
// marker fields are read from the raw header lines, the ground truth; address fields from
// mailparser's parsed objects, which handle quoting and encoded words.
import type { AddressObject, ParsedMail } from 'mailparser';
import { mailboxKey } from '../ascii-address.ts';

export type MailHeaderLines = Pick<ParsedMail, 'headerLines'>;

/** All values of a header field, unfolded and trimmed, in mail order (topmost first). */
export function rawHeaderValues(mail: MailHeaderLines, name: string): string[] {
  const key = name.toLowerCase();
  return (mail.headerLines ?? [])
    .filter((h) => h.key === key)
    .map((h) => h.line.slice(h.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim());
}

/** A Content-Type as mailparser parsed it (a mail's or a part's header map): its type in lower case and its parameters; empty for none. */
export function contentTypeOf(headers: ReadonlyMap<string, unknown> | undefined): { type: string; params: Record<string, string> } {
  const value = headers?.get('content-type');
  if (typeof value !== 'object' || value === null || !('value' in value)) return { type: '', params: {} };
  const params = 'params' in value && typeof value.params === 'object' && value.params !== null ? value.params as Record<string, string> : {};
  return { type: String(value.value).toLowerCase(), params };
}

export function hasHeader(mail: MailHeaderLines, name: string): boolean {
  return rawHeaderValues(mail, name).length > 0;
}

/** Addresses of parsed address fields, groups flattened, in order. */
export function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const out: string[] = [];
  const visit = (entries: AddressObject['value']): void => {
    for (const entry of entries) {
      if (entry.address) out.push(entry.address.trim());
      if (entry.group) visit(entry.group);
    }
  };
  for (const object of field === undefined ? [] : Array.isArray(field) ? field : [field]) visit(object.value);
  return out;
}

/** Addresses in a raw header value such as `Delivered-To: sign+hr@corp.example`. */
export function addressesInText(text: string): string[] {
  return [...text.matchAll(/[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g)].map((m) => m[0]);
}

/** `Name <a@b>` or `a@b` → `a@b`, lower case. */
export function bareAddress(text: string): string {
  const angle = /<([^<>]*)>\s*$/.exec(text);
  return (angle ? angle[1]! : text).trim().toLowerCase();
}

export interface AddressParts {
  /** Local part without a `+tag`, lower case. */
  base: string;
  /** The `+tag`, lower case; null when there is none. */
  tag: string | null;
  domain: string;
}

export function addressParts(address: string): AddressParts | null {
  const bare = bareAddress(address);
  const at = bare.lastIndexOf('@');
  if (at <= 0 || at === bare.length - 1) return null;
  const local = bare.slice(0, at);
  // From the second character: a local part that starts with `+` (an SMS gateway's number) is all mailbox, as mailboxKey reads it.
  const plus = local.indexOf('+', 1);
  return {
    base: plus < 0 ? local : local.slice(0, plus),
    tag: plus < 0 ? null : local.slice(plus + 1),
    domain: bare.slice(at + 1),
  };
}

/** The mailbox an address delivers to, without case or `+tag` (`Ann+x@Corp.example` → `ann@corp.example`: mailboxKey); null when it is no address. */
export function mailboxOf(address: string): string | null {
  const bare = bareAddress(address);
  return addressParts(bare) ? mailboxKey(bare) : null;
}

/** True when both addresses are the same mailbox, ignoring case and any `+tag`. */
export function sameMailbox(a: string, b: string): boolean {
  const mailbox = mailboxOf(a);
  return mailbox !== null && mailbox === mailboxOf(b);
}

/** A References/In-Reply-To list as the parser gives it (one string, or several) or as a job's payload holds it: the strings, in order. */
export function messageIdList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
}
