// The face every simulated provider shows (simulated-provider.ts starts one by name).
import type { ProviderName } from '../providers/provider.ts';
import type { ProviderStory } from './provider-story.ts';
import type { SecretRef } from './secret-writer.ts';
import type { SimulatedRequest } from './simulated-request.ts';

export interface SimulatedProvider {
  name: ProviderName;
  displayName: string;
  /** The API base URL signrelay is configured with. */
  url: string;
  /** The secret the configuration must name (`provider.api_secret` / `provider.client_secret`). */
  secret: string;
  /** Every secret the `provider:` mapping names, by name (e.g. `ss-api-secret`, `signicat-client-secret`); the main one first. */
  secrets: Record<string, string>;
  /** The `provider:` mapping (flow YAML) pointing signrelay at the simulator; `secretRef` says how its secrets are written. */
  configYaml(secretRef: SecretRef): string;
  /** Every signer signs every document; the provider mails the return address as it would. */
  signAll(request: SimulatedRequest): Promise<void>;
  /**
   * The next signer in signing order signs every document — one person at a time, as the
   * provider's status then reports it; the last one completes the request (the provider
   * mails as it would). Resolves with how many signers have signed now.
   */
  signNext(request: SimulatedRequest): Promise<number>;
  /** The first signer who has not signed declines, with a reason. */
  decline(request: SimulatedRequest, reason: string): Promise<void>;
  /** The request's time runs out. */
  expire(request: SimulatedRequest): Promise<void>;
  /** Who the provider was asked to invite (in order) and where it will mail the completed signing. */
  asked(request: SimulatedRequest): { signers: string[]; returnAddresses: string[] };
  /** Whether the provider mails the return address by itself when a signer declines or the request expires. */
  mailsRefusals: boolean;
  /** The signed copy of a document as the API serves it. */
  signedCopy(request: SimulatedRequest, index: number): Promise<Uint8Array>;
  /**
   * Why `bytes` is not the document's evidence as the provider's API serves it (Secured
   * Signing: its completion certificate; Signicat: every task's events, as signrelay
   * gathers them), or null when it is.
   */
  certificateProblem(request: SimulatedRequest, index: number, bytes: Uint8Array): Promise<string | null>;
  /** Successful calls that must happen once per document (uploads) or once per request (sends), and downloads. */
  counts(): { uploads: number; sends: number; downloads: number };
  /** Sent requests whose signers have not all signed, nor declined, nor run out of time (the sandbox signs them); `key` names one. */
  unsigned(): Array<{ key: string; request: SimulatedRequest }>;
  /** What happened at the simulator, in the provider's words (the demo prints it). */
  story: ProviderStory;
  close(): Promise<void>;
}

export interface SimulatedProviderOptions {
  /** Where the provider mails (completion mails, Signicat's notifications). */
  smtp?: { host: string; port: number };
  /** Secured Signing: the Referer its key is registered for. */
  referer?: string;
  /** The provider secret (API secret, client secret); random when absent. */
  secret?: string;
  /** Secured Signing: the API key. */
  apiKey?: string;
}
