import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newNonce, signatureHeaders } from '../../src/providers/secured-signing/auth-headers.ts';

describe('signatureHeaders', () => {
  it('matches a known answer (computed with openssl dgst -sha256 -hmac)', () => {
    const headers = signatureHeaders({ apiKey: 'demo-api-key', apiSecret: 'demo-secret', referer: 'https://corp.example', now: 1_700_000_000_999, nonce: 'abc123nonce' });
    expect(headers).toEqual({
      'X-CUSTOM-API-KEY': 'demo-api-key',
      'X-CUSTOM-DATE': '1700000000',
      'X-CUSTOM-NONCE': 'abc123nonce',
      'X-CUSTOM-SIGNATURE': 'WpZ4lw95jWRRWXgzCln3daExTtsWHVpctfA/wVk2gLc=',
      Referer: 'https://corp.example',
    });
  });

  it('follows the documented formula: base64(HMAC-SHA256(secret, key\\ndate\\nnonce))', () => {
    const input = { apiKey: 'K-Ünï', apiSecret: 's3cr3t/+=', referer: 'https://corp.example/cb', now: 1_234_567_890_000, nonce: 'n'.repeat(32) };
    const expected = createHmac('sha256', input.apiSecret).update('K-Ünï\n1234567890\n' + 'n'.repeat(32)).digest('base64');
    expect(signatureHeaders(input)['X-CUSTOM-SIGNATURE']).toBe(expected);
  });

  it('sends whole seconds as the date', () => {
    expect(signatureHeaders({ apiKey: 'k', apiSecret: 's', referer: 'r', now: 1_700_000_000_500, nonce: 'x' })['X-CUSTOM-DATE']).toBe('1700000000');
  });

  it('makes a fresh, short nonce each time', () => {
    const a = signatureHeaders({ apiKey: 'k', apiSecret: 's', referer: 'r', now: 0 });
    const b = signatureHeaders({ apiKey: 'k', apiSecret: 's', referer: 'r', now: 0 });
    expect(a['X-CUSTOM-NONCE']).not.toBe(b['X-CUSTOM-NONCE']);
    expect(a['X-CUSTOM-SIGNATURE']).not.toBe(b['X-CUSTOM-SIGNATURE']);
    expect(newNonce()).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses a nonce the service would refuse', () => {
    expect(() => signatureHeaders({ apiKey: 'k', apiSecret: 's', referer: 'r', now: 0, nonce: 'x'.repeat(33) })).toThrow(RangeError);
    expect(() => signatureHeaders({ apiKey: 'k', apiSecret: 's', referer: 'r', now: 0, nonce: '' })).toThrow(RangeError);
  });
});
