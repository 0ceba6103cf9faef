// What Secured Signing is, apart from its API: smart tags in the document text, completion
// learned from the mail to the return address (reconciliation as the backstop), and the
// shape of its document references as they appear in its mails.
import type { SecuredSigningConfig } from '../../config/schema.ts';
import type { ProviderTraits } from '../provider.ts';

/** Its completion mails come from these (SECURED-SIGNING.md "Completion"; dsx.co.nz unconfirmed). */
export const SECURED_SIGNING_SENDERS = ['*@securedsigning.com', '*@dsx.co.nz'] as const;

// The format of a reference is unconfirmed (the known ones are 16 letters and digits, like
// gBeueUBEgsG5wnzI): `-` and `_` (base64url) are allowed inside, or such a reference would
// never be found.
const REFERENCE_RE = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{10,40}(?![A-Za-z0-9_-])/g;

export function securedSigningTraits(config: Pick<SecuredSigningConfig, 'recipient_letter'>): ProviderTraits {
  return {
    name: 'secured-signing',
    displayName: 'Secured Signing',
    capabilities: {
      textTags: { recipientLetter: config.recipient_letter },
      completion: { mail: true, polling: true },
      uploadLifetimeMs: null,
      closes: 'due-day-end',
      lostSendKnownByNotice: false,
      remind: true,
      extend: true, // POST /Document/Extend (the SDK's ExtendRequest)
      cancel: true,
      certificate: true,
    },
    defaultCompletionSenders: SECURED_SIGNING_SENDERS,
    referencePattern: REFERENCE_RE,
    // Its only mail to the return address is the completed document.
    isProgressNotice: () => false,
    isTaskEndNotice: () => false,
  };
}
