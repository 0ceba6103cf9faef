// TLS verification of the HTTP services, against both simulators served over https with a
// self-signed certificate: verification is on by default and a certificate that does not
// verify is an operator's error naming the setting and the fix (not a blip to retry soon);
// `ca_file` trusts a private CA (and only it: another CA still fails); `tls_verify: false`
// is the explicit opt-out.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignrelayError } from '../../src/errors.ts';
import { startJobRunner } from '../../src/jobs/job-runner.ts';
import { silentLogger } from '../../src/log.ts';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { createServiceNowClient } from '../../src/servicenow/client.ts';
import { enqueueJob } from '../../src/store/jobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { API_KEY, API_SECRET, REFERER, memoryTokenStore, providerConfig } from '../sandbox/fixtures.ts';
import { basicAuth, SEED, SN_PASSWORD, SN_USER, snConfig } from '../servicenow/fixtures.ts';
import { createSelfSignedCert } from '../support/self-signed-cert.ts';

const dir = mkdtempSync(join(tmpdir(), 'signrelay-http-tls-'));
const cert = createSelfSignedCert('localhost');
const caFile = join(dir, 'ca.pem');
const otherCaFile = join(dir, 'other-ca.pem');
writeFileSync(caFile, cert.cert);
writeFileSync(otherCaFile, createSelfSignedCert('localhost').cert);

let provider: SecuredSigningSimulator;
let servicenow: ServiceNowSimulator;
beforeAll(async () => {
  provider = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: false, tls: cert });
  servicenow = await startServiceNowSimulator({ users: { [SN_USER]: SN_PASSWORD }, records: SEED, tls: cert });
});
afterAll(async () => {
  await provider?.close();
  await servicenow?.close();
});

/** The certificate names `localhost` (no IP address in it): a trusted CA verifies only that name. */
const byName = (url: string) => url.replace('127.0.0.1', 'localhost');
const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: SignrelayError) => err);

interface TlsSettings { tls_verify?: boolean; ca_file?: string }

const services = [
  {
    name: 'Secured Signing', section: 'provider', urlSetting: 'provider.environment',
    calls: () => provider.calls.length,
    call(settings: TlsSettings, host = (u: string) => u) {
      const sim = { url: host(provider.url), oauthUrl: host(provider.oauthUrl) };
      const client = createSecuredSigningClient({ config: providerConfig(sim, { oauth: false, ...settings }), tokenStore: memoryTokenStore() });
      return client.accountInfo();
    },
  },
  {
    name: 'ServiceNow', section: 'servicenow', urlSetting: 'servicenow.instance_url',
    calls: () => servicenow.calls.length,
    call(settings: TlsSettings, host = (u: string) => u) {
      const client = createServiceNowClient({ config: snConfig(host(servicenow.url), basicAuth(), settings), tokenStore: memoryTokenStore() });
      return client.findRecord('incident', 'INC0012345');
    },
  },
];

describe.each(services)('$name over https with a self-signed certificate', (service) => {
  it('is refused by default: a config error naming the setting and the fix, and no request was sent', async () => {
    const before = service.calls();
    const err = await caught(service.call({}));
    expect(err).toMatchObject({ kind: 'config', code: `${service.section}_tls_verify` });
    expect(err.message).toContain(`the certificate of ${service.name} could not be verified (DEPTH_ZERO_SELF_SIGNED_CERT)`);
    expect(err.message).toContain(`${service.section}.ca_file: /path/ca.pem (or start signrelay with NODE_EXTRA_CA_CERTS=/path/ca.pem)`);
    expect(err.message).toContain(service.urlSetting);
    expect(err.message).not.toContain(API_SECRET);
    expect(err.message).not.toContain(SN_PASSWORD);
    expect(err.message).not.toMatch(/\n\s+at /);
    expect(service.calls()).toBe(before);
  });

  it('ca_file trusts the private CA', async () => {
    expect(await service.call({ ca_file: caFile }, byName)).toBeTruthy();
  });

  it('ca_file trusts only that CA: a certificate from another still fails', async () => {
    expect(await caught(service.call({ ca_file: otherCaFile }, byName))).toMatchObject({ kind: 'config', code: `${service.section}_tls_verify` });
  });

  it('a certificate for another host name says so', async () => {
    // Trusted CA, but the URL says 127.0.0.1 and the certificate names localhost only.
    const err = await caught(service.call({ ca_file: caFile }));
    expect(err).toMatchObject({ kind: 'config', code: `${service.section}_tls_verify` });
    expect(err.message).toMatch(new RegExp(`ERR_TLS_CERT_ALTNAME_INVALID.*for another host name: check ${service.urlSetting.replace('.', '\\.')}`));
  });

  it('tls_verify: false is the explicit opt-out', async () => {
    expect(await service.call({ tls_verify: false })).toBeTruthy();
  });

  it('a ca_file that cannot be read stops the client being made, naming the setting', () => {
    const missing = join(dir, 'missing.pem');
    expect(() => service.call({ ca_file: missing })).toThrow(expect.objectContaining({
      kind: 'config', code: 'ca_file_unreadable', message: `${service.section}.ca_file: cannot read ${missing} (ENOENT)`,
    }));
  });
});

describe('a job that meets an unverifiable certificate', () => {
  it('waits for the operator instead of failing or retrying soon', async () => {
    const db = openDatabase(join(dir, 'data'));
    let attempts = 0;
    const runner = startJobRunner({
      db, logger: silentLogger(), retryBaseMs: 20,
      handlers: { submit: { run: () => { attempts++; return services[1]!.call({}).then(() => undefined); } } },
    });
    try {
      const started = Date.now();
      enqueueJob(db, { kind: 'submit', requestId: null }, new Date());
      runner.poke();
      await runner.idle();
      const job = db.prepare("SELECT * FROM jobs WHERE kind = 'submit'").get() as Record<string, string>;
      expect(attempts).toBe(1);
      expect(job.state).toBe('pending');
      expect(job.last_error).toContain('servicenow.ca_file');
      // Not a hot loop: the next look is minutes away (the operator's fix needs a restart anyway).
      expect(Date.parse(job.run_at!) - started).toBeGreaterThanOrEqual(4 * 60_000);
    } finally {
      await runner.stop();
      db.close();
    }
  });
});
