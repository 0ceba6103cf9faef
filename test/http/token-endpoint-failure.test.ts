// What a token endpoint's answer other than a token or a refusal of the credentials means —
// one rule for Secured Signing, Signicat and ServiceNow (fuzz review M1, M2): never a
// verdict on the request being worked on (no *_not_found, nothing permanent).
import { describe, expect, it } from 'vitest';
import { classifyTokenEndpointFailure } from '../../src/http/token-endpoint-failure.ts';
import { SECURED_SIGNING } from '../../src/providers/secured-signing/classify-error.ts';
import { SIGNICAT } from '../../src/providers/signicat/classify-error.ts';
import { SERVICENOW } from '../../src/servicenow/classify-error.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const answer = (status: number, body: unknown = '', headers: Record<string, string> = {}) => ({
  status, headers: new Headers(headers), bodyText: typeof body === 'string' ? body : JSON.stringify(body),
});
const ctx = { now: NOW, secrets: ['client-secret-9'], tokenSetting: 'provider.token_url' };

describe('classifyTokenEndpointFailure', () => {
  it.each([
    [500, 'transient', 'server_error'], [502, 'transient', 'server_error'], [503, 'transient', 'unavailable'],
    [429, 'transient', 'rate_limited'], [408, 'transient', 'timeout'],
    [404, 'config', 'token_endpoint'], [405, 'config', 'token_endpoint'], [409, 'config', 'token_endpoint'],
    [410, 'config', 'token_endpoint'], [418, 'config', 'token_endpoint'], [422, 'config', 'token_endpoint'], [451, 'config', 'token_endpoint'],
  ])('HTTP %i → %s', (status, kind, code) => {
    for (const names of [SECURED_SIGNING, SIGNICAT, SERVICENOW]) {
      for (const body of ['<html>page</html>', { ResponseStatus: { ErrorCode: 'NotFound', Message: 'x' } }, { error: { message: 'x' } }]) {
        const err = classifyTokenEndpointFailure(names, 'refresh the OAuth2 access token', answer(status, body), ctx);
        expect(err).toMatchObject({ kind, code: `${names.codePrefix}_${code}`, outcomeUnknown: false });
        expect(err.message).toContain(`${names.service}'s token endpoint answered HTTP ${status}`);
      }
    }
  });

  it('names the token URL setting, says the request is not at fault, and masks what the endpoint echoes', () => {
    const err = classifyTokenEndpointFailure(SIGNICAT, 'obtain an access token', answer(422, { error: 'bad', error_description: 'secret client-secret-9 given' }), ctx);
    expect(err.message).toMatch(/^Signicat's token endpoint answered HTTP 422: bad: secret \[redacted\] given when asked to obtain an access token: .*check provider\.token_url.*says nothing about the request/);
    expect(err.message).not.toContain('client-secret-9');
  });

  it('a redirect is the URL setting\'s; Retry-After is honoured', () => {
    expect(classifyTokenEndpointFailure(SERVICENOW, 'x', answer(302, '', { Location: 'https://sso.example/login' }), ctx)).toMatchObject({ kind: 'config', code: 'servicenow_redirected' });
    expect(classifyTokenEndpointFailure(SIGNICAT, 'x', answer(429, '', { 'Retry-After': '17' }), ctx).retryAfterSeconds).toBe(17);
  });
});
