// Which proxy a URL goes through, from the variables every Unix tool reads, as curl reads them.
import { describe, expect, it } from 'vitest';
import { describeProxies, proxyFor, proxySettingsFrom } from '../../src/http/proxy-route.ts';

const route = (url: string, env: Record<string, string>) => proxyFor(new URL(url), proxySettingsFrom(env))?.shown;
const PROXY = 'http://proxy.corp.example:3128';

describe('proxyFor', () => {
  it('takes HTTPS_PROXY for https; HTTP_PROXY is not read (every service is https)', () => {
    expect(route('https://api.securedsigning.com/x', { HTTPS_PROXY: PROXY })).toBe(PROXY);
    expect(route('https://api.example.com/x', { HTTP_PROXY: PROXY, http_proxy: PROXY, ALL_PROXY: PROXY })).toBeUndefined();
    expect(route('http://api.example.com/x', { HTTPS_PROXY: PROXY })).toBeUndefined();
  });

  it('reads the lower-case spelling first, as curl does, and takes an empty one for unset', () => {
    expect(route('https://a.example/', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' })).toBe('http://lower:1');
    expect(route('https://a.example/', { https_proxy: ' ', HTTPS_PROXY: 'http://upper:2' })).toBe('http://upper:2');
  });

  it('takes a bare host:port as an http proxy, and shows no login', () => {
    expect(route('https://a.example/', { HTTPS_PROXY: 'proxy.corp.example:3128' })).toBe(PROXY);
    const proxy = proxyFor(new URL('https://a.example/'), proxySettingsFrom({ HTTPS_PROXY: 'http://me:s%40cret@proxy.corp.example:3128' }))!;
    expect(proxy.shown).toBe(PROXY);
    expect(proxy.url.password).toBe('s%40cret');
    expect(describeProxies(proxySettingsFrom({ HTTPS_PROXY: 'http://me:s%40cret@proxy.corp.example:3128' }))).not.toContain('cret');
  });

  it('never sends this machine\'s loopback through a proxy', () => {
    for (const url of ['https://localhost:8443/', 'https://sim.localhost/', 'https://127.0.0.1:9000/', 'https://[::1]:8443/', 'https://127.1.2.3/']) {
      expect(route(url, { HTTPS_PROXY: PROXY }), url).toBeUndefined();
    }
  });

  it.each([
    ['corp.example', 'https://corp.example/', true],
    ['corp.example', 'https://sn.corp.example/', true],
    ['corp.example', 'https://notcorp.example/', false],
    ['.corp.example', 'https://sn.corp.example/', true],
    ['*.corp.example', 'https://sn.corp.example/', true],
    ['Corp.Example.', 'https://SN.corp.example/', true],
    ['sn.corp.example:8443', 'https://sn.corp.example:8443/', true],
    ['sn.corp.example:8443', 'https://sn.corp.example/', false],
    ['sn.corp.example:443', 'https://sn.corp.example/', true],
    ['*', 'https://anything.example/', true],
    ['10.0.0.0/8', 'https://10.20.30.40/', true],
    ['10.0.0.0/8', 'https://11.0.0.1/', false],
    ['192.0.2.7', 'https://192.0.2.7:8443/', true],
    ['2001:db8::/32', 'https://[2001:db8:1::5]/', true],
    ['2001:DB8:0:0::5', 'https://[2001:db8::5]/', true],
    ['[2001:db8::5]:443', 'https://[2001:db8::5]/', true],
    ['10.0.0.0/8', 'https://corp.example/', false],
    ['a.example, b.example  c.example', 'https://c.example/', true],
  ])('NO_PROXY=%s: %s goes directly: %s', (noProxy, url, direct) => {
    expect(route(url, { HTTPS_PROXY: PROXY, NO_PROXY: noProxy }) === undefined).toBe(direct);
  });

  it('no_proxy is read before NO_PROXY', () => {
    expect(route('https://a.example/', { HTTPS_PROXY: PROXY, no_proxy: 'a.example', NO_PROXY: 'b.example' })).toBeUndefined();
  });
});

describe('describeProxies', () => {
  it('says where calls go, naming the variables as spelled', () => {
    expect(describeProxies(proxySettingsFrom({}))).toBeUndefined();
    expect(describeProxies(proxySettingsFrom({ https_proxy: PROXY, NO_PROXY: '.corp.example' })))
      .toBe(`https through ${PROXY} (https_proxy); this machine and the hosts in NO_PROXY directly`);
  });
});

describe('a value signrelay cannot use', () => {
  it.each([
    ['socks5h://127.0.0.1:1080', 'HTTPS_PROXY names a socks5h proxy'],
    ['http://:3128', 'HTTPS_PROXY is not a proxy address'],
    ['ftp://proxy.corp.example', 'HTTPS_PROXY names a ftp proxy'],
    ['http://proxy.corp.example', 'HTTPS_PROXY names no port'],
    ['http://me:100%sure@proxy.corp.example:3128', "HTTPS_PROXY's login has a % that is not %-encoded"],
  ])('%s is a config error naming the variable', (value, said) => {
    expect(() => proxySettingsFrom({ HTTPS_PROXY: value })).toThrow(expect.objectContaining({ kind: 'config', code: 'proxy_invalid', message: expect.stringContaining(said) }));
  });
});
