// `provider` is a union on `type`: each type with only its own settings, errors naming the
// path, and a configuration written before there was a choice loading as Secured Signing.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';

const BASE = `mailboxes:
  requests: {host: imap.example, user: u, password: p, address: sign@corp.example}
  returns: {address: returns@corp.example, user: r, password: p}
smtp: {host: smtp.example, from: "signrelay <sign@corp.example>"}
servicenow: {instance_url: "https://acme.service-now.com", auth: {type: basic, user: u, password: p}}
routes: {default: {}}
`;
const load = (provider: string) => parseConfigText(`${BASE}provider: ${provider}\n`, 'signrelay.yaml');
const problems = (provider: string) => {
  try {
    load(provider);
  } catch (err) {
    return (err as Error).message.split('\n').slice(1).map((l) => l.trim());
  }
  throw new Error('the configuration loaded');
};

describe('provider', () => {
  it('without type is Secured Signing, as every configuration before the choice was', () => {
    expect(load('{api_key: k, api_secret: s, referer: "https://corp.example"}').provider).toMatchObject({ type: 'secured-signing', environment: 'sandbox', recipient_letter: 'C' });
  });

  it('takes C or N as the recipient tag\'s letter, and refuses another: no completion mail would come back', () => {
    expect(load('{api_key: k, api_secret: s, referer: "https://corp.example", recipient_letter: N}').provider).toMatchObject({ recipient_letter: 'N' });
    expect(problems('{api_key: k, api_secret: s, referer: "https://corp.example", recipient_letter: Z}').join('\n')).toContain('provider.recipient_letter: expected C (a completion recipient');
  });

  it('signicat takes its own settings, with defaults for the new platform', () => {
    expect(load('{type: signicat, client_id: c, client_secret: s, signature_methods: [{name: nbid-sign, type: SIGNED_STATEMENT}]}').provider).toEqual({
      type: 'signicat', base_url: 'https://api.signicat.com/enterprise/sign', token_url: 'https://api.signicat.com/auth/open/connect/token',
      client_id: 'c', client_secret: 's', client_auth: 'form', scope: 'signicat-api', signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }],
      language: 'en', days_until_deletion: 30, packaging: 'none', send_result_to_archive: false, send_notice_wait_seconds: 900, timeout_seconds: 60, tls_verify: true,
    });
  });

  it.each([
    ['{type: signicat}', ['provider.client_id: required setting is missing', 'provider.client_secret: required setting is missing', 'provider.signature_methods: required setting is missing']],
    ['{type: docusign}', ['provider.type: expected type secured-signing or signicat']],
    ['{type: signicat, client_id: c, client_secret: s, signature_methods: [{name: x, type: SIGNED_STATEMENT}], api_key: k}', ['provider: unknown setting api_key (see config/signrelay.example.yaml)']],
    ['{type: signicat, client_id: c, client_secret: s, signature_methods: [{name: x, type: SIGNED}], days_until_deletion: 31, language: xx}', [
      'provider.signature_methods.0.type: expected AUTHENTICATION_BASED, SIGNED_STATEMENT or THIRD_PARTY',
      'provider.language: expected a language Signicat offers: ca, da, nl, en, et, fo, fi, fr, de, kl, it, nb, nn, es or sv',
      'provider.days_until_deletion: expected a number of days from 1 to 30',
    ]],
    ['{type: secured-signing, api_key: k, api_secret: s, referer: "https://corp.example", client_id: c}', ['provider: unknown setting client_id (see config/signrelay.example.yaml)']],
    ['{type: signicat, client_id: c, client_secret: s, signature_methods: [{name: x, type: SIGNED_STATEMENT}], base_url: "https://c:Pw9@api.signicat.com/enterprise/sign", token_url: "https://c@api.signicat.com/auth/open/connect/token"}', [
      'provider.base_url: remove "user:password@" from the URL; signrelay logs in to Signicat with provider.client_id and provider.client_secret',
      'provider.token_url: remove "user@" from the URL; signrelay logs in to Signicat with provider.client_id and provider.client_secret',
    ]],
  ])('%s is refused, naming each path', (provider, expected) => {
    expect(problems(provider).sort()).toEqual([...expected].sort());
  });
});
