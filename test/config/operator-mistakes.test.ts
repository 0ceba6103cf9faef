// Settings an operator gets wrong that used to load and fail only later, or never visibly:
// an allow-list entry that matches no one (every mail it was meant for filed without a reply),
// a From with no address (every mail sent without a From), a return address with its own
// "+" (every request mail failing at stamping), a route delivering by mail with nowhere to
// mail to (failing after the signing), a due date thousands of years away (a crash on the
// first mail). Each is refused at load, naming the setting and what was probably meant.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import { SignrelayError } from '../../src/errors.ts';
import { addressOfFrom } from '../../src/ascii-address.ts';
import { newReplySecret } from '../../src/intake/conversation-address.ts';
import { newRequestToken } from '../../src/pdf/request-token.ts';

const EXAMPLE = readFileSync('config/signrelay.example.yaml', 'utf8');
const ENV = {
  SIGNRELAY_IMAP_PASSWORD: 'imap-pw', SIGNRELAY_SMTP_PASSWORD: 'smtp-pw',
  SIGNRELAY_SS_API_KEY: 'key', SIGNRELAY_SS_API_SECRET: 'secret', SIGNRELAY_SN_PASSWORD: 'sn-pw',
};
const ROUTE_SENDERS = '    allowed_senders: ["*@corp.example"]   #';

function load(text: string): string | null {
  try {
    parseConfigText(text, 'test.yaml', { env: ENV });
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(SignrelayError);
    return (err as Error).message;
  }
}

describe('settings refused at load, with what was meant', () => {
  it('the example loads as it is', () => {
    expect(EXAMPLE).toContain(ROUTE_SENDERS);
    expect(load(EXAMPLE)).toBeNull();
  });

  it.each([
    ['@corp.example', 'did you mean "*@corp.example"?'],
    ['corp.example', 'did you mean "*@corp.example"?'],
    ['*.corp.example', 'did you mean "*@corp.example"?'],
    ['Ann Lee <ann.lee@corp.example>', 'did you mean "ann.lee@corp.example" (the address alone)?'],
    ['bob', ''],
  ])('an allow-list entry that matches no sender: %s', (entry, meant) => {
    const problems = load(EXAMPLE.replace(ROUTE_SENDERS, `    allowed_senders: ["${entry}"]   #`));
    expect(problems).toContain(`routes.default.allowed_senders.0: "${entry}" is neither an address nor *@domain, so it matches no sender${meant ? ` — ${meant}` : ''}`);
  });

  it.each(['ann.lee@corp.example', '*@corp.example', '*@münchen.de', 'Counsel@LawFirm.example', 'admin@localhost', '*@intranet'])('an allow-list entry that does match: %s', (entry) => {
    expect(load(EXAMPLE.replace(ROUTE_SENDERS, `    allowed_senders: ["${entry}"]   #`))).toBeNull();
  });

  it('the same for the instance\'s senders, reply_commands_from and completion senders', () => {
    const text = EXAMPLE.replace('  # senders: ["acme@service-now.com"]', '  senders: ["service-now.com"]\n  # was:')
      .replace(ROUTE_SENDERS, `${ROUTE_SENDERS.replace('#', '')}\n    reply_commands_from: ["@corp.example"]   #`)
      .replace('  # allowed_senders: ["*@securedsigning.com", "*@dsx.co.nz"]', '  allowed_senders: ["securedsigning.com"]');
    const problems = load(text)!;
    expect(problems).toContain('servicenow.senders.0: "service-now.com" is neither an address nor *@domain');
    expect(problems).toContain('routes.default.reply_commands_from.0: "@corp.example" is neither an address nor *@domain');
    expect(problems).toContain('completion.allowed_senders.0: "securedsigning.com" is neither an address nor *@domain');
  });

  it('a From with no address in it', () => {
    const text = EXAMPLE.replace(/^ {2}from: .*$/m, '  from: "signrelay"');
    expect(load(text)).toContain('smtp.from: expected a From address like "signrelay <sign@corp.example>" or sign@corp.example');
    for (const from of ['sign@corp.example', '"sign@corp.example (signrelay)"', '"\\"Sign, Relay\\" <sign@corp.example>"']) {
      expect(load(EXAMPLE.replace(/^ {2}from: .*$/m, `  from: ${from}`))).toBeNull();
    }
    // Each form read the same way where intake tells signrelay's own mail from a stranger's.
    for (const from of ['sign@corp.example', 'sign@corp.example (signrelay)', '"Sign, Relay" <sign@corp.example>']) {
      expect(addressOfFrom(from)).toBe('sign@corp.example');
    }
  });

  it('a secret of the wrong kind is named, its value never repeated (nothing masks it before the configuration loads)', () => {
    const problem = load(EXAMPLE.replace('password: ${SIGNRELAY_SMTP_PASSWORD}', 'password: 73914682'));
    expect(problem).toContain('smtp.password: expected a text, got a value of another kind (not repeated: it is a secret)');
    expect(problem).not.toContain('73914682');
    expect(load(EXAMPLE.replace('  tls: false ', '  tls: 42 '))).toContain('smtp.tls: expected true or false, got 42'); // what is no secret is still shown
  });

  it('an SMTP user without a password', () => {
    const text = EXAMPLE.replace(/^smtp:\n((?: {2}.*\n)+)/m, (block) => block.replace(/^ {2}password: .*\n/m, ''));
    expect(text).not.toBe(EXAMPLE);
    expect(load(text)).toContain('smtp.password: expected the SMTP password: smtp.user is set, so signrelay logs in');
  });

  it.each([
    ['a text where true or false belongs', (t: string) => t.replace('  tls_verify: true\n', '  tls_verify: "yes"\n'), 'smtp.tls_verify: expected true or false, got "yes"'],
    ['an empty route', (t: string) => t.replace('\n  hr:\n', '\n  sales:\n  hr:\n'), 'routes.sales: expected a mapping of settings (key: value lines), got nothing (an empty value)'],
    ['a log level that is none', (t: string) => t.replace('  level: info ', '  level: loud '), 'log.level: expected one of error, warn, info, debug, got "loud"'],
  ])('zod\'s own wording said plainly: %s', (_label, edit, expected) => {
    const problems = load(edit(EXAMPLE))!;
    expect(problems).toContain(expected);
    expect(problems).not.toMatch(/Invalid input|Invalid option|Too small/);
  });

  it('a service URL that is not a web address', () => {
    for (const url of ['ftp://acme.service-now.com', 'javascript:alert(1)']) {
      expect(load(EXAMPLE.replace('instance_url: https://acme.service-now.com', `instance_url: "${url}"`)))
        .toContain('servicenow.instance_url: expected the instance URL, e.g. https://acme.service-now.com');
    }
  });

  // ServiceNow review L1: the browser's address pasted in; every call was appended to it.
  it.each([
    'https://acme.service-now.com/now/nav/ui/home', 'https://acme.service-now.com/navpage.do?sysparm_x=1', 'https://acme.service-now.com/#home',
    'https://acme.service-now.com/?id=1',
  ])('an instance URL that is a page of it: %s', (url) => {
    expect(load(EXAMPLE.replace('instance_url: https://acme.service-now.com', `instance_url: "${url}"`)))
      .toContain('servicenow.instance_url: this is the address of a page, not of the instance: write its address alone, like https://acme.service-now.com (https://acme.service-now.com)');
  });

  it('an instance URL under a gateway\'s path stays as written', () => {
    expect(load(EXAMPLE.replace('instance_url: https://acme.service-now.com', 'instance_url: "https://gateway.corp.example/servicenow/"'))).toBeNull();
  });

  // fetch refuses such a URL, and its error quoted it, password and all, as a network fault.
  it.each([
    ['servicenow.instance_url', (t: string) => t.replace('instance_url: https://acme.service-now.com', 'instance_url: "http://admin:SuperSecretPw7@127.0.0.1:42125"'),
      'put the user in servicenow.auth.user and the password in servicenow.auth.password'],
    ['provider.environment', (t: string) => t.replace('  environment: sandbox ', '  environment: "http://u:SuperSecretPw7@127.0.0.1:3/web" '),
      'signrelay logs in to Secured Signing with provider.api_key and provider.api_secret'],
    ['provider.oauth_url', (t: string) => t.replace('  # oauth_url: https://www.dsx.co.nz/api/oauth2', '  oauth_url: "https://u:SuperSecretPw7@www.dsx.co.nz/api/oauth2"\n  #'),
      'signrelay logs in to Secured Signing with provider.api_key and provider.api_secret'],
    ['provider.referer', (t: string) => t.replace('  referer: https://corp.example ', '  referer: "https://u:SuperSecretPw7@corp.example" '),
      'it is sent to Secured Signing as the Referer header; signrelay logs in to Secured Signing with provider.api_key and provider.api_secret'],
    ['smtp.auth.token_url', (t: string) => t.replace(/^ {2}auth:\n {4}type: password .*$/m,
      '  auth: {type: oauth2, provider: google, client_id: c, client_secret: s, refresh_token: r, token_url: "https://u:SuperSecretPw7@oauth2.googleapis.com/token"}'),
      'signrelay logs in there with client_id and client_secret beside token_url'],
  ])('a URL with a login in it: %s, refused without repeating the password', (setting, edit, fix) => {
    const text = edit(EXAMPLE);
    expect(text).not.toBe(EXAMPLE);
    const problems = load(text)!;
    expect(problems).toContain(`${setting}: remove "user:password@" from the URL; ${fix}`);
    expect(problems).not.toContain('SuperSecretPw7');
  });

  // ipv6 review H2: http:// loaded for any host, and the ServiceNow password, the provider's secret
  // and the tokens crossed the network in clear text.
  it.each([
    ['servicenow.instance_url', (url: string) => EXAMPLE.replace('instance_url: https://acme.service-now.com', `instance_url: "${url}"`)],
    ['provider.environment', (url: string) => EXAMPLE.replace('  environment: sandbox ', `  environment: "${url}" `)],
    ['provider.oauth_url', (url: string) => EXAMPLE.replace('  # oauth_url: https://www.dsx.co.nz/api/oauth2', `  oauth_url: "${url}"\n  #`)],
    ['smtp.auth.token_url', (url: string) => EXAMPLE.replace(/^ {2}auth:\n {4}type: password .*$/m,
      `  auth: {type: oauth2, provider: google, client_id: c, client_secret: s, refresh_token: r, token_url: "${url}"}`)],
  ])('%s over http:// to another host is refused, saying what to write', (setting, withUrl) => {
    for (const url of ['http://acme.service-now.com/api', 'http://[2001:db8::5]/', 'http://mail.localhost:8080/', 'http://10.0.0.8/']) {
      const text = withUrl(url);
      expect(text).not.toBe(EXAMPLE);
      expect(load(text), url).toContain(`${setting}: http:// would send the credentials and documents in clear text across the network: write https://`);
    }
    expect(load(withUrl('http://acme.service-now.com/api'))).toContain('write https://acme.service-now.com/api (plain http only for a service on this host');
    for (const url of ['http://127.0.0.1:8080/', 'http://[::1]:8080/', 'http://localhost:8080/', 'https://10.0.0.8/']) expect(load(withUrl(url)) ?? '', url).not.toContain(setting);
  });

  it('Signicat\'s base_url and token_url over http:// to another host are refused', () => {
    const signicat = EXAMPLE.replace(/^provider:\n(?: {2}.*\n|\s*#.*\n)*/m, [
      'provider:', '  type: signicat', '  base_url: "http://api.signicat.com/enterprise/sign"', '  token_url: "http://api.signicat.com/auth/open/connect/token"',
      '  client_id: c', '  client_secret: s', '  signature_methods: [{name: nbid-sign, type: SIGNED_STATEMENT}]', '',
    ].join('\n'));
    const problems = load(signicat)!;
    expect(problems).toContain('provider.base_url: http:// would send');
    expect(problems).toContain('provider.token_url: http:// would send');
  });

  it('provider.referer is only a header: an http:// one loads', () => {
    expect(load(EXAMPLE.replace('  referer: https://corp.example ', '  referer: http://corp.example '))).toBeNull();
  });

  // A host with a scheme, a port or a space in it loaded, and failed at the first connection as "does not resolve".
  it.each([
    ['imaps://imap.corp.example', 'write the host alone, without imaps:// (tls says how to connect)'],
    ['imap.corp.example:993', 'write the host alone, and its port (993) in the port setting beside it'],
    ['imap corp', 'expected the IMAP server host name, not "imap corp"'],
  ])('mailboxes.requests.host: %s is refused, saying what to write', (host, said) => {
    expect(load(EXAMPLE.replace(/^( {4}host: )imap\.corp\.example/m, `$1"${host}"`))).toContain(`mailboxes.requests.host: ${said}`);
  });

  it('a host name, an address, a bracketed or zone-indexed IPv6 address loads', () => {
    for (const host of ['imap.corp.example', 'mail', '10.0.0.5', '::1', '[::1]', 'fe80::1%eth0', 'imap-1.corp.example.', 'mail_relay.corp', 'mail.bücher.example', 'mail.xn--bcher-kva.example']) {
      expect(load(EXAMPLE.replace(/^( {4}host: )imap\.corp\.example/m, `$1"${host}"`)), host).toBeNull();
    }
  });

  it('a URL with a user but no password in it is refused too (fetch refuses it as well)', () => {
    expect(load(EXAMPLE.replace('instance_url: https://acme.service-now.com', 'instance_url: "https://admin@acme.service-now.com"')))
      .toContain('servicenow.instance_url: remove "user@" from the URL; put the user in servicenow.auth.user');
  });

  it('a return address with a "+" of its own', () => {
    expect(load(EXAMPLE.replace('address: returns@corp.example', 'address: returns+x@corp.example')))
      .toContain('mailboxes.returns.address: expected the return mailbox\'s own address, without a "+": signrelay adds +TOKEN itself');
  });

  it('a route name that a request token or a reply secret would be taken for (mail to sign+NAME@ would never reach the route)', () => {
    for (const name of [newRequestToken(), newReplySecret()]) {
      expect(load(EXAMPLE.replace('\n  hr:\n', `\n  ${name}:\n`))).toContain(`routes.${name}: a route name of 20 or 32 letters a-z and digits 2-7 looks like a request token or a reply secret`);
    }
    expect(load(EXAMPLE.replace('\n  hr:\n', '\n  procurement2026:\n'))).toBeNull();
  });

  it('a route that delivers by mail while the instance\'s inbound address is not set', () => {
    const text = EXAMPLE.replace(ROUTE_SENDERS, `${ROUTE_SENDERS.replace('#', '')}\n    delivery: email   #`);
    expect(load(text)).toContain('routes.default.delivery: delivery email needs servicenow.inbound_address');
    expect(load(text.replace('  # inbound_address: acme@service-now.com', '  inbound_address: acme@service-now.com\n  # was:'))).toBeNull();
  });

  it('trust_attachment without a border MTA to authenticate the completion mail', () => {
    const text = EXAMPLE.replace('trust_attachment: false', 'trust_attachment: true');
    expect(load(text)).toContain('completion.trust_attachment: completion.trust_attachment takes a mailed PDF only from mail your border MTA authenticates');
    expect(load(text.replace(/trusted_authserv_ids: \[\]/, 'trusted_authserv_ids: [mx.corp.example]'))).toBeNull();
    // Reported beside another setting's problem, not only once that is fixed.
    const both = load(text.replace(/max_signers: \d+/, 'max_signers: -1'))!;
    expect(both).toContain('completion.trust_attachment:');
    expect(both).toContain('limits.max_signers:');
  });

  it('a due date further away than ten years', () => {
    const text = EXAMPLE.replace('    due_days: 14 ', '    due_days: 100000000 ');
    expect(text).not.toBe(EXAMPLE);
    expect(load(text)).toContain('routes.default.due_days: expected at most 3650 days (ten years)');
  });
});
