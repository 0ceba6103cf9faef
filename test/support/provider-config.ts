// The Secured Signing branch of a loaded configuration, for tests that configure it (the
// provider setting is a union on `type`): fails loudly if the configuration says otherwise.
import { configSchema, type Config, type SecuredSigningConfig, type SignicatConfig } from '../../src/config/schema.ts';

export function securedSigningOf(config: Pick<Config, 'provider'>): SecuredSigningConfig {
  if (config.provider.type !== 'secured-signing') throw new Error(`expected provider.type secured-signing, not ${config.provider.type}`);
  return config.provider;
}

/** A Signicat provider configuration as the schema reads it (its defaults filled in), with the test client's credentials. */
export function signicatConfig(overrides: Record<string, unknown>): SignicatConfig {
  const parsed = configSchema.shape.provider.parse({
    type: 'signicat', client_id: 'signrelay-test', client_secret: 'sig-secret-never-show-42',
    signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }], timeout_seconds: 5, ...overrides,
  });
  if (parsed.type !== 'signicat') throw new Error('not a signicat config');
  return parsed;
}
