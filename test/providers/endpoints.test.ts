import { describe, expect, it } from 'vitest';
import { resolveEndpoints } from '../../src/providers/secured-signing/endpoints.ts';

describe('resolveEndpoints', () => {
  const cases: Array<[string, { environment: string; oauth_url?: string }, { apiBase: string; oauthBase: string }]> = [
    ['sandbox', { environment: 'sandbox' }, { apiBase: 'https://api.dsx.co.nz/web/v1.4', oauthBase: 'https://www.dsx.co.nz/api/oauth2' }],
    ['production', { environment: 'production' }, { apiBase: 'https://api.securedsigning.com/web/v1.4', oauthBase: 'https://www.securedsigning.com/api/oauth2' }],
    ['a /web URL gets the version', { environment: 'https://api.example.net/web' }, { apiBase: 'https://api.example.net/web/v1.4', oauthBase: 'https://www.example.net/api/oauth2' }],
    ['a trailing slash is dropped', { environment: 'https://api.example.net/web/' }, { apiBase: 'https://api.example.net/web/v1.4', oauthBase: 'https://www.example.net/api/oauth2' }],
    ['a URL with a version keeps it', { environment: 'https://api.example.net/web/v1.3' }, { apiBase: 'https://api.example.net/web/v1.3', oauthBase: 'https://www.example.net/api/oauth2' }],
    ['a host without api. keeps its host', { environment: 'http://127.0.0.1:4010/web/v1.4' }, { apiBase: 'http://127.0.0.1:4010/web/v1.4', oauthBase: 'http://127.0.0.1:4010/api/oauth2' }],
    ['an oauth_url host gets the path', { environment: 'sandbox', oauth_url: 'https://login.example.net' }, { apiBase: 'https://api.dsx.co.nz/web/v1.4', oauthBase: 'https://login.example.net/api/oauth2' }],
    ['an oauth_url path is kept', { environment: 'sandbox', oauth_url: 'http://127.0.0.1:9/api/oauth2/' }, { apiBase: 'https://api.dsx.co.nz/web/v1.4', oauthBase: 'http://127.0.0.1:9/api/oauth2' }],
  ];
  it.each(cases)('%s', (_name, settings, expected) => {
    expect(resolveEndpoints(settings)).toEqual(expected);
  });
});
