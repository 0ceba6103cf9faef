// Secret substitution, before validation: `${VAR}` inside any string is replaced from the
// environment, a value `{file: PATH}` is replaced by the file's content (trailing newline
// removed), and `{credential: NAME}` by a systemd credential: under the service (with
// LoadCredential=signrelay:/etc/signrelay/credentials) it is $CREDENTIALS_DIRECTORY/
// signrelay_NAME; anywhere else — `signrelay check` run by an operator — the source file
// /etc/signrelay/credentials/NAME itself, so both read the same secret.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the unit's LoadCredential= takes the credentials from (deploy/signrelay.service). */
export const CREDENTIALS_SOURCE_DIR = '/etc/signrelay/credentials';

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  requireSecrets: boolean;
  problem: (path: string, message: string) => void;
}

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function resolveSecrets(value: unknown, options: ResolveOptions, path: string[] = []): unknown {
  if (typeof value === 'string') return substitute(value, options, path);
  if (Array.isArray(value)) return value.map((v, i) => resolveSecrets(v, options, [...path, String(i)]));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0]![0] === 'file') return readSecretFile(entries[0]![1], options, path);
    if (entries.length === 1 && entries[0]![0] === 'credential') return readCredential(entries[0]![1], options, path);
    return Object.fromEntries(entries.map(([k, v]) => [k, resolveSecrets(v, options, [...path, k])]));
  }
  return value;
}

function substitute(text: string, options: ResolveOptions, path: string[]): string {
  return text.replace(VAR_RE, (_, name: string) => {
    const found = options.env[name];
    if (found === '' && options.requireSecrets) {
      options.problem(path.join('.'), `environment variable ${name} is set but empty (export its value)`);
      return `empty-${name.toLowerCase()}`; // a placeholder, so the schema does not report the same setting again
    }
    if (found !== undefined) return found;
    if (options.requireSecrets) {
      options.problem(path.join('.'), `environment variable ${name} is not set (export it — signrelay check --env-file FILE reads the EnvironmentFile= of the service — or refer to a file: {credential: NAME} or {file: PATH})`);
    }
    return `unset-${name.toLowerCase()}`;
  });
}

function readSecretFile(file: unknown, options: ResolveOptions, path: string[], source?: string): string | undefined {
  const where = path.join('.');
  if (typeof file !== 'string' || file === '') {
    options.problem(where, 'expected {file: PATH} with the path of a file holding the secret');
    return undefined;
  }
  const resolvedPath = substitute(file, options, path);
  // Under systemd a credential is read from the service's copy; the file to fix is its source.
  const fix = source && source !== resolvedPath ? ` (systemd's copy of ${source}: fix that file, then restart the service)` : '';
  try {
    const value = readFileSync(resolvedPath, 'utf8').replace(/\r?\n$/, '');
    if (value.trim() === '' && options.requireSecrets) {
      options.problem(where, `secret file ${resolvedPath} is empty${fix}: put the secret in it`);
      return 'empty-secret-file'; // as for an unreadable one: reported once, here
    }
    return value;
  } catch (err) {
    if (options.requireSecrets) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file'
        : code === 'EACCES' || code === 'EPERM' ? `${code}: this user (uid ${process.getuid?.() ?? '?'}) may not read it; run the command as root or as the service's user, or make the file readable by that user`
        : code;
      options.problem(where, `cannot read secret file ${resolvedPath} (${why})${fix}`);
    }
    return `unreadable-secret-file`;
  }
}

const CREDENTIAL_NAME_RE = /^[A-Za-z0-9_.-]+$/;

/** The file a credential is read from: the service's copy when systemd gave us one, else its source. */
export function credentialPath(name: string, env: NodeJS.ProcessEnv, sourceDir = CREDENTIALS_SOURCE_DIR): string {
  const loaded = env.CREDENTIALS_DIRECTORY;
  if (loaded) {
    const viaDirectory = join(loaded, `signrelay_${name}`);
    return existsSync(viaDirectory) ? viaDirectory : join(loaded, name);
  }
  return join(env.SIGNRELAY_CREDENTIALS_SOURCE ?? sourceDir, name);
}

function readCredential(name: unknown, options: ResolveOptions, path: string[]): string | undefined {
  if (typeof name !== 'string' || !CREDENTIAL_NAME_RE.test(name)) {
    options.problem(path.join('.'), 'expected {credential: NAME} with the name of a credential file (letters, digits, ., -, _)');
    return undefined;
  }
  return readSecretFile(credentialPath(name, options.env), options, path, join(options.env.SIGNRELAY_CREDENTIALS_SOURCE ?? CREDENTIALS_SOURCE_DIR, name));
}
