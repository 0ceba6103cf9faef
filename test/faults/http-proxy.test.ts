// The outside services through a company's HTTP proxy (HTTPS_PROXY, NO_PROXY), against a real
// CONNECT proxy on loopback and the simulators over https. The services are named by host
// names this machine cannot resolve (`*.test`): a call that did not go through the proxy
// could not reach them. What the proxy refuses is told with the variable to fix, never the
// proxy's password; the service's certificate is still verified through the tunnel.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SignrelayError } from '../../src/errors.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { createSignicatClient } from '../../src/providers/signicat/client.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { startSignicatSimulator, type SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { API_KEY, API_SECRET, REFERER, memoryTokenStore, providerConfig } from '../sandbox/fixtures.ts';
import { CLIENT_ID, CLIENT_SECRET } from '../sandbox/signicat-fixtures.ts';
import { basicAuth, SEED, SN_PASSWORD, snConfig, SN_USER } from '../servicenow/fixtures.ts';
import { signicatConfig } from '../support/provider-config.ts';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.ts';
import { createSelfSignedCert } from '../support/self-signed-cert.ts';

const SS_HOST = 'api.securedsigning.test';
const SN_HOST = 'corp.service-now.test';
const SIG_HOST = 'api.signicat.test';
const PROXY_PASSWORD = 'pr0xy:secret@42';

const dir = mkdtempSync(join(tmpdir(), 'signrelay-http-proxy-'));
const certs = { [SS_HOST]: createSelfSignedCert(SS_HOST), [SN_HOST]: createSelfSignedCert(SN_HOST), [SIG_HOST]: createSelfSignedCert(SIG_HOST) };
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, Object.values(certs).map((c) => c.cert.toString()).join('\n'));

let securedSigning: SecuredSigningSimulator;
let servicenow: ServiceNowSimulator;
let signicat: SignicatSimulator;
let proxy: ConnectProxy;
let loginProxy: ConnectProxy;

/** The simulator's address under the host name only the proxy knows. */
const named = (url: string, host: string) => url.replace('127.0.0.1', host);
const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  securedSigning = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: false, tls: certs[SS_HOST] });
  servicenow = await startServiceNowSimulator({ users: { [SN_USER]: SN_PASSWORD }, records: SEED, tls: certs[SN_HOST] });
  signicat = await startSignicatSimulator({ clients: { [CLIENT_ID]: { secret: CLIENT_SECRET } }, tls: certs[SIG_HOST] });
  const hosts = { [SS_HOST]: portOf(securedSigning.url), [SN_HOST]: portOf(servicenow.url), [SIG_HOST]: portOf(signicat.url) };
  proxy = await startConnectProxy({ hosts });
  loginProxy = await startConnectProxy({ hosts, login: `signrelay:${PROXY_PASSWORD}` });
});
afterAll(async () => {
  await Promise.all([securedSigning?.close(), servicenow?.close(), signicat?.close(), proxy?.close(), loginProxy?.close()]);
});

const saved = { ...process.env };
const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY'];
/** The environment the clients are made in (they read it then, as the daemon does at start). */
function environment(vars: Record<string, string>): void {
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, vars);
}
afterEach(() => {
  for (const name of PROXY_VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: SignrelayError) => err);

const services = [
  {
    name: 'Secured Signing', prefix: 'provider', host: SS_HOST, setting: 'provider.environment',
    call: (ca = caFile) => {
      const sim = { url: named(securedSigning.url, SS_HOST), oauthUrl: named(securedSigning.oauthUrl, SS_HOST) };
      return createSecuredSigningClient({ config: providerConfig(sim, { oauth: false, ca_file: ca }), tokenStore: memoryTokenStore() }).accountInfo();
    },
  },
  {
    name: 'ServiceNow', prefix: 'servicenow', host: SN_HOST, setting: 'servicenow.instance_url',
    call: (ca = caFile) => createServiceNowClient({ config: snConfig(named(servicenow.url, SN_HOST), basicAuth(), { ca_file: ca }), tokenStore: memoryTokenStore() })
      .findRecord('incident', 'INC0012345'),
  },
  {
    name: 'Signicat', prefix: 'provider', host: SIG_HOST, setting: 'provider.base_url',
    call: (ca = caFile) => createSignicatClient({
      config: signicatConfig({ base_url: named(signicat.url, SIG_HOST), token_url: named(signicat.tokenUrl, SIG_HOST), ca_file: ca }),
      tokenStore: memoryTokenStore(),
    }).accountInfo(),
  },
];

describe.each(services)('$name through an HTTP proxy', (service) => {
  it('is reached through the proxy HTTPS_PROXY names (Signicat: its token endpoint too)', async () => {
    environment({ HTTPS_PROXY: proxy.url });
    const before = proxy.tunnels.length;
    expect(await service.call()).toBeTruthy();
    const seen = proxy.tunnels.slice(before).map((t) => t.target);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([`${service.host}:${seen[0]!.split(':')[1]}`]));
  });

  it('cannot be reached without it: the host is known only to the proxy', async () => {
    environment({});
    const err = await caught(service.call());
    expect(err).toMatchObject({ kind: 'transient', code: `${service.prefix}_unreachable` });
    expect(err.message).toContain('ENOTFOUND');
  });

  it('gives the proxy its login from the URL, %-encoded characters decoded', async () => {
    environment({ https_proxy: loginProxy.url.replace('//', `//signrelay:${encodeURIComponent(PROXY_PASSWORD)}@`) });
    const before = loginProxy.tunnels.length;
    expect(await service.call()).toBeTruthy();
    expect(loginProxy.tunnels.slice(before).every((t) => t.login === `signrelay:${PROXY_PASSWORD}`)).toBe(true);
  });

  it('a proxy that asks for a login: a config error naming the variable and the form, no password shown', async () => {
    environment({ HTTPS_PROXY: loginProxy.url });
    const err = await caught(service.call());
    expect(err).toMatchObject({ kind: 'config', code: `${service.prefix}_proxy_login` });
    expect(err.message).toContain(`the proxy ${loginProxy.url} (HTTPS_PROXY) asks for a login (HTTP 407)`);
    expect(err.message).toContain('give the login in HTTPS_PROXY as http://USER:PASSWORD@HOST:PORT');
    expect(err.message).not.toMatch(/\n\s+at /);
  });

  it('a login the proxy refuses: told so, without the password', async () => {
    environment({ HTTPS_PROXY: loginProxy.url.replace('//', `//signrelay:${encodeURIComponent('wrong-pass-77')}@`) });
    const err = await caught(service.call());
    expect(err).toMatchObject({ kind: 'config', code: `${service.prefix}_proxy_login` });
    expect(err.message).toContain('it refused the login in HTTPS_PROXY');
    expect(err.message).not.toContain('wrong-pass-77');
    expect(JSON.stringify(err)).not.toContain('wrong-pass-77');
  });

  it('a proxy that does not run: its address and the variable, not the service\'s setting', async () => {
    const down = await startConnectProxy({ hosts: {} });
    await down.close();
    environment({ HTTPS_PROXY: down.url });
    const err = await caught(service.call());
    expect(err).toMatchObject({ kind: 'transient', code: `${service.prefix}_proxy_unreachable` });
    expect(err.message).toContain(`could not reach the proxy ${down.url} (HTTPS_PROXY) (ECONNREFUSED)`);
    expect(err.message).toContain('check HTTPS_PROXY');
  });

  it('a host the proxy does not let through: a config error saying what to ask for, or NO_PROXY', async () => {
    const strict = await startConnectProxy({ hosts: {} });
    try {
      environment({ HTTPS_PROXY: strict.url });
      const err = await caught(service.call());
      expect(err).toMatchObject({ kind: 'config', code: `${service.prefix}_proxy_refused` });
      expect(err.message).toContain(`refused to connect to ${service.name} (HTTP 403)`);
      expect(err.message).toContain(`let through the address in ${service.setting}`);
      expect(err.message).toContain('NO_PROXY');
    } finally {
      await strict.close();
    }
  });

  it('the service\'s certificate is still verified through the tunnel', async () => {
    environment({ HTTPS_PROXY: proxy.url });
    const otherCa = join(dir, 'other-ca.pem');
    writeFileSync(otherCa, createSelfSignedCert(service.host).cert);
    const err = await caught(service.call(otherCa));
    expect(err).toMatchObject({ kind: 'config', code: `${service.prefix}_tls_verify` });
    expect(err.message).toContain(`through the proxy ${proxy.url}`);
  });

  it('NO_PROXY sends the host directly', async () => {
    environment({ HTTPS_PROXY: proxy.url, NO_PROXY: `localhost,.${service.host.split('.').slice(1).join('.')}` });
    const before = proxy.tunnels.length;
    const err = await caught(service.call());
    expect(err.message).toContain('ENOTFOUND');
    expect(proxy.tunnels.length).toBe(before);
  });
});

describe('the simulators on this machine', () => {
  it('are reached directly whatever HTTPS_PROXY says: loopback never goes through a proxy', async () => {
    environment({ HTTPS_PROXY: 'http://proxy.unreachable.test:3128', HTTP_PROXY: 'http://proxy.unreachable.test:3128' });
    const client = createServiceNowClient({ config: snConfig(servicenow.url.replace('127.0.0.1', 'localhost'), basicAuth(), { ca_file: caFile, tls_verify: false }), tokenStore: memoryTokenStore() });
    expect(await client.findRecord('incident', 'INC0012345')).toBeTruthy();
  });
});

describe('an https:// proxy (TLS to the proxy itself)', () => {
  const proxyCert = createSelfSignedCert('proxy.corp.test', '127.0.0.1');
  const withProxyCa = join(dir, 'with-proxy-ca.pem');
  writeFileSync(withProxyCa, `${certs[SN_HOST].cert}\n${proxyCert.cert}`);
  let tlsProxy: ConnectProxy;
  beforeAll(async () => {
    tlsProxy = await startConnectProxy({ hosts: { [SN_HOST]: portOf(servicenow.url) }, tls: proxyCert });
  });
  afterAll(async () => tlsProxy?.close());
  const call = (settings: { ca_file?: string; tls_verify?: boolean }) =>
    createServiceNowClient({ config: snConfig(named(servicenow.url, SN_HOST), basicAuth(), settings), tokenStore: memoryTokenStore() }).findRecord('incident', 'INC0012345');

  it('is used when ca_file trusts it and the service', async () => {
    environment({ HTTPS_PROXY: tlsProxy.url });
    expect(await call({ ca_file: withProxyCa })).toBeTruthy();
  });

  it('a proxy certificate nothing trusts is the proxy\'s problem, named so (not the service\'s address)', async () => {
    environment({ HTTPS_PROXY: tlsProxy.url });
    const err = await caught(call({ ca_file: caFile }));
    expect(err).toMatchObject({ kind: 'config', code: 'servicenow_proxy_tls_verify' });
    expect(err.message).toContain(`the certificate of the proxy ${tlsProxy.url} (HTTPS_PROXY) could not be verified`);
    expect(err.message).not.toContain('check servicenow.instance_url');
  });

  it('tls_verify: false for the service still verifies the proxy, which gets the proxy\'s login', async () => {
    environment({ HTTPS_PROXY: tlsProxy.url.replace('//', '//signrelay:secret-proxy-pw@') });
    const before = tlsProxy.tunnels.length;
    expect(await caught(call({ tls_verify: false }))).toMatchObject({ kind: 'config', code: 'servicenow_proxy_tls_verify' });
    expect(tlsProxy.tunnels.length).toBe(before);
  });
});

describe('a proxy variable signrelay cannot use', () => {
  it.each([
    ['socks5://127.0.0.1:1080', 'names a socks5 proxy; signrelay goes through an HTTP proxy only'],
    ['http://', 'is not a proxy address ("http://")'],
    ['http://user:pa ss@proxy host:3128', 'is not a proxy address (its value holds a login, not shown)'],
    ['http://proxy.corp.example', 'names no port'],
    ['http://signrelay:50%off!@proxy.corp.example:3128', "'s login has a % that is not %-encoded"],
  ])('%s stops the client being made, naming the variable', (value, said) => {
    environment({ HTTPS_PROXY: value });
    expect(() => services[1]!.call()).toThrow(expect.objectContaining({ kind: 'config', code: 'proxy_invalid', message: expect.stringContaining(`HTTPS_PROXY${said.startsWith("'") ? '' : ' '}${said}`) }));
    expect(() => services[1]!.call()).not.toThrow(/off!/);
  });
});
