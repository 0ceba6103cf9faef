// What each document of a request is stamped with, decided once per mail: its token and
// return address, the signers (none when the documents' own tags name them), the request's
// details on the signature page and the stamping settings. Pure. Deciding a request stamps
// each document as it inspects it (pdf-tasks.ts preparePdf); committing it uses that stamp
// only when the plan still asks for the same one — a checked watermark may have changed the
// record the signature page names — and stamps again otherwise.
import type { Config } from '../config/schema.ts';
import { newRequestToken, returnAddress } from '../pdf/build-tags.ts';
import type { StampInput } from '../pdf/stamp-tags.ts';
import type { ProviderTraits } from '../providers/provider.ts';
import type { RequestDraft } from './types.ts';

export interface StampPlan {
  token: string;
  /** The input document `index` of `draft` is stamped with. */
  inputFor(draft: RequestDraft, index: number): StampInput;
}

export function planStamps(config: Pick<Config, 'mailboxes' | 'stamping'>, textTags: ProviderTraits['capabilities']['textTags'], token = newRequestToken()): StampPlan {
  const address = returnAddress(config.mailboxes.returns.address, token);
  return {
    token,
    inputFor(draft, index) {
      const doc = draft.documents[index]!;
      return {
        token, returnAddress: address, recipientLetter: textTags ? textTags.recipientLetter : 'C', textTags: textTags !== false,
        // A document's own tags name its signers: none are drawn besides.
        signers: draft.signersFrom === 'pdf' ? [] : draft.signers,
        request: { record: draft.record?.number ?? draft.record?.sysId, route: draft.route, due: draft.due, requester: draft.requester, subject: draft.subject, fileName: doc.fileName },
        stamping: config.stamping,
      };
    },
  };
}

/** The stamp that stands in for an overlay that does not fit the document's page: a signature page always fits. */
export function onSignaturePage(input: StampInput): StampInput {
  return { ...input, stamping: { ...input.stamping, mode: 'signature-page' } };
}

/**
 * Whether a stamp made while deciding serves `wanted`: the same one or, when the overlay
 * did not fit that document (`overlayRefused`), the signature page standing in for it.
 */
export function stampServes(made: { input: StampInput; overlayRefused?: string }, wanted: StampInput): boolean {
  return sameStamp(made.input, made.overlayRefused === undefined ? wanted : onSignaturePage(wanted));
}

/** Whether a stamp made with `made` is the one `wanted` asks for (what either knew of the document's own text aside). */
export function sameStamp(made: StampInput, wanted: StampInput): boolean {
  const drawn = ({ ownText: _own, ...rest }: StampInput) => JSON.stringify(rest);
  return drawn(made) === drawn(wanted);
}
