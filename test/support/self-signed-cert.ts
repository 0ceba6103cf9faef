// A throw-away self-signed certificate for TLS tests (openssl, ~0.3 s): lets a test meet a
// real certificate-verification failure instead of a hand-made error object.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `ipAddress` also issues it for that address (subjectAltName), so a client connecting by IP can verify it. */
export function createSelfSignedCert(commonName = 'localhost', ipAddress?: string): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'signrelay-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${commonName}`,
      ...(ipAddress ? ['-addext', `subjectAltName=DNS:${commonName},IP:${ipAddress}`] : []),
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
