// Every secret value in a loaded configuration, for the logger to mask wherever it
// appears. Kept beside the schema: a new secret setting must be added here too (a test
// walks the schema for setting names that look secret and checks they are listed).
import type { Config } from './schema.ts';

export function secretsOf(config: Config): string[] {
  const auth = config.servicenow.auth;
  const mailAuth = [config.mailboxes.requests.auth, config.mailboxes.returns.auth, config.smtp.auth]
    .flatMap((a) => (a?.type === 'oauth2' ? [a.client_secret, a.refresh_token] : []));
  return [
    config.mailboxes.requests.password,
    config.mailboxes.returns.password,
    config.smtp.password,
    ...mailAuth,
    ...(config.provider.type === 'signicat'
      ? [config.provider.client_secret]
      : [config.provider.api_key, config.provider.api_secret, config.provider.refresh_token]),
    auth.password,
    auth.type === 'oauth' ? auth.client_secret : undefined,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}
