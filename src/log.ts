// The winston root logger. Secrets are redacted here, at the root, so no call site can
// leak one: values of secret-looking fields are replaced, and every secret value known
// from the configuration is masked wherever it appears in a message or field.
import winston from 'winston';

const SECRET_KEY_RE = /pass(word)?|secret|token|authorization|api_?key|signature|cookie/i;
const REDACTED = '[redacted]';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level?: string;
  format?: 'json' | 'text' | 'auto';
  /** Secret values to mask anywhere they appear (from the loaded config). */
  secrets?: string[];
  /** Where to write; default stdout. Tests pass a stream to inspect output. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const redact = winston.format((info) => redactRecord(info, secrets) as winston.Logform.TransformableInfo)();
  const useJson = options.format === 'json' || (options.format !== 'text' && !process.stdout.isTTY);
  const format = winston.format.combine(
    redact,
    winston.format.timestamp(),
    useJson ? winston.format.json() : winston.format.printf(({ timestamp, level, message, ...rest }) => {
      const fields = Object.entries(rest).filter(([k]) => typeof k === 'string').map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${fields.length ? `  ${fields.join(' ')}` : ''}`;
    }),
  );
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({ level: options.level ?? 'info', format, transports: [transport], silent: options.silent ?? false });
}

export function redactRecord(value: unknown, secrets: string[], key = ''): unknown {
  if (key && SECRET_KEY_RE.test(key) && value !== undefined && value !== null && value !== '') return REDACTED;
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

export function maskSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** A logger that drops everything, for commands and tests that need one. */
export function silentLogger(): Logger {
  return createLogger({ silent: true });
}
