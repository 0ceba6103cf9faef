// The provider seam: what signrelay needs from an e-signature service, and what the
// services differ in — as capabilities the rest of the code asks about, never as
// `if (type === …)`. Secured Signing (documents placed by smart tags in their text, one
// reference per document) and Signicat (an order of tasks, one per signer; no text tags)
// both fit. Only src/providers/ and src/sandbox/ may name a provider's own module (a test
// checks it); everything else holds a SigningProvider made by create-provider.ts.
import type { Payload } from '../http/streamed-bodies.ts';
import type { Signer } from '../signer.ts';

export type ProviderName = 'secured-signing' | 'signicat';

export interface ProviderCapabilities {
  /**
   * Signers are placed by `[!Sign…]` / `[!Recipient…]` tags in the document text, with
   * this completion-recipient letter. When false, stamping draws the visible signature
   * page without tags (who signs is in the order).
   */
  textTags: false | { recipientLetter: string };
  /** How a completed signing is learned: a mail to the return address, polling the status (the scheduler), or both. */
  completion: { mail: boolean; polling: boolean };
  /**
   * How long an uploaded document stays usable before a send (Signicat's session storage:
   * 30 minutes); null: until sent. A send resuming later uploads again first.
   */
  uploadLifetimeMs: number | null;
  /**
   * A send whose answer was lost can be confirmed only by the provider's own notice of it (a
   * mail to the return address naming the order): no lookup by signrelay's reference. Until
   * that notice, "not found" is not "not sent" (Signicat).
   */
  lostSendKnownByNotice: boolean;
  /**
   * When the provider closes signing: at the due moment, the end of the due day, UTC (Secured
   * Signing's DueDate); or a whole number of days after the send (Signicat's daysToLive) — on
   * the due day, at the time of day the request was sent, and a request needs a day at least.
   */
  closes: 'due-day-end' | 'whole-days-from-send';
  /** Whether the provider can remind the signers, extend the due date, withdraw a sent request. */
  remind: boolean;
  extend: boolean;
  cancel: boolean;
  /** Whether the provider keeps evidence of a completed signing that `downloadCertificate` fetches (servicenow.attach_certificate). */
  certificate: boolean;
}

/** What a provider is, apart from what it does: fixed for its type. */
export interface ProviderTraits {
  name: ProviderName;
  /** For messages and work notes: "Secured Signing", "Signicat". */
  displayName: string;
  capabilities: ProviderCapabilities;
  /** completion.allowed_senders when the configuration names none. */
  defaultCompletionSenders: readonly string[];
  /**
   * The shape of a reference the provider writes into its mails (a document reference, an
   * order id): the completion matcher looks up the words of a mail that have it. Global.
   */
  referencePattern: RegExp;
  /**
   * Whether a mail from the provider to a return address only reports progress (Signicat's
   * "order created" notice) rather than an end of the signing: it is kept for the references
   * it names (how a lost send is found again) and triggers nothing.
   */
  isProgressNotice(subject: string): boolean;
  /**
   * Whether a mail reports a signer's task ending by refusal or expiry (Signicat's "a task
   * ended", one per task): after the first, the others of an ended order say nothing new.
   */
  isTaskEndNotice(subject: string): boolean;
}

export interface UploadInput {
  /** File name as the provider and the signers will see it; carries the request token. */
  fileName: string;
  /** The document: bytes, or a file on disk (a blob store file), read as it is sent, never held whole. */
  bytes: Payload;
  /** Our reference for this document (request token + document number), echoed back. */
  clientReference: string;
}

export interface SendInput {
  /** The references `upload` returned, in document order. */
  documentReferences: string[];
  /** When signing must be done (UTC). */
  dueAt: Date;
  /** Signers in order; a provider that reads tags may ignore them (empty: the document's own tags name them). */
  signers: Signer[];
  /** A name for the package/order, e.g. "RITM0010001 (signrelay r_…)". */
  packageName: string;
  /** The request's token: the order's client reference, and the return address's +TOKEN. */
  token: string;
  /** The return address for this request (returns+TOKEN@…): where a completion notice is mailed. */
  returnAddress: string;
  /** Route-level settings a provider may use (Signicat: signature methods, language, the reminder it schedules with the order). */
  route: { signatureMethods?: ReadonlyArray<{ name: string; type: string }> | undefined; language?: string | undefined; reminderDaysBefore?: number | undefined };
}

/** Per document, what the provider needs later (status, download, reminder, withdrawal); opaque to the rest. */
export type KeptDocument = Record<string, unknown>;

/** What a send created and must be kept, in the same transaction as the `sent` state. */
export interface SendResult {
  /** The provider's order (Signicat); null where a send creates none worth keeping (Secured Signing's package). */
  orderId: string | null;
  /** One per signer, in order (Signicat tasks); empty where the provider has none. */
  tasks: Array<{ id: string; signer: string }>;
  /** Per document, in order: what the provider needs to act on it later (null: the reference alone will do). */
  documents: Array<KeptDocument | null>;
  /**
   * When signing closes, where that is not the due moment (the end of the due day, UTC):
   * Signicat's tasks live whole days from the order's creation. Told to the requester.
   */
  closesAt?: Date;
}

/** A sent document as the provider needs it: its reference and what its send kept. */
export interface SentDocument {
  reference: string;
  kept: KeptDocument | null;
  /** The request's order id, when the provider made one. */
  orderId: string | null;
}

/** A provider's document status, normalised. `raw` keeps the provider's own word. */
export type DocumentPhase =
  | 'uploaded' // not sent yet
  | 'in-progress' // sent, signers at work
  | 'completed'
  | 'declined'
  | 'expired'
  | 'rejected'
  | 'withdrawn' // deleted or cancelled at the provider
  | 'unknown';

/** The phases that end a document's signing unsigned: one such document ends its whole request (declined, expired). */
export type RefusalPhase = Extract<DocumentPhase, 'declined' | 'expired' | 'rejected'>;

export function isRefusal(phase: DocumentPhase): phase is RefusalPhase {
  return phase === 'declined' || phase === 'expired' || phase === 'rejected';
}

export interface DocumentStatus {
  reference: string;
  phase: DocumentPhase;
  raw: string;
  /** True once the document was sent for signing (so a send must not be repeated). */
  sent: boolean;
  /**
   * In signing order; `reference` is the provider's own id of the signer, where it has one
   * (Secured Signing's SignerReference); `signedAt` when the provider reports this signer's
   * signature made (Signicat: the task's TASK_COMPLETED event).
   */
  signers: Array<{ email: string; hasSigned: boolean; declinedReason?: string; reference?: string; signedAt?: Date }>;
  /**
   * When the latest signature on the document was made, as the provider reports it (Secured
   * Signing's LastSignedDate; Signicat: the latest task completion). Absent where the provider
   * says nothing readable (provider-time.ts): a note then says no time, nothing fails.
   */
  lastSignedAt?: Date;
}

/** Whether a document waits for a signature: in progress with a signer who has not signed ("1 of 1 Signed" is in progress, but nobody is left to remind). */
export function waitingForSigners(status: DocumentStatus): boolean {
  return status.phase === 'in-progress' && (status.signers.length === 0 || status.signers.some((signer) => !signer.hasSigned));
}

/**
 * Where a request's signing stands, from its documents' statuses — the one rule the complete
 * job, reconciliation and a cancel share: one document refused ends the request refused; one
 * withdrawn at the provider (not by signrelay) ends it too; it is completed only when every
 * document is; otherwise it is open (also with no document to ask about), with the first
 * document still open.
 */
export type SigningOutcome =
  | { ended: 'refused'; status: DocumentStatus & { phase: RefusalPhase } }
  | { ended: 'withdrawn'; status: DocumentStatus }
  | { ended: 'completed'; status: DocumentStatus }
  | { ended: false; status: DocumentStatus | undefined };

export function signingOutcome(statuses: readonly DocumentStatus[]): SigningOutcome {
  const refused = statuses.find((s): s is DocumentStatus & { phase: RefusalPhase } => isRefusal(s.phase));
  if (refused) return { ended: 'refused', status: refused };
  const withdrawn = statuses.find((s) => s.phase === 'withdrawn');
  if (withdrawn) return { ended: 'withdrawn', status: withdrawn };
  const open = statuses.find((s) => s.phase !== 'completed');
  if (open || statuses.length === 0) return { ended: false, status: open };
  return { ended: 'completed', status: statuses.at(-1)! };
}

/** A completed document's evidence as the provider offers it, to attach beside the signed copy. */
export interface SigningCertificate {
  bytes: Uint8Array;
  contentType: 'application/pdf' | 'application/json';
  /** Ends the file name on the record after the document's own name: "-certificate.pdf". */
  fileSuffix: string;
}

export interface AccountInfo {
  plan?: string;
  documentsLeft?: number;
  maxUploadBytes?: number;
  raw: unknown;
}

/** What is known of a send whose answer was lost. */
export interface FindSentInput {
  documentReferences: string[];
  token: string;
  /** Words of the provider's mails to the request's return address that may be its order id (Signicat's order notice). */
  announcedOrderIds?: string[];
  /** The send was attempted recently: a notice of it may still be on its way. */
  stillWaiting?: boolean;
}

export interface SigningProvider extends ProviderTraits {
  upload(input: UploadInput): Promise<{ reference: string }>;
  send(input: SendInput): Promise<SendResult>;
  /**
   * A send whose answer was lost (a crash, a dropped connection): did it happen? The send's
   * result when the provider shows it did, null when it shows it did not. Throws when the
   * provider cannot tell (then nothing is sent again: an operator decides).
   */
  findSent(input: FindSentInput): Promise<SendResult | null>;
  status(document: SentDocument): Promise<DocumentStatus>;
  /**
   * The signed copy, as it arrives: the caller stores it as it comes (BlobStore.putStream),
   * never holding it whole. A failure on the way is thrown from the iteration, classified as
   * the call's own would be; an empty answer is a transient bad answer.
   */
  download(document: SentDocument): Promise<AsyncIterable<Uint8Array>>;
  /** Asks the provider to remind the signers of a sent document who have not signed yet (capabilities.remind). */
  /** `status`: the document's status as the caller just read it, so the provider need not read it again to know whom to remind. */
  sendReminder(document: SentDocument, status?: DocumentStatus): Promise<void>;
  /**
   * Moves the due date of a sent document that is still out for signing (capabilities.extend).
   * `dueAt` is the new due moment, UTC (the end of the due day, as the send gave it).
   */
  extend(document: SentDocument, dueAt: Date): Promise<void>;
  /** Withdraws a document from signing (capabilities.cancel); one the provider no longer knows counts as withdrawn. */
  cancel(document: SentDocument): Promise<void>;
  accountInfo(): Promise<AccountInfo>;
  /**
   * The completion certificate / audit trail of a completed document (capabilities.certificate).
   * Throws `certificate_not_ready` (transient) while the provider has none yet.
   */
  downloadCertificate(document: SentDocument): Promise<SigningCertificate>;
}
