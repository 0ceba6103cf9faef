// Reads signrelay.yaml: YAML → secret substitution → schema validation. Every problem is
// reported by its path in the file (`limits.max_mail_bytes: expected a positive integer`),
// all of them at once, so an operator fixes the file in one go.
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { SignrelayError } from '../errors.ts';
import { configSchema, type Config } from './schema.ts';
import { resolveSecrets } from './resolve-secrets.ts';
import { sharesRequestFolder } from './return-account.ts';
import { isSecretName } from '../log.ts';
import { DEFAULT_CONFIG_PATH } from './config-path.ts';
import { instanceOf } from './instance.ts';

export interface LoadOptions {
  /** Environment for `${VAR}` substitution (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * When false, a missing `${VAR}` or secret file becomes a placeholder instead of an
   * error: for commands that never use secrets (`explain` with the example config).
   */
  requireSecrets?: boolean;
}

export function loadConfigFile(path: string, options: LoadOptions = {}): Config {
  return parseConfigText(readConfigText(path), path, options);
}

/** What the reading operator commands (status, requests, show) need of a configuration. */
export type ReadingConfig = Pick<Config, 'storage' | 'limits' | 'credentials'>;

/**
 * A configuration for the commands that only read the daemon's state: the whole of it when it
 * is valid; else, when the sections they need are (`storage`, `limits`, `credentials`), those —
 * with `problems`, the error the daemon would refuse it with. Right after a reload refused for
 * a typo in a route is when the operator asks `status` how the daemon is.
 */
export function loadReadingConfig(path: string): { config: ReadingConfig; problems?: SignrelayError } {
  const text = readConfigText(path);
  try {
    return { config: parseConfigText(text, path, { requireSecrets: false }) };
  } catch (err) {
    if (!(err instanceof SignrelayError) || err.code !== 'config_invalid') throw err;
    const raw = resolveSecrets(parseYaml(text), { env: process.env, requireSecrets: false, problem: () => undefined }) as Record<string, unknown>;
    const { storage, limits, credentials } = configSchema.shape;
    const parts = { storage: storage.safeParse(raw.storage), limits: limits.safeParse(raw.limits), credentials: credentials.safeParse(raw.credentials) };
    if (!parts.storage.success || !parts.limits.success || !parts.credentials.success) throw err;
    return { config: { storage: parts.storage.data, limits: parts.limits.data, credentials: parts.credentials.data }, problems: err };
  }
}

function readConfigText(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const closed = code === 'EACCES' ? closedDirectory(path) : undefined;
    const why = closed !== undefined
      ? `permission denied for this user (uid ${process.getuid?.() ?? '?'}) on the directory ${closed}: let the service's user enter it (chmod 0755 ${closed}, or chgrp signrelay ${closed}; chmod 0750 ${closed}), or run the command as a user who may`
      : code === 'EACCES'
      ? `permission denied for this user (uid ${process.getuid?.() ?? '?'}): let the service's user read it (chgrp signrelay ${path}; chmod 0640 ${path}), or run the command as a user who may`
      : code === 'ENOENT' ? `the file does not exist${missingFileHint(path)}` : `${String(code)}. Pass --config FILE or set SIGNRELAY_CONFIG`;
    throw new SignrelayError('config', 'config_unreadable', `cannot read the configuration ${path}: ${why}.`, { cause: err });
  }
  return text;
}

/**
 * What to do about a configuration file that is not there (instances review L2): an instance
 * `--name` chose is made by `init --name`; beside the default file, the instances there are
 * named, as `--name` finds them; else a file is passed.
 */
export function missingFileHint(path: string, env: NodeJS.ProcessEnv = process.env, list = (dir: string) => readdirSync(dir)): string {
  const name = env.SIGNRELAY_INSTANCE;
  const chosen = name ? instanceOf(name) : undefined;
  if (chosen && 'configPath' in chosen && chosen.configPath === path) return `: there is no instance ${name} on this host — \`signrelay init --name ${name}\` writes its configuration`;
  if (path === DEFAULT_CONFIG_PATH) {
    let instances: string[] = [];
    try {
      instances = list(dirname(path)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).filter((n) => 'configPath' in instanceOf(n)).sort();
    } catch {
      // No /etc/signrelay at all.
    }
    if (instances.length > 0) return `; this host runs instances: pass --name ${instances.join(', --name ')} (or --config FILE)`;
  }
  return '. Pass --config FILE or set SIGNRELAY_CONFIG';
}

/** The first directory on the way to `path` this user may not enter, if one is what refused it (env review L1: the file was told to be chmod'ed, which it was). */
export function closedDirectory(path: string, mayEnter = (dir: string) => canEnter(dir)): string | undefined {
  const dirs: string[] = [];
  for (let dir = dirname(resolve(path)); dirname(dir) !== dir; dir = dirname(dir)) dirs.unshift(dir);
  return dirs.find((dir) => !mayEnter(dir));
}

function canEnter(dir: string): boolean {
  try {
    accessSync(dir, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function parseConfigText(text: string, source: string, options: LoadOptions = {}): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new SignrelayError('config', 'config_yaml', `${source}: not valid YAML${where}: ${(err as Error).message.split('\n')[0]!.replace(/ at line \d+, column \d+:?\s*$/, '')}`, { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SignrelayError('config', 'config_empty', `${source}: expected a YAML mapping with the sections mailboxes, smtp, provider, routes`);
  }
  const problems: string[] = [];
  const resolved = resolveSecrets(raw, {
    env: options.env ?? process.env,
    requireSecrets: options.requireSecrets ?? true,
    problem: (path, message) => problems.push(`${path}: ${message}`),
  });
  const result = configSchema.safeParse(resolved);
  if (!result.success) problems.push(...formatIssues(result.error.issues, resolved));
  if (result.success && sharesRequestFolder(result.data)) {
    problems.push(`mailboxes.returns.folder: "${result.data.mailboxes.returns.folder}" is the request folder of the same account; give the return mailbox its own folder (e.g. Returns, filled by a server rule for ${result.data.mailboxes.returns.address.replace('@', '+…@')}) or its own account (host, user, password)`);
  }
  if (problems.length > 0) {
    throw new SignrelayError('config', 'config_invalid',
      `${source} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  ${problems.join('\n  ')}`);
  }
  return result.data!;
}

function formatIssues(issues: z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.join(', ');
      return `${path === '(top level)' ? '' : `${path}: `}unknown setting${issue.keys.length > 1 ? 's' : ''} ${keys} (see config/signrelay.example.yaml)`;
    }
    if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
      return `${path}: required setting is missing`;
    }
    if (issue.code === 'invalid_key') {
      return `${path}: ${issue.issues.map((i) => i.message).join('; ')}`;
    }
    // A secret's value is never repeated (a numeric password fails as "expected a text"): the
    // configuration did not load, so no mask knows it yet.
    return `${path}: ${plainWords(issue, isSecretName(String(issue.path.at(-1) ?? '')) ? SECRET_VALUE : valueAt(input, issue.path))}`;
  });
}

/** Stands for a secret's value in a message. */
const SECRET_VALUE = Symbol('secret');

/**
 * zod's own wording where a setting has none of ours ("Invalid input: expected boolean,
 * received string"), said for an operator: what was expected and what the file holds.
 */
function plainWords(issue: z.core.$ZodIssue, value: unknown): string {
  const own = !/^(Invalid input|Invalid option|Too small|Too big|Invalid URL|Invalid string)/.test(issue.message);
  if (own) return issue.message;
  const got = value === SECRET_VALUE ? 'a value of another kind (not repeated: it is a secret)' : value === null ? 'nothing (an empty value)' : typeof value === 'string' ? `"${value.length > 60 ? `${value.slice(0, 60)}…` : value}"` : JSON.stringify(value) ?? String(value);
  const kinds: Record<string, string> = { boolean: 'true or false', string: 'a text', number: 'a number', object: 'a mapping of settings (key: value lines)', array: 'a list ([a, b])' };
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${kinds[issue.expected] ?? issue.expected}, got ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}, got ${got}`;
    case 'too_small':
      return issue.origin === 'string' && Number(issue.minimum) <= 1 ? 'expected a value, got an empty one' : `expected at least ${String(issue.minimum)}, got ${got}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}, got ${got}`;
    case 'invalid_format':
      return `expected ${issue.format === 'url' ? 'an http(s) URL' : `a ${issue.format}`}, got ${got}`;
    default:
      return issue.message;
  }
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
