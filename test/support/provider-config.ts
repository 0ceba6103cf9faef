// The Secured Signing branch of a loaded configuration, for tests that configure it (the
// provider setting is a union on `type`): fails loudly if the configuration says otherwise.
import type { Config, SecuredSigningConfig } from '../../src/config/schema.ts';

export function securedSigningOf(config: Pick<Config, 'provider'>): SecuredSigningConfig {
  if (config.provider.type !== 'secured-signing') throw new Error(`expected provider.type secured-signing, not ${config.provider.type}`);
  return config.provider;
}
