// Finds Secured Signing smart tags in a document's text the way the simulator needs them
// (SECURED-SIGNING.md "Smart tags"): `[!Sign.N,First,Last,email]` (also `Sign.N.F`) and
// `[!Recipient.X,First,Last,email]`. Pure; other tag families are ignored. How leniently
// the real service reads (case, spaces, line breaks, fullwidth forms) is unconfirmed, and
// each way of being wrong hides a different mistake, so the simulator reads one of two ways:
// - strict (the default): only a tag written as documented, on one line of text — so a stamp
//   whose tags a strict reader would miss fails in the demo and the tests as it would there;
// - lenient (the security tests): the worst case for signrelay, so a tag that slips into what
//   it uploads takes effect. Written apart from signrelay's own scanner (find-tags.ts), which
//   it must not share a blind spot with: accents, control and format characters dropped, any
//   whitespace taken for a space, compatibility forms folded, no limit on a tag's length.

export type TagReading = 'strict' | 'lenient';

export interface SignTag {
  kind: 'sign';
  order: number;
  firstName: string;
  lastName: string;
  email: string;
  text: string;
}

export interface RecipientTag {
  kind: 'recipient';
  /** C = completion, N = notification (unconfirmed). */
  letter: string;
  firstName: string;
  lastName: string;
  email: string;
  text: string;
}

export type SmartTag = SignTag | RecipientTag;

export interface SmartTags {
  /** Every sign tag in document order (a repeated order number repeats the signer). */
  sign: SignTag[];
  recipients: RecipientTag[];
}

const TAG_RE = /^\[!(sign|recipient)\.([a-z0-9]+(?:\.[a-z0-9]+)?),([^,\]]*),([^,\]]*),([^,\]\s]+)\]$/i;
/**
 * The documented form, as written: `Sign.N` (or `Sign.N.F`), or `Recipient.C` (completion) or
 * `Recipient.N` (notification; the seed's example), four fields, on one line.
 */
const STRICT_TAG_RE = /\[!Sign\.\d+(?:\.[A-Z])?,[^,\]\n]*,[^,\]\n]*,[^,\]\s]+\]|\[!Recipient\.[CN],[^,\]\n]*,[^,\]\n]*,[^,\]\s]+\]/g;

function tagTexts(text: string, reading: TagReading): string[] {
  return reading === 'lenient' ? lenientTagTexts(text) : [...text.matchAll(STRICT_TAG_RE)].map((m) => m[0]);
}

/** Every `[!…]` as the most forgiving reader would take it, separators closed up. */
function lenientTagTexts(text: string): string[] {
  const folded = text.normalize('NFKD')
    .replace(/[\p{M}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Co}]/gu, '')
    .replace(/[\p{Cc}\p{Z}\s]+/gu, ' ')
    .normalize('NFKC');
  const found: string[] = [];
  for (const start of folded.matchAll(/\[ ?!/g)) {
    const close = folded.indexOf(']', start.index);
    if (close < 0) break;
    found.push(folded.slice(start.index, close + 1).replace(/ ?([[\]!.,]) ?/g, '$1').trim());
  }
  return found;
}

export function parseSmartTags(text: string, reading: TagReading = 'strict'): SmartTags {
  const tags: SmartTags = { sign: [], recipients: [] };
  for (const found of tagTexts(text, reading)) {
    const match = TAG_RE.exec(found);
    if (!match) continue;
    const [whole, family, qualifier, first, last, email] = match as unknown as [string, string, string, string, string, string];
    const base = { firstName: first.trim(), lastName: last.trim(), email: email.trim(), text: whole };
    if (family.toLowerCase() === 'sign') {
      const order = Number(qualifier.split('.')[0]);
      if (Number.isInteger(order) && order >= 1) tags.sign.push({ kind: 'sign', order, ...base });
    } else {
      tags.recipients.push({ kind: 'recipient', letter: qualifier.toUpperCase(), ...base });
    }
  }
  return tags;
}

/** Sign tags in signing order, one per order number (a repeated tag is the same signer). */
export function signersInOrder(tags: SmartTags): SignTag[] {
  const byOrder = new Map<number, SignTag>();
  for (const tag of tags.sign) if (!byOrder.has(tag.order)) byOrder.set(tag.order, tag);
  return [...byOrder.values()].sort((a, b) => a.order - b.order);
}
