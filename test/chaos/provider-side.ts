// The signing provider's side of a chaos world, either provider behind one face: its
// simulator (kept in this process, so its state survives the daemon), the `provider:`
// mapping that points the daemon at it (secrets as ${VAR}), which of its answers are
// external effects a kill can be timed to, the signers (sent requests still open, signed
// some time later), and what verify.ts counts there: the sends per record, the uploads
// never used, the signed copy a record must get, and the mails the provider sent the
// return address with how the daemon must file each. Secured Signing in
// side-secured-signing.ts, Signicat in side-signicat.ts.
import type { ProviderName } from '../../src/providers/provider.ts';
import type { SimulatedRequest } from '../../src/sandbox/simulated-provider.ts';
import type { EffectKind, ObservedCall } from './effect-tap.ts';
import { securedSigningSide } from './side-secured-signing.ts';
import { signicatSide } from './side-signicat.ts';

/** A mail the provider sent to the return address, and how the daemon must record it (`messages.outcome`). */
export interface ProviderMail {
  messageId: string;
  /** The record it is about, when the remote side and the database say (give-ups are reported by record). */
  record: string | undefined;
  /** `completion`: a trigger (the request is asked about); `notice`: progress kept for its order id (Signicat's order creation). */
  outcome: 'completion' | 'notice';
}

/** What the provider holds per record, counted from its own store or call log. */
export interface SendTally {
  /** One entry per successful send (Secured Signing: SmartTag/Send answered; Signicat: an order created): more than one is a duplicate. */
  sent: Map<string, SimulatedRequest[]>;
  /** Sends the provider refused because the document had already been sent (duplicates it caught). */
  refusedAsSent: number;
  problems: string[];
}

/** What a kill timed to an effect's answer cut off. */
export interface KillFacts {
  /** A send: what the lost answer named (Secured Signing's document references, Signicat's order id). */
  references?: string[];
  /** A token answer at Secured Signing: sha256 of the refresh token it spent (rotated away; its successor lost). */
  spentRefreshToken?: string;
}

export interface ProviderSide {
  name: ProviderName;
  displayName: string;
  /** The `provider:` mapping (flow YAML), its secrets as `${VAR}` from `env`. */
  configYaml: string;
  env: Record<string, string>;
  /** Every secret the daemon is given for the provider: none may appear in its output. */
  secrets: string[];
  /** The simulator's call log (effect-tap.ts instruments it). */
  calls: ObservedCall[];
  /** The effect a successful answer carries out, or null. */
  effectOf(call: ObservedCall, status: number): EffectKind | null;
  /** Sent requests still open to their signers (the simulated provider's `unsigned()`). */
  unsigned(): Array<{ key: string; request: SimulatedRequest }>;
  /** Every signer signs; the provider mails the return address as it would (awaited). */
  signAll(request: SimulatedRequest): Promise<void>;
  /** The name the provider's evidence of the (only) document gets on the record with servicenow.attach_certificate. */
  certificateName: string;
  /** Why `bytes` is not that document's evidence as the provider's API serves it, or null when it is. */
  certificateProblem(request: SimulatedRequest, bytes: Uint8Array): Promise<string | null>;
  /** The next signer signs (the last one's signature completes the request, and the provider mails as it would); resolves whether everyone has signed now. */
  signNext(request: SimulatedRequest): Promise<boolean>;
  /** The signed copy of the request's (only) document as the provider serves it, once signed. */
  signedCopy(request: SimulatedRequest): Promise<Uint8Array | undefined>;
  killFacts(kind: EffectKind, call: ObservedCall): KillFacts;
  /**
   * After a kill (a provider whose refresh tokens rotate): whether the daemon's chain is
   * lost — the provider takes neither a refresh token the daemon stored nor the one in its
   * configuration, because a kill cut a rotation's answer (the successor died with the
   * daemon). Any kill can land there, not only one timed to a token answer.
   */
  refreshChainLost?(storedRefreshTokens: string[]): boolean;
  /** The operator's fix for a lost chain: a new refresh token in the configuration (`env`), taken by the next daemon. */
  reauthorize?(): void;
  /** After a kill timed to a send: the provider answers the daemon's first look at what was sent with 503, once. */
  stumbleAfterSendKill(facts: KillFacts): void;
  /** Requests sent to the provider so far (progress). */
  sentCount(): number;
  /** Waits for mails the provider is still sending in the background. */
  quiet(): Promise<void>;
  /** `recordOfToken`: the record of a request token, from the daemon's database. */
  sends(recordOfToken: (token: string) => string | undefined): SendTally;
  /** Uploads no send ever used (counted, not failed: an upload whose answer was lost is repeated). */
  orphanUploads(): number;
  /** Every mail to the return address, and problems with them at the provider (not sent, too many). */
  mails(recordOfToken: (token: string) => string | undefined, sent: SendTally['sent']): { mails: ProviderMail[]; problems: string[] };
  close(): Promise<void>;
}

export interface ProviderSideOptions {
  /** Where the provider mails (the relay into Dovecot). */
  smtp: { host: string; port: number };
  /** Secured Signing: the lifetime of its access tokens (s). Signicat's simulator keeps its own (600 s). */
  accessTokenLifetimeSeconds: number;
}

export function startProviderSide(name: ProviderName, options: ProviderSideOptions): Promise<ProviderSide> {
  return name === 'signicat' ? signicatSide(options) : securedSigningSide(options);
}
