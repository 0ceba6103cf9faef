// The shapes the intake parser works with: the policy it applies (from config), what it
// makes of a request mail, and the decision it hands to the daemon. Types only, so every
// intake module and its callers can share them without importing each other.
import type { RouteConfig, LimitsConfig } from '../config/schema.ts';
import type { Signer } from '../signer.ts';
import type { AuthenticationRequirement, AuthenticationVerdict } from '../message/check-authentication.ts';

export interface IntakePolicy {
  /** The request address, e.g. sign@corp.example; `sign+hr@corp.example` selects route hr. */
  requestAddress: string;
  /** Addresses signrelay sends from (SMTP From, return address): never accepted, never answered. */
  ownAddresses: string[];
  routes: Record<string, RouteConfig>;
  /** Record-number prefix → ServiceNow table, e.g. RITM → sc_req_item. */
  records: Record<string, string>;
  /** Whether the provider reads smart tags: only then do a PDF's own tags matter (own-tag-rules.ts). */
  textTags: boolean;
  /** servicenow.senders: the instance's own notification senders, whose mail alone may carry a watermark. */
  instanceSenders: string[];
  /**
   * The instance's addresses: its senders and its inbound address (servicenow.inbound_address).
   * A mail to the instance is filed on a record by its inbound actions, so a reply is never
   * mailed to one (reply-address.ts).
   */
  instanceAddresses: string[];
  /** servicenow.delivery: how signed documents reach the record unless a route says otherwise. */
  delivery: 'rest' | 'email';
  limits: LimitsConfig;
  /**
   * intake.authentication: the methods every request must pass (a route's
   * `require_authentication` overrides them) and whose Authentication-Results count.
   */
  authentication: AuthenticationRequirement;
}

export interface RecordRef {
  /** Record number, upper case, e.g. RITM0010001. */
  number?: string;
  /** ServiceNow table, when known from the prefix, a `Record:` line or the route. */
  table?: string;
  /** 32-hex sys_id from a `Record: table/sys_id` line. */
  sysId?: string;
  /** ServiceNow watermark exactly as it must go back into a reply body, e.g. `Ref:MSG0000008_aLJc…`. */
  watermark?: string;
}

export interface MailDocument {
  /** Safe file name (basename, no control characters, ends in .pdf, unique in the request). */
  fileName: string;
  bytes: Buffer;
}

export type { DueFrom, SignersFrom } from '../store/requests.ts';
import type { DueFrom, SignersFrom } from '../store/requests.ts';

export interface RequestDraft {
  route: string;
  record: RecordRef | null;
  /** In signing order. Empty when signersFrom is 'none'; with 'pdf', the documents' own sign tags' signers. */
  signers: Signer[];
  signersFrom: SignersFrom;
  /** YYYY-MM-DD, UTC. */
  due: string;
  /** Whether the mail gave the due date or the route's `due_days` did (the acknowledgement says which). */
  dueFrom: DueFrom;
  documents: MailDocument[];
  /** The mail's other attachments, not sent for signing (not PDFs): named in the acknowledgement. */
  notDocuments: string[];
  /** Where replies and notices go: the Reply-To when it may send requests itself, else the From (reply-address.ts). */
  requester: string;
  /** Why the Reply-To was not taken, when there was one; null otherwise. */
  requesterNote: string | null;
  /** A watermark the mail carried but not from the instance's own senders (servicenow.senders): not used. */
  ignoredWatermark: string | null;
  messageId: string | null;
  subject: string;
  references: string[];
  /**
   * Why this mail must not be answered automatically although it is processed (RFC 3834:
   * machine-generated, e.g. a ServiceNow notification with `Auto-Submitted: auto-generated`),
   * or null when a rejection may be replied to. Later rejections must honour it.
   */
  noReplyReason: string | null;
}

export type MailDecision =
  /** Bounces, auto-replies, lists, our own mail: moved to Rejected, never answered. */
  | { action: 'ignore'; reason: string; reply: false }
  /**
   * A bad request. reply=false when the sender is not allowed or the mail is machine-generated.
   * `reason` lists every problem (one a line, `- ` each, when several); `problems` has them apart.
   * `authentication` is there when a requirement applied: on a reject, only when it failed.
   */
  | {
    action: 'reject'; reason: string; problems?: string[]; reply: boolean; authentication?: AuthenticationVerdict;
    /** Who the reply goes to, when reply is true (reply-address.ts); replyNote says why not the Reply-To. */
    replyTo?: string; replyNote?: string | null;
    /** The record the mail names, when it got that far (refusal-on-record.ts notes the refusal there). */
    record?: RecordRef | null;
  }
  /** `sender`: the From address, whose domain `authentication` (when a setting asked for it) vouches for. */
  | { action: 'request'; reason: string; reply: false; draft: RequestDraft; sender: string; authentication?: AuthenticationVerdict };

/** A parsing step's result: a value plus the problems the requester must fix. */
export interface Checked<T> {
  value: T;
  problems: string[];
}
