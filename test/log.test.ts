import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';

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
