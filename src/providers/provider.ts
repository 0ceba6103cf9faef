// The provider interface: what signrelay needs from an e-signature service. Secured Signing
// implements it now; Signicat (orders and tasks instead of smart tags) will later, so
// nothing here assumes text tags or one reference per document.
import type { Signer } from '../signer.ts';

export type ProviderName = 'secured-signing' | 'signicat';

export interface UploadInput {
  /** File name as the provider and the signers will see it; carries the request token. */
  fileName: string;
  bytes: Uint8Array;
  /** Our reference for this document (request token + document number), echoed back. */
  clientReference: string;
}

export interface SendInput {
  /** The references `upload` returned, in document order. */
  documentReferences: string[];
  /** When signing must be done (UTC). */
  dueAt: Date;
  /** Signers in order; a provider that reads tags may ignore them. */
  signers: Signer[];
  /** A name for the package/order, e.g. "RITM0010001 – contract.pdf". */
  packageName: string;
}

/** A provider's document status, normalised. `raw` keeps the provider's own word. */
export type DocumentPhase =
  | 'uploaded' // not sent yet
  | 'in-progress' // sent, signers at work
  | 'completed'
  | 'declined'
  | 'expired'
  | 'rejected'
  | 'unknown';

export interface DocumentStatus {
  reference: string;
  phase: DocumentPhase;
  raw: string;
  /** True once the document was sent for signing (so a send must not be repeated). */
  sent: boolean;
  signers: Array<{ email: string; hasSigned: boolean; declinedReason?: string }>;
}

export interface AccountInfo {
  plan?: string;
  documentsLeft?: number;
  maxUploadBytes?: number;
  raw: unknown;
}

export interface SigningProvider {
  readonly name: ProviderName;
  /** True when signers are placed by tags in the document text (Secured Signing). */
  readonly usesTextTags: boolean;
  upload(input: UploadInput): Promise<{ reference: string }>;
  send(input: SendInput): Promise<void>;
  status(reference: string): Promise<DocumentStatus>;
  download(reference: string): Promise<Uint8Array>;
  /** Asks the provider to remind the signers of a sent document who have not signed yet. */
  sendReminder(reference: string): Promise<void>;
  /** Withdraws a document from signing (the signers can no longer sign it); one the provider no longer knows counts as withdrawn. */
  cancel(reference: string): Promise<void>;
  accountInfo(): Promise<AccountInfo>;
}
