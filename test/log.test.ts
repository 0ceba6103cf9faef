import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskSecrets } from '../src/log.ts';

describe('the logger', () => {
  it('redacts secret fields and known secret values everywhere', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const log = createLogger({ format: 'json', stream, secrets: ['hunter2-secret'] });
    log.info('login with hunter2-secret failed', { password: 'pw-value', nested: { apiSecret: 'zzz', note: 'has hunter2-secret inside' }, user: 'bob' });
    await new Promise((r) => setImmediate(r));
    const line = chunks.join('');
    expect(line).not.toContain('hunter2-secret');
    expect(line).not.toContain('pw-value');
    expect(line).not.toContain('zzz');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toMatchObject({ message: 'login with [redacted] failed', password: '[redacted]', user: 'bob', nested: { apiSecret: '[redacted]', note: 'has [redacted] inside' } });
  });
});

describe('the logger on a terminal', () => {
  /** One line logged in `format`, as written. */
  async function logged(format: 'json' | 'text', message: string, fields: Record<string, unknown>): Promise<string> {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    createLogger({ format, stream }).warn(message, fields);
    await new Promise((r) => setImmediate(r));
    return chunks.join('');
  }
  // A rejection's reason quoting a request line: set the title, clear the screen, go up a line and overwrite it.
  const reason = 'Signer: x\x1b]0;PWNED\x07\x1b[2J\x1b[1A Signer accepted OK\r\nforged line \u009b2J \u202egnp.exe';

  it('writes outside text in a text line escaped: one line, no control or format character reaches the terminal', async () => {
    const line = await logged('text', `request rejected: ${reason}`, { reason, detail: { said: reason } });
    expect(line.trimEnd().split('\n')).toHaveLength(1);
    expect(line.trimEnd()).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    expect(line).toContain('request rejected: Signer: x\\x1b]0;PWNED\\x07\\x1b[2J');
    expect(line).toContain('reason=Signer: x\\x1b]0;PWNED');
  });

  it('writes a JSON line that parses back to what was logged, C1 and bidi characters escaped', async () => {
    const line = await logged('json', reason, { reason });
    expect(line.trimEnd()).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    expect(JSON.parse(line)).toMatchObject({ message: reason, reason });
  });
});

describe('maskSecrets', () => {
  const SECRETS = ['sn-pass-91c2', 'client-secret-77'];
  const b64 = (text: string, encoding: BufferEncoding = 'base64') => Buffer.from(text).toString(encoding);

  it.each([
    ['a secret as it is', 'login with sn-pass-91c2 refused', 'login with [redacted] refused'],
    ['basic auth: base64 of user:password', `Authorization: Basic ${b64('signrelay:sn-pass-91c2')}`, 'Authorization: Basic [redacted]'],
    ['base64 of user:password without the scheme', `credential ${b64('signrelay:sn-pass-91c2')} refused`, 'credential [redacted] refused'],
    ['SASL PLAIN', `AUTHENTICATE PLAIN ${b64('\0sign\0client-secret-77')}`, 'AUTHENTICATE PLAIN [redacted]'],
    ['base64url without padding', `token=${b64('client-secret-77', 'base64url')}`, 'token=[redacted]'],
    ['a bearer token nobody configured', 'sent Bearer eyJhbGciOi.J9xYz-42_a and failed', 'sent Bearer [redacted] and failed'],
    ['a basic credential of unknown users', 'Basic dXNlcjpwdw== was refused', 'Basic [redacted] was refused'],
    ['words after Basic or Bearer', 'Bearer tokens expire; Basic authentication is off', 'Bearer tokens expire; Basic authentication is off'],
    ['base64 of something else', `hash ${b64('an ordinary value')} stays`, `hash ${b64('an ordinary value')} stays`],
  ])('%s', (_name, text, expected) => {
    expect(maskSecrets(text, SECRETS)).toBe(expected);
  });

  it('ignores values too short to be secrets', () => {
    expect(maskSecrets('a bc def', ['a', 'bc', 'def'])).toBe('a bc def');
  });
});
