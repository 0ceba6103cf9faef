// What each record heard, counted from the ServiceNow simulator's own records: every work
// note by the event it reports, every status-field update that reached the instance (a
// PATCH carried out — answered, or answered to a daemon that was killed before it could
// read it). A delivered request's record must have exactly one `sent` note and one `signed`
// note, and the field set to `sent` then `signed`, once each; a note or a field update
// missing or doubled is a problem. Each signer's "invitation signed, k of n" note (reconciliation)
// comes at most once, in signing order, before the signed note — exactly as many as the
// daemon queued (one per signer it recorded in signer_notes), less those it folded into
// the signed note (`superseded`): none lost, none doubled — and, by name, every signer it
// recorded as noted has their note on the record or folded. The one update the daemon may skip on purpose — a field
// value overtaken by a newer one while it waited out a retry (`superseded` in its audit
// trail) — is taken from its database. Read-only.
import type Database from 'better-sqlite3';
import type { SimRecord } from '../../src/sandbox/servicenow/instance.ts';
import type { RecordedCall } from '../../src/sandbox/servicenow/server.ts';
import { signerName } from '../../src/notices/signer-progress.ts';
import type { Signer } from '../../src/signer.ts';

/** The status field the chaos world configures. */
export const STATUS_FIELD = 'u_signature_status';

/** A note's event, by the words it starts with (src/completion/record-notes.ts). */
const NOTE_EVENTS: Array<[string, RegExp]> = [['sent', /^Sent for signature /], ['signed', /^Signed via /]];

export interface RecordUpdateTally {
  /** Notes beyond one per event. */
  duplicateNotes: number;
  /** Field updates beyond one per transition. */
  duplicateFieldUpdates: number;
  /** Per-signer "invitation signed, k of n" notes on the record. */
  signerNotes: number;
  problems: string[];
}

/**
 * @param delivered whether the record got the signed copy (only then is every update due;
 *   a record still waiting is checked for doubles alone)
 */
export function verifyRecordUpdates(record: SimRecord, calls: readonly RecordedCall[], db: Database.Database | undefined, delivered: boolean, seenSigners: readonly number[] = []): RecordUpdateTally {
  const problems: string[] = [];
  const notes = record.journal.filter((j) => j.field === 'work_notes').map((j) => j.value);
  let duplicateNotes = 0;
  for (const [event, pattern] of NOTE_EVENTS) {
    const n = notes.filter((note) => pattern.test(note)).length;
    if (n > 1) {
      duplicateNotes += n - 1;
      problems.push(`${record.number}: ${n} "${event}" work notes`);
    }
    if (n === 0 && delivered) problems.push(`${record.number}: no "${event}" work note${whyMissing(record, calls, db, event === 'signed' ? 'work-note' : 'record-note-')}`);
  }
  const progress = verifyProgressNotes(record, notes, calls, db, delivered, seenSigners);
  duplicateNotes += progress.duplicateNotes;
  problems.push(...progress.problems);
  for (const other of notes.filter((note) => !NOTE_EVENTS.some(([, pattern]) => pattern.test(note)) && !PROGRESS_NOTE.test(note))) {
    problems.push(`${record.number}: an unexpected work note: ${other.slice(0, 120)}`);
  }

  const values = fieldUpdates(record, calls);
  const expected = ['sent', 'signed'].filter((value) => !superseded(db, record.number, value));
  let duplicateFieldUpdates = 0;
  for (const value of new Set(values)) {
    const n = values.filter((v) => v === value).length;
    if (n > 1) {
      duplicateFieldUpdates += n - 1;
      problems.push(`${record.number}: ${STATUS_FIELD} set to "${value}" ${n} times`);
    }
  }
  const once = values.filter((v, i) => values.indexOf(v) === i);
  if (delivered && once.join(',') !== expected.join(',')) {
    problems.push(`${record.number}: ${STATUS_FIELD} was set to [${values.join(', ')}], not [${expected.join(', ')}]${whyMissing(record, calls, db, 'record-field-')}`);
  }
  if (delivered && record.fields[STATUS_FIELD] !== 'signed') problems.push(`${record.number}: ${STATUS_FIELD} is "${record.fields[STATUS_FIELD] ?? ''}", not "signed"`);
  return { duplicateNotes, duplicateFieldUpdates, signerNotes: progress.signerNotes, problems };
}

/** The values the status field was PATCHed with and the instance carried out (not refused, not reset), in order. */
function fieldUpdates(record: SimRecord, calls: readonly RecordedCall[]): string[] {
  return calls
    .filter((c) => c.method === 'PATCH' && c.path.endsWith(`/${record.sysId}`) && c.fault !== 'reset' && (c.status === 0 || c.status < 400)
      && typeof c.body === 'object' && c.body !== null && STATUS_FIELD in c.body)
    .map((c) => String((c.body as Record<string, unknown>)[STATUS_FIELD]));
}

/** Whether the daemon recorded this record's `value` update as overtaken by a newer one. */
function superseded(db: Database.Database | undefined, recordNumber: string, value: string): boolean {
  if (!db) return false;
  const row = db.prepare(`SELECT 1 FROM events e JOIN requests r ON r.id = e.request_id JOIN jobs j ON j.request_id = r.id
      WHERE r.record_number = ? AND e.kind = 'effect' AND json_extract(e.detail, '$.phase') = 'superseded'
        AND json_extract(e.detail, '$.effect') = 'record-field-' || j.id AND json_extract(j.payload, '$.status') = ? LIMIT 1`).get(recordNumber, value);
  return row !== undefined;
}

/** Where the record's missing update stopped: refused PATCHes, or an intent the daemon never settled. */
function whyMissing(record: SimRecord, calls: readonly RecordedCall[], db: Database.Database | undefined, effect: string): string {
  const refused = calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(`/${record.sysId}`) && c.status >= 400);
  if (refused.length > 0) return ` (PATCHes refused: HTTP ${refused.map((c) => c.status).join(', ')})`;
  if (!db) return '';
  const phases = db.prepare(`SELECT json_extract(e.detail, '$.phase') AS phase FROM events e JOIN requests r ON r.id = e.request_id
      WHERE r.record_number = ? AND e.kind = 'effect' AND json_extract(e.detail, '$.effect') LIKE ? ORDER BY e.id`).all(record.number, `${effect}%`) as Array<{ phase: string }>;
  return phases.length > 0 ? ` (the daemon recorded: ${phases.map((p) => p.phase).join(' → ')})` : '';
}

/** A signer's note (record-notes.ts progressNote + the update marker): whose invitation, k of n. */
const PROGRESS_NOTE = /^(.*?)(?:'s|') invitation signed, (\d+) of (\d+)\b.*\(signrelay \S+, progress #\d+\)$/;

/**
 * The per-signer notes of one record: each signer (by the words before "signed") at most
 * once, counts 1, 2, … in journal order, all before the signed note; and on a delivered
 * record exactly the notes the daemon queued and did not fold.
 */
function verifyProgressNotes(record: SimRecord, notes: readonly string[], calls: readonly RecordedCall[], db: Database.Database | undefined, delivered: boolean, seenSigners: readonly number[]): { duplicateNotes: number; signerNotes: number; problems: string[] } {
  const problems: string[] = [];
  const progress = notes.map((note, at) => ({ at, match: PROGRESS_NOTE.exec(note) })).filter((p) => p.match !== null);
  const who = progress.map((p) => p.match![1]!);
  const duplicateNotes = who.length - new Set(who).size;
  for (const name of new Set(who)) {
    const n = who.filter((w) => w === name).length;
    if (n > 1) problems.push(`${record.number}: ${n} "${name} signed" work notes`);
  }
  const counts = progress.map((p) => Number(p.match![2]));
  if (counts.some((k, i) => k !== i + 1)) problems.push(`${record.number}: signer notes count ${counts.join(', ')}, not 1, 2, … in order`);
  const signedAt = notes.findIndex((note) => /^Signed via /.test(note));
  if (signedAt >= 0 && progress.some((p) => p.at > signedAt)) problems.push(`${record.number}: a signer's note after the signed note`);
  if (db && delivered) {
    const jobs = db.prepare(`SELECT EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id AND e.kind = 'effect'
          AND json_extract(e.detail, '$.effect') = 'record-note-' || j.id AND json_extract(e.detail, '$.phase') = 'superseded') AS folded
        FROM jobs j JOIN requests r ON r.id = j.request_id
        WHERE r.record_number = ? AND j.kind = 'record' AND json_extract(j.payload, '$.event') = 'progress'`).all(record.number) as Array<{ folded: number }>;
    const due = jobs.filter((j) => j.folded === 0).length;
    const noted = (db.prepare('SELECT count(*) AS n FROM signer_notes s JOIN requests r ON r.id = s.request_id WHERE r.record_number = ?').get(record.number) as { n: number }).n;
    // REST delivery with work notes: every signer recorded as noted has exactly one note queued.
    if (jobs.length !== noted) problems.push(`${record.number}: ${jobs.length} signer note(s) queued for ${noted} signer(s) recorded as noted`);
    if (progress.length !== due) problems.push(`${record.number}: ${progress.length} signer note(s) on the record, ${due} queued and not folded${whyMissing(record, calls, db, 'record-note-')}`);
    // By name, not only by count: each signer recorded as noted is named by a note on the record, or their note was folded into the signed note.
    const notedByName = notedSigners(db, record.number);
    for (const name of notedByName) {
      if (!name.folded && !who.includes(name.name)) problems.push(`${record.number}: ${name.name} is recorded as noted, and no "${name.name} signed" note reached the record${whyMissing(record, calls, db, 'record-note-')}`);
    }
    // From the provider's side: a signature a status read saw before the request completed is noted (or folded), never lost.
    for (const position of seenSigners) {
      if (!notedByName.some((n) => n.position === position)) problems.push(`${record.number}: signer #${position + 1} signed, a status read at the provider saw it before the last signature, and the daemon never noted it`);
    }
  }
  return { duplicateNotes, signerNotes: progress.length, problems };
}

/** Each signer the daemon recorded as noted (signer_notes), by the name a note gives them, and whether each note queued for them was folded into the signed note. */
function notedSigners(db: Database.Database, recordNumber: string): Array<{ position: number; name: string; folded: boolean }> {
  const rows = db.prepare(`SELECT s.position, r.signers_json AS signers,
        NOT EXISTS (SELECT 1 FROM jobs j WHERE j.request_id = r.id AND j.kind = 'record' AND json_extract(j.payload, '$.event') = 'progress'
          AND json_extract(j.payload, '$.position') = s.position AND NOT EXISTS (SELECT 1 FROM events e WHERE e.request_id = r.id AND e.kind = 'effect'
            AND json_extract(e.detail, '$.effect') = 'record-note-' || j.id AND json_extract(e.detail, '$.phase') = 'superseded')) AS folded
      FROM signer_notes s JOIN requests r ON r.id = s.request_id WHERE r.record_number = ?`).all(recordNumber) as Array<{ position: number; signers: string; folded: number }>;
  return rows.map((r) => {
    const signer = (JSON.parse(r.signers) as Signer[])[r.position];
    return { position: r.position, name: signer ? signerName(signer) : `signer #${r.position + 1}`, folded: r.folded === 1 };
  });
}
