// The XOAUTH2 token sources of one configuration: one per set of credentials, shared by
// every account that uses the same ones — the return mailbox that inherits the request
// account's auth, an SMTP block with the same app — so one token serves them all and a
// Google refresh token is never spent by two chains at once. Stored as `mail:<account>`
// after the first account that uses it.
import type { Config, MailAuthConfig } from '../config/schema.ts';
import { returnAccountOf } from '../config/return-account.ts';
import { createMailTokenSource, credentialsSeed, type MailTokenSource, type MailTokenStore } from './mail-oauth-token.ts';

export interface MailTokenSources {
  requests?: MailTokenSource | undefined;
  returns?: MailTokenSource | undefined;
  smtp?: MailTokenSource | undefined;
}

export interface MailTokenSourcesOptions {
  store: MailTokenStore;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Where each account's `auth` is set; the return account may inherit the request account's. */
function authSettings(config: Config): Array<{ account: keyof MailTokenSources; auth: MailAuthConfig | undefined; setting: string }> {
  const returns = config.mailboxes.returns;
  return [
    { account: 'requests', auth: config.mailboxes.requests.auth, setting: 'mailboxes.requests.auth' },
    { account: 'returns', auth: returnAccountOf(config).auth, setting: returns.auth ? 'mailboxes.returns.auth' : 'mailboxes.requests.auth' },
    { account: 'smtp', auth: config.smtp.auth, setting: 'smtp.auth' },
  ];
}

export function createMailTokenSources(config: Config, options: MailTokenSourcesOptions): MailTokenSources {
  const uses = new Map<string, { first: keyof MailTokenSources; settings: string[]; auth: Extract<MailAuthConfig, { type: 'oauth2' }> }>();
  const seedOf: Partial<Record<keyof MailTokenSources, string>> = {};
  for (const { account, auth, setting } of authSettings(config)) {
    if (auth?.type !== 'oauth2') continue;
    // In memory only: the same credentials, secret included, share one source.
    const seed = JSON.stringify([credentialsSeed(auth), auth.client_secret]);
    seedOf[account] = seed;
    const use = uses.get(seed);
    if (!use) uses.set(seed, { first: account, settings: [setting], auth });
    else if (!use.settings.includes(setting)) use.settings.push(setting);
  }
  const sources = new Map<string, MailTokenSource>();
  for (const [seed, use] of uses) {
    sources.set(seed, createMailTokenSource({
      auth: use.auth, settings: use.settings, name: `mail:${use.first}`, store: options.store, fetch: options.fetch, now: options.now,
    }));
  }
  const sourceOf = (account: keyof MailTokenSources) => (seedOf[account] === undefined ? undefined : sources.get(seedOf[account]));
  return { requests: sourceOf('requests'), returns: sourceOf('returns'), smtp: sourceOf('smtp') };
}
