// Every secret value in a loaded configuration, by the setting that holds it. The logger
// masks them all (secrets-of.ts); the credential ages (credential-age.ts) follow those an
// operator rotates. Kept beside the schema: a new secret setting must be added here too (a
// test walks the schema for setting names that look secret and checks they are listed).
import type { Config, MailAuthConfig } from './schema.ts';

export interface SecretSetting {
  /** The setting's path in the configuration: `provider.api_secret`. */
  setting: string;
  value: string;
  /**
   * Whether its age is followed. Refresh tokens are not: the provider replaces them as they
   * are used (kept in the database) and `signrelay authorize` issues a new one; they are
   * grants of the credentials below, not credentials an operator rotates.
   */
  rotated: boolean;
}

export function secretSettings(config: Config): SecretSetting[] {
  const found: SecretSetting[] = [];
  const add = (setting: string, value: string | undefined, rotated = true) => {
    if (typeof value === 'string' && value.length > 0) found.push({ setting, value, rotated });
  };
  const mailAuth = (path: string, auth: MailAuthConfig | undefined) => {
    if (auth?.type !== 'oauth2') return;
    add(`${path}.auth.client_secret`, auth.client_secret);
    add(`${path}.auth.refresh_token`, auth.refresh_token, false);
  };
  add('mailboxes.requests.password', config.mailboxes.requests.password);
  mailAuth('mailboxes.requests', config.mailboxes.requests.auth);
  add('mailboxes.returns.password', config.mailboxes.returns.password);
  mailAuth('mailboxes.returns', config.mailboxes.returns.auth);
  add('smtp.password', config.smtp.password);
  mailAuth('smtp', config.smtp.auth);
  const provider = config.provider;
  if (provider.type === 'signicat') {
    add('provider.client_secret', provider.client_secret);
  } else {
    add('provider.api_key', provider.api_key);
    add('provider.api_secret', provider.api_secret);
    add('provider.refresh_token', provider.refresh_token, false);
  }
  const auth = config.servicenow.auth;
  add('servicenow.auth.password', auth.password);
  if (auth.type === 'oauth') add('servicenow.auth.client_secret', auth.client_secret);
  return found;
}
