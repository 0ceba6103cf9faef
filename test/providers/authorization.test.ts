// `signrelay authorize` through the seam: Secured Signing with OAuth2 has a flow, a key
// without OAuth2 and Signicat (client credentials) have nothing to authorize, and say why.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { authorizationFlow } from '../../src/providers/authorization.ts';
import { securedSigningTokenName } from '../../src/providers/secured-signing/token-row.ts';

const provider = (value: Record<string, unknown>) => configSchema.shape.provider.parse(value);
const SS = { api_key: 'k', api_secret: 's', referer: 'https://corp.example', environment: 'https://api.example/web' };

describe('authorizationFlow', () => {
  it('Secured Signing with OAuth2: the authorize URL carries the key, the redirect, the scope and the state', () => {
    const flow = authorizationFlow(provider(SS));
    if ('nothing' in flow) throw new Error(flow.nothing);
    const url = new URL(flow.authorizeUrl({ redirectUri: 'http://127.0.0.1:8765/callback', scope: 'Basic SmartTag', state: 'st8' }));
    expect(Object.fromEntries(url.searchParams)).toEqual({ response_type: 'code', client_id: 'k', redirect_uri: 'http://127.0.0.1:8765/callback', scope: 'Basic SmartTag', state: 'st8' });
    expect(flow.tokenName).toBe(securedSigningTokenName('k')); // the key's own row: a rotation's new key does not replace the old key's tokens
  });

  it.each([
    ['a Secured Signing key without OAuth2', { ...SS, oauth: false }, /^provider\.oauth is false/],
    ['Signicat', { type: 'signicat', client_id: 'c', client_secret: 's', signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }] }, /^provider\.type is signicat, which signs in with client credentials .*: there is nothing to authorize/],
  ])('%s: nothing to authorize, and why', (_, value, why) => {
    const flow = authorizationFlow(provider(value));
    expect('nothing' in flow && flow.nothing).toMatch(why);
  });
});
