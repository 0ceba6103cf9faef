import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closedDirectory, loadConfigFile, missingFileHint, parseConfigText } from '../../src/config/load-config.ts';
import { mailBytesFor } from '../../src/config/schema.ts';
import { SignrelayError } from '../../src/errors.ts';
import { securedSigningOf } from '../support/provider-config.ts';

const EXAMPLE = 'config/signrelay.example.yaml';
const ENV = {
  SIGNRELAY_IMAP_PASSWORD: 'imap-pw', SIGNRELAY_SMTP_PASSWORD: 'smtp-pw',
  SIGNRELAY_SS_API_KEY: 'key', SIGNRELAY_SS_API_SECRET: 'secret', SIGNRELAY_SN_PASSWORD: 'sn-pw',
};

function problemsOf(text: string, env: NodeJS.ProcessEnv = ENV): string {
  try {
    parseConfigText(text, 'test.yaml', { env });
  } catch (err) {
    expect(err).toBeInstanceOf(SignrelayError);
    expect((err as SignrelayError).kind).toBe('config');
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

const minimal = (extra = '') => `
mailboxes:
  requests: {host: imap.example.com, user: u, password: p, address: sign@corp.example}
  returns: {address: returns@corp.example, folder: Returns}
smtp: {host: smtp.example.com, from: sign@corp.example}
provider: {api_key: k, api_secret: s, referer: https://corp.example}
servicenow: {instance_url: "https://acme.service-now.com", auth: {type: basic, user: signrelay.integration, password: not-used}}
routes: {default: {}}
${extra}`;

describe('loadConfigFile', () => {
  it('loads the example config with its defaults and substituted secrets', () => {
    const config = loadConfigFile(EXAMPLE, { env: ENV });
    expect(config.mailboxes.requests.password).toBe('imap-pw');
    expect(securedSigningOf(config).api_secret).toBe('secret');
    expect(config.limits.max_mail_bytes).toBe(mailBytesFor(config.limits.max_pdf_bytes));
    expect(config.routes.hr?.due_days).toBe(7);
    expect(config.records.RITM).toBe('sc_req_item');
    expect(config.stamping.mode).toBe('signature-page');
  });

  it('names every missing environment variable by the setting that uses it', () => {
    const message = (() => { try { loadConfigFile(EXAMPLE, { env: {} }); } catch (e) { return (e as Error).message; } return ''; })();
    expect(message).toContain('mailboxes.requests.password: environment variable SIGNRELAY_IMAP_PASSWORD is not set');
    expect(message).toContain('provider.api_secret: environment variable SIGNRELAY_SS_API_SECRET is not set');
  });

  it('accepts missing secrets as placeholders when told to (explain)', () => {
    const config = loadConfigFile(EXAMPLE, { env: {}, requireSecrets: false });
    expect(config.routes.default?.allowed_senders).toEqual(['*@corp.example']);
  });

  it('reads {file: PATH} secrets, trimming the final newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'pw'), 'from-file\n');
    const config = parseConfigText(minimal().replace('password: p', `password: {file: ${join(dir, 'pw')}}`), 't.yaml', { env: {} });
    expect(config.mailboxes.requests.password).toBe('from-file');
  });

  it('reads {credential: NAME} from systemd\'s copy under the service, else from the source directory', () => {
    const loaded = mkdtempSync(join(tmpdir(), 'creds-loaded-'));
    const source = mkdtempSync(join(tmpdir(), 'creds-source-'));
    writeFileSync(join(loaded, 'signrelay_imap-password'), 'from-systemd\n');
    writeFileSync(join(source, 'imap-password'), 'from-source\n');
    const text = minimal().replace('password: p', 'password: {credential: imap-password}');
    expect(parseConfigText(text, 't.yaml', { env: { CREDENTIALS_DIRECTORY: loaded } }).mailboxes.requests.password).toBe('from-systemd');
    expect(parseConfigText(text, 't.yaml', { env: { SIGNRELAY_CREDENTIALS_SOURCE: source } }).mailboxes.requests.password).toBe('from-source');
    expect(() => parseConfigText(text, 't.yaml', { env: { SIGNRELAY_CREDENTIALS_SOURCE: join(source, 'none') } }))
      .toThrow(`mailboxes.requests.password: cannot read secret file ${join(source, 'none', 'imap-password')} (no such file)`);
    expect(() => parseConfigText(minimal().replace('password: p', 'password: {credential: ../etc/shadow}'), 't.yaml', { env: {} }))
      .toThrow('mailboxes.requests.password: expected {credential: NAME} with the name of a credential file');
  });

  it('says a secret is empty where it is, and under systemd which source file to fix', () => {
    const source = mkdtempSync(join(tmpdir(), 'creds-source-'));
    const loaded = mkdtempSync(join(tmpdir(), 'creds-loaded-'));
    writeFileSync(join(source, 'imap-password'), '\n');
    const text = minimal().replace('password: p', 'password: {credential: imap-password}');
    expect(problemsOf(text, { SIGNRELAY_CREDENTIALS_SOURCE: source }))
      .toContain(`mailboxes.requests.password: secret file ${join(source, 'imap-password')} is empty: put the secret in it`);
    // Under the service: systemd's copy is read, the operator's file named.
    expect(problemsOf(text, { CREDENTIALS_DIRECTORY: loaded, SIGNRELAY_CREDENTIALS_SOURCE: source }))
      .toContain(`mailboxes.requests.password: cannot read secret file ${join(loaded, 'imap-password')} (no such file) (systemd's copy of ${join(source, 'imap-password')}: fix that file, then restart the service)`);
    expect(problemsOf(minimal().replace('password: p', 'password: "${IMAP_PW}"'), { IMAP_PW: '' }))
      .toContain('mailboxes.requests.password: environment variable IMAP_PW is set but empty (export its value)');
  });

  it('says which file could not be read and how to choose another', () => {
    expect(() => loadConfigFile('/nonexistent/signrelay.yaml')).toThrow(/cannot read the configuration \/nonexistent\/signrelay.yaml: the file does not exist.*--config/);
  });

  // instances review L2: beside instances, the advice was --config, never --name; for a --name
  // not set up, "pass --config" — which --name had just done.
  it('on a host of instances, names them; for an instance not set up, says how to make it', () => {
    const etc = () => ['legal.yaml', 'hr.yaml', 'hr.env', 'Not A Name.yaml'];
    expect(missingFileHint('/etc/signrelay/signrelay.yaml', {}, etc)).toBe('; this host runs instances: pass --name hr, --name legal (or --config FILE)');
    expect(missingFileHint('/etc/signrelay/signrelay.yaml', {}, () => [])).toBe('. Pass --config FILE or set SIGNRELAY_CONFIG');
    expect(missingFileHint('/etc/signrelay/legal.yaml', { SIGNRELAY_INSTANCE: 'legal' }, etc)).toBe(': there is no instance legal on this host — `signrelay init --name legal` writes its configuration');
    expect(missingFileHint('/srv/other.yaml', { SIGNRELAY_INSTANCE: 'legal' }, etc)).toBe('. Pass --config FILE or set SIGNRELAY_CONFIG');
  });

  it.each([
    ['limits:\n  max_mail_bytes: -5', 'limits.max_mail_bytes: expected a positive integer'],
    ['limits:\n  max_mail_bytes: 1.5', 'limits.max_mail_bytes: expected a positive integer'],
    ['stamping:\n  mode: sideways', 'stamping.mode: expected signature-page or overlay'],
    ['stamping:\n  color: red', 'stamping.color: expected a colour like #000000'],
    ['bogus: 1', 'unknown setting bogus'],
    ['records:\n  ritm: sc_req_item', 'records.ritm: prefixes are 2-8 capital letters'],
  ])('reports %j by its path', (extra, expected) => {
    expect(problemsOf(minimal(extra))).toContain(expected);
  });

  it('reports every problem at once, with paths', () => {
    const message = problemsOf('mailboxes:\n  requests: {host: h, port: 99999, user: u, password: p, address: nope}\n  returns: {address: r@x.example}\nrouter: {}\n');
    expect(message).toContain('mailboxes.requests.port: expected a port number (1-65535)');
    expect(message).toContain('mailboxes.requests.address: expected an email address');
    expect(message).toContain('smtp: required setting is missing');
    expect(message).toContain('unknown setting router');
    expect(message).not.toMatch(/at .*\.ts:\d+/); // no stack trace in the text
  });

  it('checks route default signers when loading, not when a requester meets them', () => {
    expect(problemsOf(minimal().replace('routes: {default: {}}', 'routes: {default: {signers: ["Ann Lee <ann-at-example>"]}}')))
      .toContain('routes.default.signers.0: expected a signer like "First Last <first.last@corp.example>"');
  });

  it('refuses a return mailbox that is the request folder of the same account', () => {
    expect(problemsOf(minimal().replace('returns: {address: returns@corp.example, folder: Returns}', 'returns: {address: returns@corp.example}')))
      .toContain('mailboxes.returns.folder: "INBOX" is the request folder of the same account');
    expect(() => parseConfigText(minimal().replace('returns: {address: returns@corp.example, folder: Returns}', 'returns: {address: returns@corp.example, user: returns, password: p}'), 't.yaml', { env: {} })).not.toThrow();
  });

  // ipv6 review M2: another spelling of the same server or of INBOX loaded, and in a real run
  // every request mail was taken by the return watcher and filed in Unmatched.
  it.each([
    ['host: imap.example.com', 'folder: inbox'],
    ['host: imap.example.com', 'folder: Inbox'],
    ['host: 127.0.0.1, port: 143, tls: false', 'host: localhost, port: 143, tls: false, folder: INBOX'],
    ['host: "::1", port: 143, tls: false', 'host: "[0:0:0:0:0:0:0:1]", port: 143, tls: false, folder: INBOX'],
    ['host: imap.example.com', 'host: IMAP.Example.com, folder: INBOX'],
    ['host: imap.example.com', 'host: "imap.example.com.", folder: INBOX'],
    ['host: "2001:db8::5"', 'host: "2001:DB8:0:0::5", folder: INBOX'],
    ['host: imap.example.com', 'user: U, folder: INBOX'],
  ])('refuses the same request folder spelt otherwise: requests {%s}, returns {%s}', (requests, returns) => {
    const text = minimal()
      .replace('requests: {host: imap.example.com, ', `requests: {${requests}, `)
      .replace('returns: {address: returns@corp.example, folder: Returns}', `returns: {address: returns@corp.example, ${returns}}`);
    expect(problemsOf(text)).toContain('is the request folder of the same account');
  });

  it('two servers on this machine, on their own ports or addresses, are two servers (diff review 17 L5)', () => {
    for (const [requests, returns] of [['host: 127.0.0.1, port: 1143', 'host: localhost, port: 2143, folder: INBOX'], ['host: 127.0.0.1, port: 143', 'host: 127.0.0.2, port: 143, folder: INBOX']]) {
      const text = minimal()
        .replace('requests: {host: imap.example.com, ', `requests: {${requests}, tls: false, `)
        .replace('returns: {address: returns@corp.example, folder: Returns}', `returns: {address: returns@corp.example, ${returns}, tls: false}`);
      expect(() => parseConfigText(text, 't.yaml', { env: {} }), returns).not.toThrow();
    }
  });

  it('a zone-indexed IPv6 server loads (diff review 17 L3: "Invalid URL")', () => {
    const text = minimal().replace('requests: {host: imap.example.com, ', 'requests: {host: "fe80::1%eth0", ');
    expect(() => parseConfigText(text, 't.yaml', { env: {} })).not.toThrow();
  });

  it('another folder of the same account, or the same folder name on another server, loads', () => {
    for (const returns of ['folder: INBOX/Returns', 'host: imap2.example.com, folder: INBOX', 'user: returns, folder: INBOX', 'host: imap.example.com, port: 1993, folder: INBOX']) {
      expect(() => parseConfigText(minimal().replace('returns: {address: returns@corp.example, folder: Returns}', `returns: {address: returns@corp.example, ${returns}}`), 't.yaml', { env: {} }), returns).not.toThrow();
    }
  });

  it('requires a default route', () => {
    expect(problemsOf(minimal().replace('routes: {default: {}}', 'routes: {hr: {}}'))).toContain('routes: expected a route named "default"');
  });

  it('reports YAML syntax errors with a line number', () => {
    expect(problemsOf('mailboxes:\n  requests: [\n')).toMatch(/not valid YAML at line \d+/);
  });
});

describe('a configuration this user may not read', () => {
  it('names the directory on the way that it may not enter, not the file (env review L1)', () => {
    expect(closedDirectory('/etc/signrelay/hr.yaml', (dir) => dir !== '/etc/signrelay')).toBe('/etc/signrelay');
    expect(closedDirectory('/etc/signrelay/hr.yaml', () => true)).toBeUndefined();
    expect(closedDirectory('/srv/a/b/c.yaml', (dir) => !dir.startsWith('/srv/a'))).toBe('/srv/a');
  });
});
