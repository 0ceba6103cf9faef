// What Signicat is, apart from its API (SIGNICAT.md): no text tags — who signs is in the
// order, one task per signer; completion learned from the COMPLETED notification it mails
// to the return address and from polling the tasks' status (the backstop for a lost mail);
// order ids as they appear in its notification mails (`${orderId}`).
import type { ProviderTraits } from '../provider.ts';

/** Its notification mails' sender is unconfirmed: signicat.com and its subdomains. */
export const SIGNICAT_SENDERS = ['*@signicat.com', '*@mail.signicat.com'] as const;

// Order ids are GUIDs in the SDK and short strings in the seed (unconfirmed): letters,
// digits and `-`, 8 to 64 characters.
const ORDER_ID_RE = /(?<![A-Za-z0-9_-])[A-Za-z0-9][A-Za-z0-9_-]{7,63}(?![A-Za-z0-9_-])/g;

/**
 * The subject of the order's creation notice (order-body.ts ORDER_CREATED_HEADER, filled in),
 * also behind what gateways and forwarding put before it (`[EXTERNAL] `, `Fw: `): unknown,
 * the notice of a lost send went to Unmatched and a cancelled order stayed open for signing.
 */
const CREATED_NOTICE_RE = /(?:^|[\s:\]])Signing order \S+ created\.?$/i;
/** The subject of a task's end notice (order-body.ts ORDER_ENDED_HEADER, filled in), likewise. */
const TASK_ENDED_RE = /(?:^|[\s:\]])Signing order \S+: a task ended\.?$/i;

export function signicatTraits(): ProviderTraits {
  return {
    name: 'signicat',
    displayName: 'Signicat',
    capabilities: {
      textTags: false,
      completion: { mail: true, polling: true },
      uploadLifetimeMs: 30 * 60_000,
      lostSendKnownByNotice: true,
      closes: 'whole-days-from-send',
      remind: false,
      extend: false,
      cancel: true,
      certificate: true,
    },
    defaultCompletionSenders: SIGNICAT_SENDERS,
    referencePattern: ORDER_ID_RE,
    isProgressNotice: (subject) => CREATED_NOTICE_RE.test(subject.trim()),
    isTaskEndNotice: (subject) => TASK_ENDED_RE.test(subject.trim()),
  };
}
