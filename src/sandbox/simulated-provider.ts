// Either provider's simulator behind one face, for everything that plays the signing side:
// the demo, the sandbox, the integration tests and the chaos run. It starts the simulator,
// says how the configuration points signrelay at it, plays the signers (everyone signs,
// one declines, the request expires), hands out the copy the API serves, counts the
// effects that must happen once (uploads, sends, downloads), and tells the demo what
// happened in the provider's words (its `story`, provider-story.ts). A request is named by
// what signrelay stored for it: its order id (Signicat) and its document references.
// Each provider's side lives in its own file (simulated-secured-signing.ts, simulated-signicat.ts).
import type { ProviderName } from '../providers/provider.ts';
import type { SecuredSigningSimulator } from './secured-signing/server.ts';
import { simulatedSecuredSigning } from './simulated-secured-signing.ts';
import { simulatedSignicat } from './simulated-signicat.ts';
import type { SignicatSimulator } from './signicat/server.ts';
import type { SimulatedProvider, SimulatedProviderOptions } from './simulated-provider-types.ts';

export type { SimulatedProvider, SimulatedProviderOptions } from './simulated-provider-types.ts';
export type { SimulatedRequest } from './simulated-request.ts';

export const PROVIDER_NAMES: readonly ProviderName[] = ['secured-signing', 'signicat'];

export async function startSimulatedProvider(name: ProviderName, options: SimulatedProviderOptions = {}): Promise<SimulatedProvider & { securedSigning?: SecuredSigningSimulator; signicat?: SignicatSimulator }> {
  return name === 'signicat' ? simulatedSignicat(options) : simulatedSecuredSigning(options);
}

/** The provider a `--provider` value names (absent: secured-signing), or the usage mistake to report. */
export function providerOption(value: string | undefined): { name: ProviderName } | { problem: string } {
  if (value === undefined) return { name: 'secured-signing' };
  const name = PROVIDER_NAMES.find((n) => n === value);
  return name ? { name } : { problem: `--provider is ${PROVIDER_NAMES.join(' or ')}, not ${JSON.stringify(value)}` };
}
