// A service that answers with a redirect (its address moved, a proxy's login page): signrelay
// never follows one. Followed, a 307/308 resends the body — a token form's client secret, a
// file — to an address nobody configured, a 303 turns a POST or PATCH into a GET whose answer
// passed for the call's, and a streamed upload failed as if the network had. Each service's
// client gets a `config` error naming the setting to fix and where the redirect pointed (its
// origin only: a Location may carry a signed query), and the address pointed to gets nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import type { SignrelayError } from '../../src/errors.ts';
import { redirectRefused, type ServiceNames } from '../../src/http/network-failure.ts';
import { createMailTokenSource, memoryTokenStore as mailTokenStore } from '../../src/mail/mail-oauth-token.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { createSignicatClient } from '../../src/providers/signicat/client.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { memoryTokenStore, providerConfig } from '../sandbox/fixtures.ts';
import { basicAuth, SN_PASSWORD, snConfig } from '../servicenow/fixtures.ts';

interface Served {
  url: string;
  origin: string;
  seen: Array<{ method: string; path: string; body: string }>;
  close(): void;
}

/** A server that reads each request whole, records it, and answers `status` with `headers` (200 and `{}` by default). */
async function serve(status = 200, headers: Record<string, string> = { 'Content-Type': 'application/json' }): Promise<Served> {
  const seen: Served['seen'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, body: Buffer.concat(chunks).toString('latin1') });
      res.writeHead(status, headers);
      res.end(status === 200 ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  return { url: origin, origin, seen, close: () => server.close() };
}

const servers: Array<ReturnType<typeof createServer>> = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: SignrelayError) => err);
/** A Location to the other server with credentials and a signed query that must not be printed. */
const elsewhereFrom = (other: Served) => other.url.replace('http://', 'http://user:pw-in-location@') + '/moved/here?sig=secret-in-query';

describe('ServiceNow answering with a redirect', () => {
  it('an attachment answered 307: not sent again elsewhere; a config error naming servicenow.instance_url and the origin only', async () => {
    const elsewhere = await serve();
    const moved = await serve(307, { Location: elsewhereFrom(elsewhere) });
    const dir = mkdtempSync(join(tmpdir(), 'redirect-'));
    try {
      const path = join(dir, 'signed.pdf');
      writeFileSync(path, '%PDF-1.7\n%%EOF\n');
      const client = createServiceNowClient({ config: snConfig(moved.url, basicAuth(SN_PASSWORD)), tokenStore: memoryTokenStore() });
      const error = await caught(client.uploadAttachment({ table: 'sc_req_item', sysId: 'a'.repeat(32), fileName: 'signed.pdf', bytes: { path, size: 15 } }));
      expect(error).toMatchObject({ kind: 'config', code: 'servicenow_redirected' });
      expect(error.message).toContain(`with a redirect (HTTP 307 to ${elsewhere.origin})`);
      expect(error.message).toContain('set servicenow.instance_url to the address ServiceNow answers on');
      expect(error.message).not.toMatch(/secret-in-query|pw-in-location|moved\/here/);
      expect(moved.seen.map((r) => r.method)).toEqual(['POST']);
      expect(elsewhere.seen).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a work note answered 303 to a login page: not turned into a GET that would pass for the note; the error says so', async () => {
    const moved = await serve(303, { Location: '/login.do?sysparm_goto_url=x' });
    const client = createServiceNowClient({ config: snConfig(moved.url, basicAuth(SN_PASSWORD)), tokenStore: memoryTokenStore() });
    const error = await caught(client.addWorkNote('sc_req_item', 'a'.repeat(32), 'Signed by Ann Lee'));
    expect(error).toMatchObject({ kind: 'config', code: 'servicenow_redirected' });
    expect(error.message).toContain('(HTTP 303 to another path of the same address)');
    expect(error.message).toContain('a login page?');
    expect(moved.seen.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([`PATCH /api/now/table/sc_req_item/${'a'.repeat(32)}`]);
  });
});

describe('a provider\'s token endpoint answering with a redirect', () => {
  it('Secured Signing, 308: the refresh token and API secret are not sent on to the other address', async () => {
    const elsewhere = await serve();
    const moved = await serve(308, { Location: elsewhereFrom(elsewhere) });
    const client = createSecuredSigningClient({
      config: providerConfig({ url: moved.url, oauthUrl: moved.url }, { refresh_token: 'refresh-token-never-resent' }), tokenStore: memoryTokenStore(),
    });
    const error = await caught(client.accountInfo());
    expect(error).toMatchObject({ kind: 'config', code: 'provider_redirected' });
    expect(error.message).toContain(`(HTTP 308 to ${elsewhere.origin})`);
    expect(error.message).toContain('provider.environment (and provider.oauth_url)');
    expect(moved.seen).toHaveLength(1);
    expect(moved.seen[0]!.body).toContain('refresh-token-never-resent'); // it went to the configured address, once
    expect(elsewhere.seen).toEqual([]);
  });

  it('Signicat, 302: the client secret is not sent on, and no GET answers for the token', async () => {
    const elsewhere = await serve();
    const moved = await serve(302, { Location: elsewhereFrom(elsewhere) });
    const config = configSchema.shape.provider.parse({
      type: 'signicat', base_url: moved.url, token_url: `${moved.url}/auth/open/connect/token`, client_id: 'client-1', client_secret: 'client-secret-never-resent',
      signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }], timeout_seconds: 5,
    });
    if (config.type !== 'signicat') throw new Error('not a signicat config');
    const error = await caught(createSignicatClient({ config }).accountInfo());
    expect(error).toMatchObject({ kind: 'config', code: 'provider_redirected' });
    expect(error.message).toContain('provider.base_url (and provider.token_url)');
    expect(moved.seen).toHaveLength(1);
    expect(elsewhere.seen).toEqual([]);
  });
});

describe('a mail login\'s token endpoint answering with a redirect', () => {
  it('Microsoft 365, 307: the client secret is not sent on; the error names the auth\'s token_url', async () => {
    const elsewhere = await serve();
    const moved = await serve(307, { Location: elsewhereFrom(elsewhere) });
    const source = createMailTokenSource({
      auth: { type: 'oauth2', provider: 'microsoft', tenant: 'contoso.example', client_id: 'app', client_secret: 'mail-secret-never-resent', token_url: `${moved.url}/token` },
      settings: ['mailboxes.requests.auth'], name: 'mail:requests', store: mailTokenStore(),
    });
    const error = await caught(source.accessToken());
    expect(error).toMatchObject({ kind: 'config', code: 'mail_oauth_redirected' });
    expect(error.message).toContain(`(HTTP 307 to ${elsewhere.origin})`);
    expect(error.message).toContain('set mailboxes.requests.auth.token_url to the address');
    expect(moved.seen).toHaveLength(1);
    expect(elsewhere.seen).toEqual([]);
  });
});

describe('redirectRefused', () => {
  const names: ServiceNames = { service: 'Example', codePrefix: 'example', section: 'example', urlSetting: 'example.url' };
  const answer = (status: number, location?: string) => ({ status, headers: new Headers(location === undefined ? {} : { Location: location }) });

  it('is nothing for an answer that is not a redirect', () => {
    for (const status of [200, 204, 299, 400, 401, 404, 500]) expect(redirectRefused(names, 'x', answer(status, '/elsewhere'))).toBeUndefined();
  });

  it('prints where an absolute Location points as its origin, nothing of its path, query or credentials', () => {
    const error = redirectRefused(names, 'attach a file (POST /api)', answer(301, 'https://a:b@new.example.com:8443/p/q?token=t#f'))!;
    expect(error.message).toBe('Example answered the call to attach a file (POST /api) with a redirect (HTTP 301 to https://new.example.com:8443); ' +
      'signrelay does not follow redirects, which would send its credentials and files where nobody configured them: set example.url to the address Example answers on');
  });

  it('says a relative Location is the same address; a missing or unreadable one, nothing of where', () => {
    expect(redirectRefused(names, 'x', answer(302, 'login.do'))!.message).toContain('(HTTP 302 to another path of the same address)');
    expect(redirectRefused(names, 'x', answer(307))!.message).toContain('with a redirect (HTTP 307);');
    expect(redirectRefused(names, 'x', answer(307, 'javascript:alert(1)'))!.message).toContain('with a redirect (HTTP 307);');
    expect(redirectRefused(names, 'x', answer(307, 'https://evil.example/\u001b[2J'))!.message).toContain('(HTTP 307 to https://evil.example)');
  });
});
