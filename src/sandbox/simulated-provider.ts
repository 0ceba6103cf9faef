// Either provider's simulator behind one face, for everything that plays the signing side:
// the demo, the sandbox, the integration tests and the chaos run. It starts the simulator,
// says how the configuration points signrelay at it, plays the signers (everyone signs,
// one declines, the request expires), hands out the copy the API serves, counts the
// effects that must happen once (uploads, sends, downloads), and tells the demo what
// happened in the provider's words (its `story`, provider-story.ts). A request is named by
// what signrelay stored for it: its order id (Signicat) and its document references.
// Each provider's side lives in its own file (simulated-secured-signing.ts, simulated-signicat.ts).
import type { ProviderName } from '../providers/provider.ts';
import type { ProviderStory } from './provider-story.ts';
import type { SecretRef } from './secret-writer.ts';
import type { SecuredSigningSimulator } from './secured-signing/server.ts';
import { simulatedSecuredSigning } from './simulated-secured-signing.ts';
import { simulatedSignicat } from './simulated-signicat.ts';
import type { SignicatSimulator } from './signicat/server.ts';

export const PROVIDER_NAMES: readonly ProviderName[] = ['secured-signing', 'signicat'];

/** A request as the simulator knows it: what signrelay stored when it sent it. */
export interface SimulatedRequest {
  providerOrderId: string | null;
  /** Per document, in order: the reference signrelay uploaded it under. */
  references: string[];
}

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

export async function startSimulatedProvider(name: ProviderName, options: SimulatedProviderOptions = {}): Promise<SimulatedProvider & { securedSigning?: SecuredSigningSimulator; signicat?: SignicatSimulator }> {
  return name === 'signicat' ? simulatedSignicat(options) : simulatedSecuredSigning(options);
}

/** The provider a `--provider` value names (absent: secured-signing), or the usage mistake to report. */
export function providerOption(value: string | undefined): { name: ProviderName } | { problem: string } {
  if (value === undefined) return { name: 'secured-signing' };
  const name = PROVIDER_NAMES.find((n) => n === value);
  return name ? { name } : { problem: `--provider is ${PROVIDER_NAMES.join(' or ')}, not ${JSON.stringify(value)}` };
}
