// The configured secrets as the daemon last saw them (migration 0009): a fingerprint and
// the first time that fingerprint was seen, per setting. What the ages are made of; the
// rules (how old is too old) are config/credential-age.ts.
import type { Db } from './open-database.ts';

export interface SeenSecret {
  setting: string;
  fingerprint: string;
}

export interface CredentialRow extends SeenSecret {
  firstSeenAt: string;
  alertedAt: string | null;
}

/**
 * Records the secrets the daemon runs with: a setting seen with a new fingerprint (rotated)
 * starts its age again and may be alerted about again; a setting no longer configured is
 * forgotten. Returns the settings whose value is new to this table.
 */
export function recordSeenSecrets(db: Db, seen: readonly SeenSecret[], now: Date): { added: string[]; rotated: string[] } {
  const at = now.toISOString();
  return db.transaction(() => {
    const before = new Map(listCredentialRows(db).map((r) => [r.setting, r.fingerprint]));
    const upsert = db.prepare(`INSERT INTO credential_fingerprints (setting, fingerprint, first_seen_at, last_seen_at, alerted_at) VALUES (?, ?, ?, ?, NULL)
      ON CONFLICT(setting) DO UPDATE SET last_seen_at = excluded.last_seen_at,
        first_seen_at = CASE WHEN fingerprint = excluded.fingerprint THEN first_seen_at ELSE excluded.first_seen_at END,
        alerted_at = CASE WHEN fingerprint = excluded.fingerprint THEN alerted_at ELSE NULL END,
        fingerprint = excluded.fingerprint`);
    for (const s of seen) upsert.run(s.setting, s.fingerprint, at, at);
    const current = new Set(seen.map((s) => s.setting));
    const forget = db.prepare('DELETE FROM credential_fingerprints WHERE setting = ?');
    for (const setting of before.keys()) if (!current.has(setting)) forget.run(setting);
    return {
      added: seen.filter((s) => !before.has(s.setting)).map((s) => s.setting),
      rotated: seen.filter((s) => before.has(s.setting) && before.get(s.setting) !== s.fingerprint).map((s) => s.setting),
    };
  })();
}

/** Every recorded setting; none when the database predates the table (an operator command beside an older daemon). */
export function listCredentialRows(db: Db): CredentialRow[] {
  let rows: Array<Record<string, string | null>>;
  try {
    rows = db.prepare('SELECT setting, fingerprint, first_seen_at, alerted_at FROM credential_fingerprints ORDER BY setting').all() as typeof rows;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return [];
    throw err;
  }
  return rows.map((r) => ({ setting: r.setting!, fingerprint: r.fingerprint!, firstSeenAt: r.first_seen_at!, alertedAt: r.alerted_at ?? null }));
}

export function markCredentialsAlerted(db: Db, settings: readonly string[], now: Date): void {
  const mark = db.prepare('UPDATE credential_fingerprints SET alerted_at = ? WHERE setting = ?');
  for (const setting of settings) mark.run(now.toISOString(), setting);
}
