// TLS verification for IMAP, through the whole daemon: an IMAPS server with a self-signed
// certificate (a TLS-terminating proxy in front of Dovecot) is refused with `tls_verify: true`,
// the default, and the daemon log says which setting to change and how to trust the CA instead;
// `tls_verify: false` connects and requests flow. NODE_EXTRA_CA_CERTS, the advised fix, is
// shown to work in a child process (Node reads it only at start).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createSelfSignedCert } from '../support/self-signed-cert.ts';
import { IMAP_PASSWORD, sendRequest } from '../integration/world.ts';
import { firstRequestFailure, linesWithStackTraces, useProxiedWorld } from './imap-fault-world.ts';

const cert = createSelfSignedCert('localhost');
const certDir = mkdtempSync(join(tmpdir(), 'signrelay-ca-'));
writeFileSync(join(certDir, 'ca.pem'), cert.cert);
afterAll(() => rmSync(certDir, { recursive: true, force: true }));
const get = useProxiedWorld({ tls: cert, startDaemon: false, prepare: (world) => {
  world.config.mailboxes.requests.tls = true;
} });

it('refuses a self-signed certificate by default, naming tls_verify and the CA fix in the daemon log', async () => {
  const { world, proxy } = get();
  expect(world.config.mailboxes.requests.tls_verify).toBe(true);
  world.startDaemon();
  const failure = await firstRequestFailure(world);
  expect(failure).toMatchObject({ level: 'error', code: 'imap_tls_verify', kind: 'config' });
  expect(failure.error).toBe(`The certificate of the IMAP server 127.0.0.1:${proxy.port} could not be verified ` +
    '(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate). If it comes from your own certificate authority, trust that ' +
    'CA: start signrelay with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; or, only for a server you control, set ' +
    'mailboxes.requests.tls_verify: false.');
  expect(world.daemon!.requestWatcher.status()).toMatchObject({ state: 'backoff', connectedSince: null });
  expect(linesWithStackTraces(world)).toEqual([]);
  await world.stopDaemon();
});

it('connects with tls_verify: false and handles requests over TLS', async () => {
  const { world, proxy } = get();
  world.config.mailboxes.requests.tls_verify = false;
  const before = proxy.connections.length;
  world.startDaemon();
  const { request } = await sendRequest(world, 'RITM0010003');
  expect(request.state).toBe('sent');
  expect(proxy.connections.length).toBeGreaterThan(before);
  await world.stopDaemon();
});

it('trusts the certificate given in NODE_EXTRA_CA_CERTS, with tls_verify left on', async () => {
  const account = { host: 'localhost', port: get().proxy.port, tls: true, tls_verify: true, user: 'sign', password: IMAP_PASSWORD };
  // The client factory the daemon uses, in a fresh Node that read the variable at its start.
  const script = `
    import { connectImapClient } from './src/mail/imap-client.ts';
    import { createLogger } from './src/log.ts';
    try {
      const client = await connectImapClient(${JSON.stringify(account)}, 'requests', createLogger({ silent: true }));
      await client.logout();
      console.log('connected');
    } catch (err) {
      console.log(err.code);
    }`;
  const run = (env: NodeJS.ProcessEnv) => new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env, cwd: process.cwd() }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  });
  const { NODE_EXTRA_CA_CERTS: _unset, ...env } = process.env;
  expect(await run(env)).toBe('imap_tls_verify');
  expect(await run({ ...env, NODE_EXTRA_CA_CERTS: join(certDir, 'ca.pem') })).toBe('connected');
});
