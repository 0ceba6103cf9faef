// Which of a received PDF's own tags signrelay may send, as problems the requester can fix.
// Pure. A document prepared with its own [!Sign.N,…] tags is sent as prepared — when nobody
// else names signers; a completion-recipient tag or any other tag family in it never is:
// the signed copy would go to, or the signing involve, someone signrelay did not choose.
// Such text is often hidden (white, 2 pt): the messages say so. A copy signrelay stamped
// itself, sent in again (after a decline or an expiry, the copy the signers got), carries
// signrelay's own return tag: it is told so, not told to look for a hidden tag.
import { quoteOutside } from '../outside-text.ts';
import { formatSigner, type Signer } from '../signer.ts';
import { RETURN_RECIPIENT_NAME, tokenFromReturnAddress } from './build-tags.ts';
import { signTagSigner, type FoundTag, type OwnSigner } from './find-tags.ts';

const SHOWN_TAG_CHARS = 80;
const HIDDEN = 'it may be hidden, as white or tiny text';

/** Who else names signers for this document: "your mail" with its Signer lines, or a route's defaults. */
export interface OtherSigners {
  source: string;
  signers: readonly Signer[];
  /** How to send the document's own signers instead. */
  useTagsFix: string;
}

export function ownTagProblems(fileName: string, tags: readonly FoundTag[], other: OtherSigners | null): string[] {
  const problems: string[] = [];
  const recipients = tags.filter((t) => t.family === 'recipient');
  // Its signature page's tags are signrelay's: the one thing to fix is sending the original.
  const stampedBefore = recipients.map(signrelayToken).find((token) => token !== undefined);
  if (stampedBefore !== undefined) {
    return [`${fileName}: this copy was already prepared for signing (reference ${stampedBefore}) and carries the signature page signrelay added: send the original document without the signature page`];
  }
  if (recipients.length > 0) {
    problems.push(`${fileName} contains its own completion-recipient tag (${shown(recipients)}), which would send the signed copy to an address signrelay did not choose: ` +
      `signrelay never sends such a document. Remove the tag (${HIDDEN}) and send the document again`);
  }
  const others = tags.filter((t) => t.family !== 'recipient' && t.family !== 'sign');
  if (others.length > 0) {
    problems.push(`${fileName} contains text a signing service would read as a tag (${shown(others)}): signrelay sends only [!Sign.N,…] tags in a prepared document. ` +
      `Remove that text (${HIDDEN}) and send the document again`);
  }
  const unreadable = tags.filter((t) => t.family === 'sign' && signTagSigner(t) === undefined);
  if (unreadable.length > 0) {
    problems.push(`${fileName} contains a signature tag signrelay cannot read (${shown(unreadable)}): write it as [!Sign.1,First,Last,first.last@example.com] on one line, or remove it`);
  }
  const own = tags.filter((t) => t.family === 'sign');
  const signers = ownSignersOf(own);
  problems.push(...sharedOrders(fileName, signers));
  if (own.length > 0 && other && other.signers.length > 0) {
    problems.push(`${fileName} names its own signers in signature tags (${listSigners(signers)}) and ${other.source} names signers too (${listSigners(other.signers)}): ` +
      `signrelay will not choose between them. ${other.useTagsFix}; to have the other signers sign, send a copy of the document without the tags (${HIDDEN})`);
  }
  return problems;
}

const OWN_RECIPIENT_RE = new RegExp(`^\\[!recipient\\.[a-z],${RETURN_RECIPIENT_NAME.firstName},${RETURN_RECIPIENT_NAME.lastName},([^,\\]]+)\\]$`, 'i');

/**
 * The token of a return tag as signrelay writes it (build-tags.ts: its own name, a return
 * address with +TOKEN). Whoever wrote it, the document is refused all the same: only the words differ.
 */
function signrelayToken(tag: FoundTag): string | undefined {
  const address = OWN_RECIPIENT_RE.exec(tag.text)?.[1];
  return address === undefined ? undefined : tokenFromReturnAddress(address);
}

/**
 * `[!Sign.1,Ann…]` beside `[!Sign.1,Bob…]`: how parallel signing is meant is not confirmed
 * with the provider, and signrelay's request (its acknowledgement, notes, status) would name
 * only the first. The same address at one number twice is one signer signing in two places.
 */
function sharedOrders(fileName: string, signers: readonly OwnSigner[]): string[] {
  const byOrder = new Map<number, string[]>();
  for (const signer of signers) {
    const emails = byOrder.get(signer.order) ?? [];
    if (!emails.some((e) => e.toLowerCase() === signer.email.toLowerCase())) emails.push(signer.email);
    byOrder.set(signer.order, emails);
  }
  return [...byOrder.entries()].filter(([, emails]) => emails.length > 1).map(([order, emails]) =>
    `${fileName} gives signing order ${order} to ${emails.length} signers (${emails.slice(0, 3).map((e) => quoteOutside(e, SHOWN_TAG_CHARS)).join(', ')}${emails.length > 3 ? ', …' : ''}): ` +
    'signrelay sends one signer per number — give each signer their own number ([!Sign.1,…], [!Sign.2,…]) in the order they sign');
}

function ownSignersOf(tags: readonly FoundTag[]): OwnSigner[] {
  return tags.map(signTagSigner).filter((s): s is OwnSigner => s !== undefined);
}

/** `1. Ann Lee <ann@x>, 2. …` — names and addresses as the document or mail gave them, cut. */
export function listSigners(signers: readonly Signer[]): string {
  const shownSigners = signers.slice(0, 5).map((s, i) => `${'order' in s ? (s as OwnSigner).order : i + 1}. ${quoteOutside(formatSigner(s), SHOWN_TAG_CHARS)}`);
  return signers.length > 5 ? `${shownSigners.join(', ')} and ${signers.length - 5} more` : shownSigners.join(', ');
}

function shown(tags: readonly FoundTag[]): string {
  const first = tags.slice(0, 3).map((t) => quoteOutside(t.text, SHOWN_TAG_CHARS));
  return tags.length > 3 ? `${first.join(', ')} and ${tags.length - 3} more` : first.join(', ');
}
