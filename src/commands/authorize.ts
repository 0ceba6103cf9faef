// `signrelay authorize`: the Secured Signing OAuth2 authorization-code flow, once, by the
// operator. It prints the authorize URL; the operator signs in to Secured Signing in a
// browser; the redirect comes back either to a listener on this machine (the default
// redirect URI is on loopback) or as the address pasted from the browser (an SSH session,
// or a registered callback on another host). `state` is checked, the code is exchanged,
// and the tokens are stored in the data directory under the configured API key, where a
// daemon running with that key picks them up at its next token refresh. A daemon still on
// the old key of a rotation keeps the old key's tokens until it is reloaded.
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { configPath } from '../config/config-path.ts';
import { loadConfigFile } from '../config/load-config.ts';
import { SignrelayError } from '../errors.ts';
import { isLoopbackHost, loopbackAddress } from '../loopback.ts';
import { parseCommand } from '../cli-io/command-args.ts';
import { authorizationFlow, codeFromRedirect, DEFAULT_AUTHORIZATION_SCOPE as DEFAULT_SCOPE, newState } from '../providers/authorization.ts';
import { saveToken } from '../store/oauth-tokens.ts';
import { openDatabase, writeLockFailure } from '../store/open-database.ts';
import { storageContextOf, storageFailure } from '../store/storage-failure.ts';
import type { CommandIo } from './run.ts';
import { serviceUnit } from '../service-unit.ts';
import { escapeForTerminal } from '../terminal-text.ts';

export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:8765/callback';

/** How long the sign-in's tokens wait for another process's write lock before they are given up. */
const TOKEN_SAVE_WAIT_MS = 60_000;

const USAGE = `usage: signrelay authorize [--redirect-uri URI] [--scope "S …"] [--timeout SECONDS] [--config FILE]

Gets Secured Signing OAuth2 tokens for provider.api_key and stores them in the data
directory (with provider.type signicat there is nothing to authorize: client credentials). Open the printed URL in a browser and sign in as the account signrelay sends
from. The redirect URI must be one registered with the API key (default
${DEFAULT_REDIRECT_URI}: signrelay listens there; if the browser runs elsewhere, paste the
address it ends on). Default scope: "${DEFAULT_SCOPE}".
`;

interface Waiting {
  code: Promise<string>;
  close(): void;
}

/** Waits for the redirect: on a loopback listener when the URI is one, and as a pasted line. */
async function waitForCode(redirectUri: string, state: string, io: CommandIo & { stdin?: NodeJS.ReadableStream }, timeoutMs: number): Promise<Waiting> {
  const uri = new URL(redirectUri);
  let server: Server | undefined;
  let done!: (code: string) => void;
  let fail!: (err: Error) => void;
  const code = new Promise<string>((resolve, reject) => { done = resolve; fail = reject; });
  if (uri.protocol === 'http:' && isLoopbackHost(uri.hostname)) {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', redirectUri);
      if (url.pathname !== uri.pathname) {
        res.writeHead(404).end();
        return;
      }
      const result = codeFromRedirect(url.href, state);
      if ('problem' in result) {
        // A stray or forged redirect: refused, and we keep waiting for ours.
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`signrelay: ${result.problem}\n`);
        io.stderr.write(`refused a redirect: ${escapeForTerminal(result.problem)}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('signrelay is authorized. You can close this tab.\n');
      done(result.code);
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', (err: NodeJS.ErrnoException) => reject(new SignrelayError('config', 'authorize_listen',
        `cannot listen on ${uri.host} for the redirect (${err.code}): free the port, or pass --redirect-uri with another registered URI`)));
      server!.listen(Number(uri.port || 80), loopbackAddress(uri.hostname), () => resolve());
    });
  }
  const lines = createInterface({ input: io.stdin ?? process.stdin, terminal: false });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const result = codeFromRedirect(line, state);
    if ('problem' in result) io.stderr.write(`${escapeForTerminal(result.problem)}\n`);
    else done(result.code);
  });
  const timer = setTimeout(() => fail(new SignrelayError('input', 'authorize_timeout',
    `no redirect came back within ${Math.round(timeoutMs / 1000)} s: run signrelay authorize again (and check that the redirect URI is registered with the API key)`)), timeoutMs);
  return {
    code,
    close() {
      clearTimeout(timer);
      lines.close();
      server?.closeAllConnections();
      server?.close();
    },
  };
}

export async function runAuthorizeCommand(args: string[], io: CommandIo & { stdin?: NodeJS.ReadableStream }): Promise<number> {
  const parsed = parseCommand('authorize', args, { 'redirect-uri': { type: 'string' }, scope: { type: 'string' }, timeout: { type: 'string' } }, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as Record<string, string | undefined>;
  const timeoutSeconds = Number(values.timeout ?? 600);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    io.stderr.write('signrelay authorize: --timeout is a number of seconds\n');
    return 2;
  }
  const redirectUri = values['redirect-uri'] ?? DEFAULT_REDIRECT_URI;
  try {
    new URL(redirectUri);
  } catch {
    io.stderr.write(`signrelay authorize: --redirect-uri ${redirectUri} is not a URL\n`);
    return 2;
  }
  const config = loadConfigFile(configPath(parsed.values.config));
  const flow = authorizationFlow(config.provider);
  if ('nothing' in flow) throw new SignrelayError('config', 'provider_without_oauth', flow.nothing);
  // The database that will keep the tokens, before anyone signs in: one it may not use (an older
  // signrelay's, the daemon not yet restarted) would throw the new tokens away after the sign-in.
  // Nor one it cannot write now (another process's write lock, a full disk): said before the sign-in.
  const before = openDatabase(config.storage.data_dir, { upgrade: false });
  try {
    const unwritable = writeLockFailure(before, 'Nothing was signed in to: run signrelay authorize again once that is fixed.');
    if (unwritable) throw unwritable;
  } finally {
    before.close();
  }
  const state = newState();
  const waiting = await waitForCode(redirectUri, state, io, timeoutSeconds * 1000);
  let code: string;
  try {
    io.stdout.write([
      `Open this address in a browser and sign in to ${flow.displayName} as the account signrelay sends from:`,
      '',
      `  ${flow.authorizeUrl({ redirectUri, scope: values.scope ?? DEFAULT_SCOPE, state })}`,
      '',
      `Waiting for the redirect to ${redirectUri} — or paste the address the browser ends on here.`,
      '',
    ].join('\n'));
    code = await waiting.code;
  } finally {
    waiting.close();
  }
  const now = Date.now();
  const token = await flow.exchange({ code, redirectUri, now });
  // The new tokens exist only here: a lock taken since (a backup) is waited for longer than
  // the usual 5 s, and a save that still fails says the sign-in is to be done again.
  const db = openDatabase(config.storage.data_dir, { upgrade: false, busyTimeoutMs: TOKEN_SAVE_WAIT_MS });
  try {
    saveToken(db, flow.tokenName, token, new Date(now));
  } catch (err) {
    throw storageFailure(err, storageContextOf(db), 'The tokens of this sign-in are not kept: run signrelay authorize again once that is fixed.') ?? err;
  } finally {
    db.close();
  }
  io.stdout.write([
    `authorized: scope "${token.scope ?? '(not stated)'}"; tokens stored in ${config.storage.data_dir}`,
    `They belong to provider.api_key: a daemon running with that key uses them at its next token refresh; one still running with another key (a rotation) keeps that key's tokens until it is restarted on the new one (\`systemctl restart ${serviceUnit()}\`).`,
    '',
  ].join('\n'));
  return 0;
}
