// The mail `auth` settings: password stays the default (old configurations load as they
// are), oauth2 is checked per provider with messages by path, the return account inherits
// the request account's login, secrets are masked, and accounts with the same credentials
// share one token source.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { returnAccountOf, returnLoginSettings } from '../../src/config/return-account.ts';
import { secretsOf } from '../../src/config/secrets-of.ts';
import { createMailTokenSources } from '../../src/mail/mail-oauth-sources.ts';
import { memoryTokenStore } from '../../src/mail/mail-oauth-token.ts';

const MICROSOFT = '{type: oauth2, provider: microsoft, tenant: contoso.onmicrosoft.com, client_id: app-1, client_secret: s-ms-secret}';
const GOOGLE = '{type: oauth2, provider: google, client_id: g-1, client_secret: s-g-secret, refresh_token: s-g-refresh}';

function config(parts: { requests?: string; returns?: string; smtp?: string } = {}) {
  return parseConfigText(`
mailboxes:
  requests: {host: imap.corp.example, user: sign@corp.example, address: sign@corp.example, ${parts.requests ?? 'password: s-imap'}}
  returns: {address: returns@corp.example, ${parts.returns ?? 'folder: Returns'}}
smtp: {host: smtp.corp.example, from: sign@corp.example, ${parts.smtp ?? 'user: sign@corp.example, password: s-smtp'}}
provider: {api_key: k, api_secret: s, referer: https://corp.example}
servicenow: {instance_url: "https://acme.service-now.com", auth: {type: basic, user: u, password: p}}
routes: {default: {}}
`, 't.yaml', { env: {} });
}

describe('mail auth settings', () => {
  it('keeps password login the default: a configuration without auth loads unchanged', () => {
    const c = config();
    expect(c.mailboxes.requests.auth).toEqual({ type: 'password' });
    expect(c.mailboxes.requests.password).toBe('s-imap');
    expect(c.smtp.auth).toEqual({ type: 'password' });
    expect(returnAccountOf(c)).toMatchObject({ password: 's-imap', auth: { type: 'password' } });
  });

  it('says which settings the return mailbox logs in with: its own, or the request account\'s it shares', () => {
    expect(returnLoginSettings(config())).toEqual({ user: 'mailboxes.requests.user', password: 'mailboxes.requests.password' });
    expect(returnLoginSettings(config({ returns: 'folder: Returns, password: s-own' }))).toEqual({ user: 'mailboxes.requests.user', password: 'mailboxes.returns.password' });
    expect(returnLoginSettings(config({ returns: 'folder: Returns, user: returns, password: s-own' }))).toEqual({ user: 'mailboxes.returns.user', password: 'mailboxes.returns.password' });
  });

  it('accepts Microsoft app-only and Google refresh-token logins', () => {
    const c = config({ requests: `auth: ${MICROSOFT}`, smtp: `user: sign@corp.example, auth: ${GOOGLE}` });
    expect(c.mailboxes.requests.auth).toMatchObject({ type: 'oauth2', provider: 'microsoft', tenant: 'contoso.onmicrosoft.com' });
    expect(c.smtp.auth).toMatchObject({ type: 'oauth2', provider: 'google', refresh_token: 's-g-refresh' });
    // The return mailbox is a folder of the request account, and logs in the same way.
    expect(returnAccountOf(c).auth).toEqual(c.mailboxes.requests.auth);
  });

  it('names each wrong setting by its path', () => {
    expect(() => config({ requests: '' })).toThrow('mailboxes.requests.password: expected the IMAP password');
    expect(() => config({ requests: '' })).toThrow('or auth: {type: oauth2, …}');
    expect(() => config({ requests: `password: s-imap, auth: ${MICROSOFT}` })).toThrow('mailboxes.requests.password: not used with auth type oauth2: remove it');
    expect(() => config({ requests: 'auth: {type: oauth2, provider: microsoft, client_id: a, client_secret: b}' }))
      .toThrow('mailboxes.requests.auth.tenant: provider microsoft needs tenant');
    expect(() => config({ requests: 'auth: {type: oauth2, provider: google, client_id: a, client_secret: b}' }))
      .toThrow('mailboxes.requests.auth.refresh_token: provider google needs refresh_token');
    // Every problem at once: the provider's own needs beside the missing common settings.
    for (const missing of ['mailboxes.requests.auth.client_id: ', 'mailboxes.requests.auth.client_secret: ', 'mailboxes.requests.auth.tenant: provider microsoft needs tenant']) {
      expect(() => config({ requests: 'auth: {type: oauth2, provider: microsoft}' })).toThrow(missing);
    }
    expect(() => config({ requests: 'auth: {type: oauth2, provider: yahoo, client_id: a, client_secret: b}' }))
      .toThrow('mailboxes.requests.auth.provider: expected microsoft or google');
    expect(() => config({ requests: 'auth: {type: kerberos}' })).toThrow('mailboxes.requests.auth.type: expected {type: password} or {type: oauth2');
    expect(() => config({ requests: `auth: {type: oauth2, provider: microsoft, tenant: t, client_id: a, client_secret: b, token_url: "not a url"}` }))
      .toThrow('mailboxes.requests.auth.token_url: expected the http(s) URL of the token endpoint');
    expect(() => config({ smtp: `auth: ${MICROSOFT}` })).toThrow('smtp.user: auth type oauth2 needs user');
    expect(() => config({ returns: `user: returns@corp.example, password: s-r, auth: ${GOOGLE}` })).toThrow('mailboxes.returns.password: not used with auth type oauth2');
  });

  it('lists the client secrets and refresh tokens for masking', () => {
    const c = config({ requests: `auth: ${MICROSOFT}`, returns: `user: returns@corp.example, auth: ${GOOGLE}`, smtp: `user: sign@corp.example, auth: ${GOOGLE}` });
    expect(secretsOf(c)).toEqual(expect.arrayContaining(['s-ms-secret', 's-g-secret', 's-g-refresh']));
  });

  it('shares one token source between accounts with the same credentials, stored under the first', () => {
    const store = memoryTokenStore();
    const inherited = createMailTokenSources(config({ requests: `auth: ${MICROSOFT}`, smtp: `user: sign@corp.example, auth: ${MICROSOFT}` }), { store });
    expect(inherited.requests).toBeDefined();
    expect(inherited.returns).toBe(inherited.requests);
    expect(inherited.smtp).toBe(inherited.requests);
    expect(inherited.requests!.settings).toEqual(['mailboxes.requests.auth', 'smtp.auth']);

    const separate = createMailTokenSources(config({ requests: `auth: ${MICROSOFT}`, returns: `user: returns@corp.example, auth: ${GOOGLE}` }), { store });
    expect(separate.returns).not.toBe(separate.requests);
    expect(separate.returns!.settings).toEqual(['mailboxes.returns.auth']);
    expect(separate.smtp).toBeUndefined();

    // A return account with its own password does not inherit the request account's OAuth2.
    const own = createMailTokenSources(config({ requests: `auth: ${MICROSOFT}`, returns: 'user: returns@corp.example, password: s-r' }), { store });
    expect(own.returns).toBeUndefined();
  });
});
