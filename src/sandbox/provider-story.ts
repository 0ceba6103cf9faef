// What the demo's observer says about the signing side, in the provider's own words. The
// demo tells one story — the request uploaded, sent, the signers invited, signing, the
// completion mail, the download — but each provider tells it with its own facts (Secured
// Signing's references, SmartTag/Send and completion mail; Signicat's session documents,
// signing order of tasks, invitations and notices, PAdES package). Each simulated provider
// reads those facts from its simulator's records (calls, documents, orders, mails sent), so
// the observer (demo-observer.ts) never asks which provider it is watching.
import type { SimulatedRequest } from './simulated-request.ts';

/** A step as the demo prints it: a headline and indented details. */
export interface Told {
  headline: string;
  details: string[];
}

export interface ToldAt extends Told {
  /** When it happened (ms since the epoch), as the simulator recorded it. */
  at: number;
}

/** A mail the provider sent for a request, as it is told: never with a signing link in it. */
export interface ProviderMail {
  /** When the provider sent it. */
  at: number;
  to: string;
  /** To signrelay's return address (a notice, a completion mail), not to a signer. */
  toSignrelay: boolean;
  /** What it is called in the steps that follow it: "notice", "completion mail", "invitation". */
  noun: string;
  /** The Message-ID it was sent with, when the mail server took it. */
  messageId: string | undefined;
  /** Who mailed what to whom, e.g. `Signicat mailed its notice to returns+…: "…"`. */
  told: string;
}

/** The mail that tells signrelay the request is complete, or why there is none. */
export type CompletionMail = { messageId: string } | { problem: string };

export interface ProviderStory {
  /** What the stamped PDF's text (its first `originalPages` pages the requester's) holds for the provider: Secured Signing's smart tags. */
  stampedText(pages: string[], originalPages: number): { label: string; lines: string[] };
  /** The `uploaded` step: what the documents are called at the provider and the calls that put them there. */
  uploaded(documents: Array<{ reference: string | null; uploadName: string | null }>): Told;
  /** The `sent` step: the call that sent the request and what the provider now holds. */
  sent(request: SimulatedRequest): Told;
  /** The mails the provider sent for a request so far (invitations, notices), oldest first. */
  mails(request: SimulatedRequest): ProviderMail[];
  /** Whether a mail the provider owes the request right now is still being sent. */
  mailing(request: SimulatedRequest): boolean;
  /** Resolves once the mails being sent now are out (so `mailing` has turned false). */
  mailed(): Promise<void>;
  /** The demo's signing part introduced: who the simulator plays (`who`), and what it will mail signrelay; two lines. */
  signingIntro(who: string): string[];
  /** After signAll: what happened at the simulator since `since`, oldest first, and the mail that tells signrelay. */
  signed(request: SimulatedRequest, since: number): { steps: ToldAt[]; completion: CompletionMail };
  /** The calls that fetched a document's signed copy from the API (`GET path → status`). */
  downloads(request: SimulatedRequest, index: number): string[];
  /** A document's signed copy as the API serves it, read without a call; undefined while there is none. */
  servedCopy(request: SimulatedRequest, index: number): Uint8Array | undefined;
  /** What the daemon waits for at the simulator, for the demo's "still waiting for …". */
  waitingFor: { upload: string; send: string };
  /** What the provider's reference in a mail is called, for a completion mail matched by it. */
  referenceName: string;
}

/** `GET /path → 200` for a recorded call. */
export const callLine = (call: { method: string; path: string; status: number }) => `${call.method} ${call.path} → ${call.status}`;
