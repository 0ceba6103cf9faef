// Every setting whose name looks secret must be masked in logs: walk the schema and check
// that a configuration with a distinct value in each such setting has all of them listed.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { secretsOf } from '../../src/config/secrets-of.ts';
import { secretSettings } from '../../src/config/secret-settings.ts';
import { isSecretName } from '../../src/log.ts';

const yaml = (auth: string) => `
mailboxes:
  requests: {host: h, user: u, password: s-imap, address: sign@corp.example}
  returns: {address: returns@corp.example, user: r, password: s-returns}
smtp: {host: h, from: sign@corp.example, user: u, password: s-smtp}
provider: {api_key: s-key, api_secret: s-secret, refresh_token: s-refresh, referer: https://corp.example}
servicenow: {instance_url: "https://acme.service-now.com", auth: ${auth}}
routes: {default: {}}
`;

describe('secretsOf', () => {
  it('lists every secret setting (basic auth)', () => {
    expect(secretsOf(parseConfigText(yaml('{type: basic, user: u, password: s-sn}'), 't.yaml')).sort())
      .toEqual(['s-imap', 's-key', 's-refresh', 's-returns', 's-secret', 's-smtp', 's-sn'].sort());
  });

  it('lists every secret setting (OAuth)', () => {
    expect(secretsOf(parseConfigText(yaml('{type: oauth, client_id: c, client_secret: s-client, user: u, password: s-sn}'), 't.yaml'))).toEqual(
      expect.arrayContaining(['s-client', 's-sn']));
  });

  it('covers every setting whose name says secret', () => {
    const config = parseConfigText(yaml('{type: oauth, client_id: c, client_secret: s-client, user: u, password: s-sn}'), 't.yaml');
    const listed = new Set(secretsOf(config));
    const secretLooking: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      else if (typeof value === 'string' && isSecretName(path.split('.').at(-1)!)) secretLooking.push(path);
    };
    walk(config, '');
    expect(secretLooking.filter((path) => !listed.has(path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config) as string))).toEqual([]);
  });

  it('names each secret by the setting that holds it; refresh tokens are not rotated by the operator', () => {
    const config = parseConfigText(yaml('{type: oauth, client_id: c, client_secret: s-client, user: u, password: s-sn}'), 't.yaml');
    const settings = secretSettings(config);
    for (const { setting, value } of settings) {
      expect(setting.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config), setting).toBe(value);
    }
    expect(settings.filter((s) => s.rotated).map((s) => s.setting).sort()).toEqual([
      'mailboxes.requests.password', 'mailboxes.returns.password', 'provider.api_key', 'provider.api_secret',
      'servicenow.auth.client_secret', 'servicenow.auth.password', 'smtp.password',
    ]);
    expect(settings.filter((s) => !s.rotated).map((s) => s.setting)).toEqual(['provider.refresh_token']);
  });

  it('follows the Signicat client secret and a mail account\'s OAuth2 client secret', () => {
    const text = yaml('{type: oauth, grant: client_credentials, client_id: c, client_secret: s-client}')
      .replace('provider: {api_key: s-key, api_secret: s-secret, refresh_token: s-refresh, referer: https://corp.example}',
        'provider: {type: signicat, client_id: c, client_secret: s-signicat, signature_methods: [{name: nbid-sign, type: SIGNED_STATEMENT}]}')
      .replace('requests: {host: h, user: u, password: s-imap,', 'requests: {host: h, user: u, auth: {type: oauth2, provider: microsoft, tenant: t, client_id: c, client_secret: s-m365},');
    const settings = secretSettings(parseConfigText(text, 't.yaml'));
    expect(settings.filter((s) => s.rotated).map((s) => [s.setting, s.value]).sort()).toEqual([
      ['mailboxes.requests.auth.client_secret', 's-m365'], ['mailboxes.returns.password', 's-returns'], ['provider.client_secret', 's-signicat'],
      ['servicenow.auth.client_secret', 's-client'], ['smtp.password', 's-smtp'],
    ]);
  });
});
