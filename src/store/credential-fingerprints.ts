// The secret values the daemon has run with (migration 0009): per setting and value (a
// fingerprint, never the value), when that value was first seen, whether the operators were
// told it is due, and which value is the current one. Kept per value, not per setting, so a
// value the daemon goes back to keeps its age and its alert mark. What the ages are made of;
// the rules (how old is too old) are config/credential-age.ts.
import type { Db } from './open-database.ts';

export interface SeenSecret {
  setting: string;
  fingerprint: string;
}

export interface CredentialRow extends SeenSecret {
  firstSeenAt: string;
  alertedAt: string | null;
}

export interface RecordedChanges {
  /** Settings with no current value before (a first start, a new setting), at a value never seen: its age starts now. */
  added: string[];
  /** Settings changed to a value never seen before (a rotation): its age starts now. */
  rotated: string[];
  /** Settings back to a value seen before (a rotation undone, the previous configuration restarted, a setting added again): its age goes on. */
  resumed: string[];
}

/**
 * Records the secrets the daemon runs with: each becomes its setting's current value, a
 * value never seen before with a first sighting of now, one seen before keeping its first
 * sighting and alert mark. A setting no longer configured has no current value (its rows
 * stay, see the migration).
 */
export function recordSeenSecrets(db: Db, seen: readonly SeenSecret[], now: Date): RecordedChanges {
  const at = now.toISOString();
  return db.transaction(() => {
    const current = new Map(listCredentialRows(db).map((r) => [r.setting, r.fingerprint]));
    const known = db.prepare('SELECT 1 FROM credential_fingerprints WHERE setting = ? AND fingerprint = ?');
    const changes: RecordedChanges = { added: [], rotated: [], resumed: [] };
    for (const s of seen) {
      if (current.get(s.setting) === s.fingerprint) continue;
      if (known.get(s.setting, s.fingerprint)) changes.resumed.push(s.setting);
      else (current.has(s.setting) ? changes.rotated : changes.added).push(s.setting);
    }
    db.prepare('UPDATE credential_fingerprints SET current = 0 WHERE current = 1').run();
    const upsert = db.prepare(`INSERT INTO credential_fingerprints (setting, fingerprint, first_seen_at, last_seen_at, alerted_at, current) VALUES (?, ?, ?, ?, NULL, 1)
      ON CONFLICT(setting, fingerprint) DO UPDATE SET last_seen_at = excluded.last_seen_at, current = 1`);
    for (const s of seen) upsert.run(s.setting, s.fingerprint, at, at);
    return changes;
  })();
}

/** The current value of each setting; none when the database predates the table (an operator command beside an older daemon). */
export function listCredentialRows(db: Db): CredentialRow[] {
  return selectRows(db, 'WHERE current = 1');
}

/** Every value ever recorded, current or not: what `check` compares a configuration with before the daemon runs it. */
export function listCredentialHistory(db: Db): CredentialRow[] {
  return selectRows(db, '');
}

function selectRows(db: Db, where: string): CredentialRow[] {
  let rows: Array<Record<string, string | null>>;
  try {
    rows = db.prepare(`SELECT setting, fingerprint, first_seen_at, alerted_at FROM credential_fingerprints ${where} ORDER BY setting, first_seen_at`).all() as typeof rows;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return [];
    throw err;
  }
  return rows.map((r) => ({ setting: r.setting!, fingerprint: r.fingerprint!, firstSeenAt: r.first_seen_at!, alertedAt: r.alerted_at ?? null }));
}

/** Marks these values (not their settings: a later value is alerted about in its turn) as told about; a mark already there stays. */
export function markCredentialsAlerted(db: Db, values: readonly SeenSecret[], now: Date): void {
  const mark = db.prepare('UPDATE credential_fingerprints SET alerted_at = ? WHERE setting = ? AND fingerprint = ? AND alerted_at IS NULL');
  for (const v of values) mark.run(now.toISOString(), v.setting, v.fingerprint);
}
