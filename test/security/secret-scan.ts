// Looking for secrets where they must not be: a set of needles (each secret value and its
// obvious encodings, labelled so a failure names the secret, not the value) searched for in
// text, in every row of every table of a SQLite database (tables enumerated from
// sqlite_master, so new tables are covered without touching this file) and in the files of
// a directory. Also the credentials a simulator saw on the wire (bearer tokens, basic
// credentials, token-request fields), which the daemon learnt at run time.
import type Database from 'better-sqlite3';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Needle {
  /** What it is, for the failure message: "servicenow password (base64 user:password)". */
  label: string;
  value: string;
}

export interface Finding {
  where: string;
  label: string;
}

// Without padding: the encoding of a secret at the start of a longer value has none.
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64').replace(/=+$/, '');
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** A secret as it is, and as it may be written down by mistake: base64, base64url, URL- and JSON-escaped. */
export function needlesFor(label: string, value: string): Needle[] {
  const forms: Array<[string, string]> = [
    ['', value], [' (base64)', b64(value)], [' (base64url)', b64url(value)],
    [' (url-encoded)', encodeURIComponent(value)], [' (json-escaped)', JSON.stringify(value).slice(1, -1)],
  ];
  return dedupe(forms.map(([suffix, v]) => ({ label: `${label}${suffix}`, value: v })));
}

/** Credentials as protocols carry them: HTTP basic base64(user:password), SASL PLAIN base64(\0user\0password). */
export function credentialNeedles(label: string, user: string, password: string): Needle[] {
  return [
    { label: `${label} (basic auth base64 user:password)`, value: b64(`${user}:${password}`) },
    { label: `${label} (SASL PLAIN base64)`, value: b64(`\0${user}\0${password}`) },
  ];
}

/** What a simulator's recorded calls show of credentials: Authorization headers and token-request fields. */
export function wireCredentials(service: string, calls: ReadonlyArray<{ headers: Record<string, string>; body?: unknown }>): Needle[] {
  const out: Needle[] = [];
  for (const call of calls) {
    const authorization = /^(Bearer|Basic)\s+(\S+)$/i.exec(call.headers.authorization ?? '');
    if (authorization) out.push({ label: `${service} ${authorization[1]!.toLowerCase()} credential from the wire`, value: authorization[2]! });
    if (call.body && typeof call.body === 'object') {
      for (const [key, value] of Object.entries(call.body as Record<string, unknown>)) {
        if (typeof value === 'string' && /secret|password|token|code/i.test(key) && value.length >= 8) out.push({ label: `${service} ${key} from the wire`, value });
      }
    }
  }
  return dedupe(out);
}

export function scanText(where: string, text: string, needles: readonly Needle[]): Finding[] {
  return needles.filter((n) => text.includes(n.value)).map((n) => ({ where, label: n.label }));
}

/**
 * Every value of every row of every table, except the columns listed in `allowed`
 * (`table.column`), which hold secrets by design. Returns what was scanned too, so a test
 * can show the scan reached the tables it cares about.
 */
export function scanDatabase(db: Database.Database, needles: readonly Needle[], allowed: readonly string[]): { findings: Finding[]; rowsByTable: Record<string, number> } {
  const findings: Finding[] = [];
  const rowsByTable: Record<string, number> = {};
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  for (const table of tables) {
    const rows = db.prepare(`SELECT * FROM "${table.replaceAll('"', '""')}"`).all() as Array<Record<string, unknown>>;
    rowsByTable[table] = rows.length;
    rows.forEach((row, i) => {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || allowed.includes(`${table}.${column}`)) continue;
        const text = Buffer.isBuffer(value) ? value.toString('latin1') : String(value);
        findings.push(...scanText(`${table}.${column} (row ${i + 1})`, text, needles));
      }
    });
  }
  return { findings, rowsByTable };
}

/** Every file under `dir` that `skip` (given the path relative to dir) does not exclude. */
export function scanDirectory(dir: string, needles: readonly Needle[], skip: (path: string) => boolean): { findings: Finding[]; scanned: string[] } {
  const findings: Finding[] = [];
  const scanned: string[] = [];
  const visit = (path: string): void => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      const rel = relative(dir, full);
      if (statSync(full).isDirectory()) visit(full);
      else if (!skip(rel)) {
        scanned.push(rel);
        findings.push(...scanText(`file ${rel}`, readFileSync(full).toString('latin1'), needles));
      }
    }
  };
  visit(dir);
  return { findings, scanned };
}

function dedupe(needles: Needle[]): Needle[] {
  const seen = new Set<string>();
  return needles.filter((n) => !seen.has(n.value) && seen.add(n.value));
}
