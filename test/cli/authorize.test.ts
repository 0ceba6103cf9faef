// `signrelay authorize` against the Secured Signing simulator's OAuth2 server, with the test
// as the browser: the redirect to a loopback listener, a pasted redirect address, a forged
// redirect refused by its state, and a refused code exchange.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { securedSigningTokenName } from '../../src/providers/secured-signing/token-row.ts';
import { loadToken } from '../../src/store/oauth-tokens.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { waitFor } from '../support/wait-for.ts';
import { NEWEST_SCHEMA, schemaOf, writeOlderDatabase } from '../support/older-database.ts';
import { API_KEY, API_SECRET, IMAP_PASSWORD, useChildWorld } from './child-world.ts';
import { bareEnv, CLI, REPO, STACK_FRAME } from './helpers.ts';

const getWorld = useChildWorld();
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => { for (const c of children.splice(0)) c.kill('SIGKILL'); });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function authorize(args: string[], apiSecret = API_SECRET, configFile = getWorld().configFile) {
  const child = spawn(process.execPath, [CLI, 'authorize', '--config', configFile, ...args], {
    cwd: REPO, env: bareEnv({ TEST_IMAP_PASSWORD: IMAP_PASSWORD, TEST_SS_API_SECRET: apiSecret, TEST_SS_REFRESH_TOKEN: 'configured-refresh-token' }),
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child, exited,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    /** The authorize URL, once printed. */
    url: async () => {
      await waitFor(() => /^ {2}http\S+$/m.test(stdout), { timeoutMs: 15_000, what: 'the authorize URL', describe: () => ({ stdout, stderr }) });
      return /^ {2}(http\S+)$/m.exec(stdout)![1]!;
    },
  };
}

/** What the browser does: follow the authorize URL (the simulator approves at once) to its redirect. */
async function signIn(url: string): Promise<string> {
  const answer = await fetch(url, { redirect: 'manual' });
  expect(answer.status).toBe(302);
  return answer.headers.get('location')!;
}

function storedToken() {
  const db = new Database(join(getWorld().dataDir, 'signrelay.db'), { readonly: true });
  try {
    return loadToken(db, securedSigningTokenName(API_KEY));
  } finally {
    db.close();
  }
}

describe('signrelay authorize', () => {
  it('receives the redirect on a loopback listener, refuses a forged one, stores tokens the provider accepts', async () => {
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const run = authorize(['--redirect-uri', redirectUri]);
    const url = new URL(await run.url());
    expect(url.origin + url.pathname).toBe(`${getWorld().simulator.oauthUrl}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ response_type: 'code', redirect_uri: redirectUri, scope: 'Basic SmartTag' });
    expect(url.searchParams.get('state')).toMatch(/^[0-9a-f]{32}$/);

    const forged = await fetch(`${redirectUri}?code=stolen&state=0123`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toMatch(/does not carry the state of this authorization/);
    // Any page open in the browser can send an error of its choosing: with another state it
    // is a forged redirect, its words not told; without one (as Secured Signing's refusals
    // come) told as unverified, and with this authorization's state as the provider's — its
    // controls escaped either way (variants review L2, diff review 24 M1).
    const evil = '\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07\x1b[2J\rauthorized';
    const otherState = await fetch(`${redirectUri}?error=access_denied&state=0123&error_description=${encodeURIComponent(evil)}`);
    expect(otherState.status).toBe(400);
    expect(await otherState.text()).toMatch(/does not carry the state of this authorization/);
    const noState = await fetch(`${redirectUri}?error=access_denied&error_description=${encodeURIComponent(evil)}`);
    expect(noState.status).toBe(400);
    await waitFor(() => run.stderr.includes('without this authorization\'s state'), { timeoutMs: 10_000, what: 'the stateless refusal told' });
    expect(run.stderr).toContain('refused a redirect: a refusal came back without this authorization\'s state (Secured Signing\'s, if nothing else sent it): access_denied (\\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\x07\\x1b[2J\\rauthorized)');
    const withState = await fetch(`${redirectUri}?error=access_denied&state=${url.searchParams.get('state')}&error_description=${encodeURIComponent(evil)}`);
    expect(withState.status).toBe(400);
    await waitFor(() => run.stderr.includes('refused the authorization'), { timeoutMs: 10_000, what: 'the provider\'s refusal told' });
    expect(run.stderr).toContain('Secured Signing refused the authorization: access_denied (\\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\x07\\x1b[2J\\rauthorized)');
    expect(run.stderr).not.toMatch(/[\x07\x1b\r]/);

    const location = await signIn(url.href);
    expect(location.startsWith(`${redirectUri}?`)).toBe(true);
    const landing = await fetch(location);
    expect(await landing.text()).toBe('signrelay is authorized. You can close this tab.\n');
    expect(await run.exited).toBe(0);
    expect(run.stdout).toMatch(/^authorized: scope "Basic SmartTag"; tokens stored in /m);
    expect(run.stderr).toMatch(/^refused a redirect: the redirect does not carry the state/m);

    const token = storedToken();
    expect(token?.refreshToken).toBeTruthy();
    expect(getWorld().simulator.oauth.checkBearer(`Bearer ${token!.accessToken}`)).toBeNull();
    // Least privilege: exactly what signrelay calls need (Account/Info is Basic), no Account management.
    for (const scope of ['Basic', 'SmartTag']) expect(getWorld().simulator.oauth.checkScope(`Bearer ${token!.accessToken}`, scope)).toBeNull();
    expect(getWorld().simulator.oauth.checkScope(`Bearer ${token!.accessToken}`, 'Account')).not.toBeNull();
    // Started from the configured refresh token, so the daemon keeps this chain.
    expect(token!.seed).toMatch(/^[0-9a-f]{64}$/);
    for (const secret of [API_SECRET, token!.refreshToken!, token!.accessToken!]) expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it('a mis-cased --scope: Secured Signing\'s own refusal, which carries no state, is told with its explanation (diff review 24 M1)', async () => {
    const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    const run = authorize(['--redirect-uri', redirectUri, '--scope', 'basic smarttag']);
    const answer = await fetch(await run.url(), { redirect: 'manual' });
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    expect(location.searchParams.has('state')).toBe(false);
    const landing = await fetch(location);
    expect(landing.status).toBe(400);
    expect(await landing.text()).toContain('invalid_scope');
    await waitFor(() => run.stderr.includes('case-sensitive'), { timeoutMs: 10_000, what: 'the scope refusal told', describe: () => run.stderr });
    expect(run.stderr).toMatch(/refused a redirect: a refusal came back without this authorization's state \(Secured Signing's, if nothing else sent it\): invalid_scope \(.*case-sensitive/);
    run.child.kill('SIGTERM');
  });

  it('takes the redirect address pasted from a browser elsewhere (a registered https callback)', async () => {
    const redirectUri = 'https://corp.example/signrelay/callback';
    const run = authorize(['--redirect-uri', redirectUri]);
    const location = await signIn(await run.url());
    run.child.stdin.write('https://corp.example/signrelay/callback?code=x&state=not-ours\n');
    await waitFor(() => run.stderr.includes('does not carry the state'), { timeoutMs: 5_000, what: 'the refusal of a wrong paste' });
    run.child.stdin.write(`${location}\n`);
    expect(await run.exited).toBe(0);
    expect(storedToken()?.accessToken).toBeTruthy();
  });

  it('on the database of an older signrelay (installed, the daemon not restarted): refused before anyone signs in', async () => {
    const dataDir = `${getWorld().configFile}.older-data`;
    writeOlderDatabase(join(dataDir, 'signrelay.db'));
    const configFile = `${getWorld().configFile}.older.yaml`;
    writeFileSync(configFile, readFileSync(getWorld().configFile, 'utf8').replace(/data_dir: [^}\n]+/, `data_dir: ${dataDir}`));
    const run = authorize(['--redirect-uri', `http://127.0.0.1:${await freePort()}/callback`], API_SECRET, configFile);
    expect(await run.exited).toBe(1);
    expect(run.stdout).not.toMatch(/http/); // no address to sign in at: the sign-in would be thrown away
    expect(run.stderr).toMatch(/^signrelay: the database in .* is from an older signrelay \(1 upgrade to apply\): restart the daemon on this version/m);
    expect(schemaOf(join(dataDir, 'signrelay.db'))).toBe(NEWEST_SCHEMA - 1);
  });

  it('another process holding the write lock: refused before anyone signs in; one taken during the sign-in is waited for, the tokens kept (operator review M2)', async () => {
    openDatabase(getWorld().dataDir).close(); // the daemon's database, as after its first start
    const holder = new Database(join(getWorld().dataDir, 'signrelay.db'));
    holder.exec('BEGIN IMMEDIATE');
    try {
      const refused = authorize(['--redirect-uri', `http://127.0.0.1:${await freePort()}/callback`]);
      expect(await refused.exited).toBe(1);
      expect(refused.stdout).not.toMatch(/http/);
      expect(refused.stderr).toMatch(/^signrelay: storage\.data_dir .* is locked: another process held a write lock on signrelay\.db .*\. Nothing was signed in to: run signrelay authorize again once that is fixed\.$/m);
      expect(refused.stderr).not.toMatch(STACK_FRAME);
    } finally {
      holder.exec('ROLLBACK');
    }
    const before = storedToken()?.accessToken;
    const run = authorize(['--redirect-uri', 'https://corp.example/signrelay/callback']);
    const location = await signIn(await run.url());
    // A backup takes the lock as the sign-in comes back, for longer than the usual 5 s wait.
    holder.exec('BEGIN IMMEDIATE');
    run.child.stdin.write(`${location}\n`);
    const heldSince = Date.now();
    await waitFor(() => Date.now() - heldSince > 6_000, { what: 'the lock held past 5 s', intervalMs: 250 });
    holder.exec('ROLLBACK');
    holder.close();
    expect(await run.exited).toBe(0);
    expect(run.stdout).toMatch(/^authorized: /m);
    expect(storedToken()?.accessToken).toBeTruthy();
    expect(storedToken()?.accessToken).not.toBe(before);
  });

  it('a refused code exchange (wrong API secret): one clear line naming the settings, exit 1', async () => {
    const port = await freePort();
    const run = authorize(['--redirect-uri', `http://127.0.0.1:${port}/callback`], 'not-the-api-secret-xyz');
    await fetch(await signIn(await run.url()));
    expect(await run.exited).toBe(1);
    expect(run.stderr).toMatch(/^signrelay: Secured Signing refused to exchange the authorization code \(invalid_client: client_id or client_secret is wrong\): check provider\.api_key and provider\.api_secret/m);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stderr).not.toContain('not-the-api-secret-xyz');
  });
});
