// What a stamp will carry, decided before any PDF is opened — pure, and light enough for
// the daemon's own process (`signrelay stamp` prints it; the worker draws it): the input a
// stamping takes, and the tags it writes exactly as drawn.
import type { StampingConfig } from '../config/schema.ts';
import type { Signer } from '../signer.ts';
import { recipientTag, RETURN_RECIPIENT_NAME, signTag, tokenFromReturnAddress } from './build-tags.ts';
import type { SignaturePageDetails } from './draw-signature-page.ts';
import type { FoundTag } from './find-tags.ts';
import { nameInTags, tagFontCanDraw } from './tag-font.ts';
import type { TagName } from './tag-name.ts';

/** What inspection read in a document's text layer (PdfFacts.tags). */
export interface OwnText {
  /** Everything in it a signing service could take for a tag. */
  tags: FoundTag[];
}

export interface StampInput {
  token: string;
  /** The full return address, token included: returns+TOKEN@corp.example. */
  returnAddress: string;
  /** provider.recipient_letter, e.g. "C". */
  recipientLetter: string;
  /**
   * Whether the provider reads smart tags (default true). When false (Signicat: who signs
   * is in the order), the signature page lists the signers without tags, in signature-page
   * mode whatever `stamping.mode` says, and nothing in the text is a tag of ours.
   */
  textTags?: boolean;
  /** Name on the recipient tag; RETURN_RECIPIENT_NAME when absent. */
  recipientName?: { firstName: string; lastName: string };
  /** In signing order; empty when the PDF has its own [!Sign.] tags. */
  signers: readonly Signer[];
  /** What the signature page shows about the request. */
  request: SignaturePageDetails;
  stamping: StampingConfig;
  /** What inspection found in the document's text; when absent the text layer is read again. */
  ownText?: OwnText;
  /** Modification date written to the metadata (tests pin it). */
  now?: Date;
}

export interface StampTags {
  /** One per signer, in order; empty when the PDF has its own tags. */
  signTags: string[];
  /** The names the tags use (see tag-name.ts), parallel to signTags. */
  names: TagName[];
  recipientTag: string;
}

/** The tags a stamp will carry, exactly as drawn (throws on an unusable signer address). */
export function stampTags(input: Pick<StampInput, 'signers' | 'returnAddress' | 'recipientLetter' | 'recipientName'>, hasSignTags: boolean): StampTags {
  const signers = hasSignTags ? [] : input.signers;
  return {
    signTags: signers.map((signer, i) => signTag(i + 1, signer, tagFontCanDraw)),
    names: signers.map((signer) => nameInTags(signer)),
    recipientTag: recipientTag(input.recipientLetter, input.recipientName ?? RETURN_RECIPIENT_NAME, input.returnAddress, tagFontCanDraw),
  };
}

/** A stamp's return address must carry its own token: anything else is a bug, refused before work starts. */
export function checkStampToken(input: Pick<StampInput, 'token' | 'returnAddress'>): void {
  if (tokenFromReturnAddress(input.returnAddress) !== input.token) {
    throw new RangeError(`return address ${input.returnAddress} does not carry token ${input.token}`);
  }
}
