// The request state machine of DESIGN.md, as data: which states exist and which moves
// between them are allowed. Pure; the repository refuses any other move.

export type RequestState =
  | 'received' // the mail was accepted; documents stored
  | 'stamped' // smart tags stamped into every document
  | 'uploaded' // every document is at the provider
  | 'sent' // the provider invited the signers
  | 'completed' // the provider reports the document signed
  | 'delivered' // the signed document is on the ServiceNow record
  | 'rejected' // the request mail was refused (requester told why)
  | 'declined' // a signer declined
  | 'expired' // the due date passed unsigned
  | 'failed' // given up after retries; visible and retryable by an operator
  | 'cancelled'; // withdrawn by an operator (`signrelay cancel`)

export const REQUEST_STATES: readonly RequestState[] = [
  'received', 'stamped', 'uploaded', 'sent', 'completed', 'delivered', 'rejected', 'declined', 'expired', 'failed', 'cancelled',
];

const NEXT: Record<RequestState, readonly RequestState[]> = {
  received: ['stamped', 'rejected', 'failed', 'cancelled'],
  stamped: ['uploaded', 'failed', 'cancelled'],
  uploaded: ['sent', 'failed', 'cancelled'],
  sent: ['completed', 'declined', 'expired', 'failed', 'cancelled'],
  completed: ['delivered', 'failed'],
  // The mail that delivered it (delivery: email) bounced: the record has nothing after all
  // (intake/process-bounce.ts). An operator's retry mails it again.
  delivered: ['failed'],
  rejected: [],
  declined: [],
  expired: [],
  // An operator's retry puts a failed request back where its work resumes.
  failed: ['stamped', 'uploaded', 'sent', 'completed', 'cancelled'],
  cancelled: [],
};

export function canTransition(from: RequestState, to: RequestState): boolean {
  return NEXT[from].includes(to);
}

/** States from which a request still needs its provider: not yet sent, out for signing, or signed and not yet delivered. */
export const AT_WORK: readonly RequestState[] = ['received', 'stamped', 'uploaded', 'sent', 'completed'];

/** States in which the request is still waiting for the provider or for delivery. */
export function isOpen(state: RequestState): boolean {
  return state === 'sent' || state === 'completed';
}

/**
 * The states whose work is done: nothing more is sent or delivered (retention may delete
 * their files). Not the states without a way out: `delivered` can still turn `failed` when
 * the mail that delivered it bounces — a rare correction, not work in hand.
 */
const FINAL: readonly RequestState[] = ['delivered', 'rejected', 'declined', 'expired', 'cancelled'];

export function isFinal(state: RequestState): boolean {
  return FINAL.includes(state);
}
