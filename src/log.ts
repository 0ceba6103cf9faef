// The winston root logger. Secrets are redacted here, at the root, so no call site can
// leak one: values of secret-looking fields are replaced, and every secret value known
// from the configuration is masked wherever it appears in a message or field — also
// base64-encoded (basic auth), and any Basic/Bearer credential (maskSecrets).
import winston from 'winston';
import { standardOutput } from './log-output.ts';
import { escapeForTerminal, escapeJson } from './terminal-text.ts';

/** Where winston keeps the finished line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

const SECRET_KEY_RE = /pass(word)?|secret|token|authorization|api_?key|signature|cookie/i;

/** Whether a field or setting of this name holds a secret: its value is never shown (logs, configuration errors). */
export function isSecretName(name: string): boolean {
  return SECRET_KEY_RE.test(name);
}
const REDACTED = '[redacted]';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level?: string;
  format?: 'json' | 'text' | 'auto';
  /** Secret values to mask anywhere they appear (from the loaded config). */
  secrets?: string[];
  /** Where to write; default stdout (log-output.ts: a failing output drops lines, never the daemon). Tests pass a stream to inspect output. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  // Longest first: a secret that contains another is masked whole.
  const secrets = [...(options.secrets ?? [])].sort((a, b) => b.length - a.length);
  const redact = winston.format((info) => redactRecord(info, secrets) as winston.Logform.TransformableInfo)();
  const useJson = options.format === 'json' || (options.format !== 'text' && !process.stdout.isTTY);
  // Every line is safe on a terminal: a log line quotes outside text (a mail's subject, a
  // rejection's reason, a server's answer), whose escape sequences could set the window's
  // title, clear the screen or move the cursor over what was printed (terminal-text.ts).
  const format = winston.format.combine(
    redact,
    winston.format.timestamp(),
    useJson ? winston.format.json() : winston.format.printf(({ timestamp, level, message, ...rest }) => {
      const fields = Object.entries(rest).filter(([k]) => typeof k === 'string')
        .map(([k, v]) => `${escapeForTerminal(k)}=${typeof v === 'string' ? escapeForTerminal(v) : escapeJson(JSON.stringify(v) ?? String(v))}`);
      return `${String(timestamp)} ${level.padEnd(5)} ${escapeForTerminal(String(message))}${fields.length ? `  ${fields.join(' ')}` : ''}`;
    }),
    ...(useJson ? [escapeJsonLine()] : []),
  );
  const transport = new winston.transports.Stream({ stream: options.stream ?? standardOutput() });
  return winston.createLogger({ level: options.level ?? 'info', format, transports: [transport], silent: options.silent ?? false });
}

/** The JSON line winston made, with what JSON leaves raw (C1 controls, bidi and other format characters) escaped. */
const escapeJsonLine = winston.format((info) => {
  const line = (info as Record<symbol, unknown>)[MESSAGE];
  if (typeof line === 'string') (info as Record<symbol, unknown>)[MESSAGE] = escapeJson(line);
  return info;
});

export function redactRecord(value: unknown, secrets: string[], key = ''): unknown {
  if (key && isSecretName(key) && value !== undefined && value !== null && value !== '') return REDACTED;
  if (typeof value === 'string') return maskSecrets(value, secrets);
  if (value instanceof Error) return maskSecrets(value.message, secrets);
  if (Array.isArray(value)) return value.map((v) => redactRecord(v, secrets));
  if (value !== null && typeof value === 'object') {
    const out: Record<string | symbol, unknown> = {};
    for (const k of Reflect.ownKeys(value)) {
      const v = (value as Record<string | symbol, unknown>)[k];
      out[k] = typeof k === 'string' ? redactRecord(v, secrets, k) : v;
    }
    return out;
  }
  return value;
}

/**
 * `text` with every known secret replaced — as it is, and inside a base64 run that decodes
 * to something containing it (HTTP basic credentials base64(user:password), SASL PLAIN
 * base64(\0user\0password): the password alone would not be found in them) — and with the
 * credential of any `Basic …` / `Bearer …` authorization replaced, whether known or not
 * (an access token obtained at run time is not in the configuration). Shared by the logger
 * and by the HTTP clients' error messages (http/mask-secrets.ts), which end up in the database.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  const known = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join(REDACTED);
  out = out.replace(AUTHORIZATION_RE, (_match, scheme: string) => `${scheme} ${REDACTED}`);
  if (known.length > 0) out = out.replace(BASE64_RUN_RE, (run) => (decodesToSecret(run, known) ? REDACTED : run));
  return out;
}

/** Shorter values would mask ordinary words; no configured secret is that short. */
const MIN_SECRET_LENGTH = 4;
/** An authorization credential: at least 8 characters with a digit or +/= in them (a real one always has), so "Bearer tokens" stays. */
const AUTHORIZATION_RE = /\b(Basic|Bearer)\s+(?=[A-Za-z._~-]*[0-9+/=])[A-Za-z0-9._~+/-]{8,}=*/gi;
/** Runs that could be base64 (either alphabet) of something at least a short secret long. */
const BASE64_RUN_RE = /[A-Za-z0-9+/_-]{8,}={0,2}/g;

function decodesToSecret(run: string, secrets: readonly string[]): boolean {
  const decoded = Buffer.from(run, 'base64').toString('latin1');
  return secrets.some((s) => decoded.includes(s));
}

/** A logger that drops everything, for commands and tests that need one. */
export function silentLogger(): Logger {
  return createLogger({ silent: true });
}
