// Smart-tag text and the return address, as Secured Signing reads them (SECURED-SIGNING.md
// "Smart tags"). Pure string building: names go through tag-name.ts, so a signer's name can
// never break the tag syntax; an address that cannot be written into a tag is refused here,
// before anything is uploaded.
import { SignrelayError } from '../errors.ts';
import { isEmailAddress, type Signer } from '../signer.ts';
import { isRequestToken, REQUEST_TOKEN_PATTERN } from './request-token.ts';
import { isTagScriptCodePoint, tagNameFor, type CanDraw } from './tag-name.ts';

export { isRequestToken, newRequestToken } from './request-token.ts';

/** The name on the completion-recipient tag: the daemon's own return mailbox. */
export const RETURN_RECIPIENT_NAME = { firstName: 'signrelay', lastName: 'Returns' } as const;

/** An address goes into a tag verbatim, so it must be a plain, printable address. */
function tagEmail(email: string, canDraw: CanDraw): string {
  if (!isEmailAddress(email) || /[,[\]\p{C}]/u.test(email)) {
    throw new SignrelayError('input', 'signer_email_invalid', `"${email}" is not a usable email address: write it as first.last@corp.example`);
  }
  for (const ch of email) {
    const cp = ch.codePointAt(0)!;
    if (!isTagScriptCodePoint(cp) || !canDraw(cp)) {
      throw new SignrelayError('input', 'signer_email_unprintable', `the address ${email} cannot be printed into a signature tag: use a plain address like first.last@corp.example`);
    }
  }
  return email;
}

/** `[!Sign.N,First,Last,email]`; N = signing order, from 1. */
export function signTag(order: number, signer: Signer, canDraw: CanDraw = isTagScriptCodePoint): string {
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`signing order must be a positive integer, got ${order}`);
  const name = tagNameFor(signer, canDraw);
  return `[!Sign.${order},${name.firstName},${name.lastName},${tagEmail(signer.email, canDraw)}]`;
}

/** `[!Recipient.C,First,Last,returns+TOKEN@corp.example]`; the letter comes from config. */
export function recipientTag(
  letter: string,
  who: Pick<Signer, 'firstName' | 'lastName'>,
  address: string,
  canDraw: CanDraw = isTagScriptCodePoint,
): string {
  if (!/^[A-Z]$/.test(letter)) {
    throw new SignrelayError('config', 'recipient_letter_invalid', `provider.recipient_letter must be one capital letter (e.g. C), not "${letter}"`);
  }
  const name = tagNameFor({ ...who, email: address }, canDraw);
  return `[!Recipient.${letter},${name.firstName},${name.lastName},${tagEmail(address, canDraw)}]`;
}

/** `returns@corp.example` + token → `returns+TOKEN@corp.example`. */
export function returnAddress(base: string, token: string): string {
  if (!isRequestToken(token)) throw new RangeError(`not a request token: "${token}"`);
  const at = base.lastIndexOf('@');
  if (!isEmailAddress(base) || at < 1) {
    throw new SignrelayError('config', 'return_address_invalid', `mailboxes.returns.address must be an address like returns@corp.example, not "${base}"`);
  }
  if (base.slice(0, at).includes('+')) {
    throw new SignrelayError('config', 'return_address_has_plus', `mailboxes.returns.address must not contain "+" (signrelay adds +TOKEN itself): "${base}"`);
  }
  return `${base.slice(0, at)}+${token}${base.slice(at)}`;
}

const RETURN_TOKEN_RE = new RegExp(`^[^@+\\s]+\\+(${REQUEST_TOKEN_PATTERN})@`, 'i');

/** The token of a return address (any case), or undefined when it carries none. */
export function tokenFromReturnAddress(address: string): string | undefined {
  return RETURN_TOKEN_RE.exec(address.trim())?.[1]?.toLowerCase();
}
