// A provider's traits (provider.ts) from the configuration alone, for the parts that need
// to know what the provider is but talk to no API: stamping, the completion matcher,
// messages and notes, `explain` and `stamp`.
import type { ProviderConfig } from '../config/schema.ts';
import type { ProviderTraits } from './provider.ts';
import { securedSigningTraits } from './secured-signing/traits.ts';
import { signicatTraits } from './signicat/traits.ts';

export function providerTraits(config: ProviderConfig): ProviderTraits {
  return config.type === 'signicat' ? signicatTraits() : securedSigningTraits(config);
}

/** The provider of a configuration that names none: Secured Signing with its defaults. */
export function defaultProviderTraits(): ProviderTraits {
  return securedSigningTraits({ recipient_letter: 'C' });
}

/** "Secured Signing", "Signicat": for a request stored with this provider name. */
export function providerDisplayName(name: string): string {
  if (name === 'signicat') return signicatTraits().displayName;
  if (name === 'secured-signing' || name === '') return defaultProviderTraits().displayName;
  return name;
}

/** completion.allowed_senders, or the provider's own senders when the configuration names none. */
export function completionSenders(config: { provider: ProviderConfig; completion: { allowed_senders?: string[] | undefined } }): readonly string[] {
  return config.completion.allowed_senders ?? providerTraits(config.provider).defaultCompletionSenders;
}
