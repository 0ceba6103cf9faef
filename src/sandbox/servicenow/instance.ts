// The simulated instance's data: task records (each with a table and a sys_class_name, so
// a child-table HR case is found through its parent or `task`), their journals (the
// sys_journal_field rows behind work_notes and comments), and sys_attachment rows with real
// bytes and SHA-256 hashes. The Table and Attachment APIs and the inbound email action all
// act on this one store; tests inspect it directly.
import { createHash, randomBytes } from 'node:crypto';
import { HttpProblem } from '../http-util.ts';

export interface SeedRecord {
  table: string;
  number: string;
  sysId?: string;
  /** The record's real class when it lives in a child table (e.g. sn_hr_core_case_payroll). */
  sys_class_name?: string;
  /** Further string fields (short_description, …). */
  fields?: Record<string, string>;
}

export interface JournalEntry {
  /** Its sys_journal_field row. */
  sysId: string;
  field: 'work_notes' | 'comments';
  value: string;
  at: number;
  by: string;
}

export interface SimAttachment {
  sysId: string;
  fileName: string;
  tableName: string;
  tableSysId: string;
  contentType: string;
  bytes: Buffer;
  sizeBytes: number;
  hash: string;
  createdAt: number;
  createdBy: string;
}

export interface SimRecord {
  table: string;
  sysClassName: string;
  sysId: string;
  number: string;
  fields: Record<string, string>;
  journal: JournalEntry[];
  attachments: SimAttachment[];
}

/** ServiceNow's error body: `{"error":{"message","detail"},"status":"failure"}`. */
export function snError(status: number, message: string, detail: string | null, headers: Record<string, string> = {}): HttpProblem {
  return new HttpProblem(status, { error: { message, detail }, status: 'failure' }, `${message}: ${detail ?? ''}`, headers);
}

export const NOT_FOUND = () => snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");

export function newSysId(): string {
  return randomBytes(16).toString('hex');
}

/** glide_date_time as the API shows it: "2026-11-03 10:00:00" (UTC). */
export function glideDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

/** One condition of an encoded query: `field=value`, `field!=value`, `fieldLIKEvalue`, … */
export interface QueryCondition {
  field: string;
  operator: '=' | '!=' | 'LIKE' | 'STARTSWITH' | 'ENDSWITH';
  value: string;
}

/** Conditions of an encoded query (`^` = and). Parts it does not understand are silently
 *  ignored, as the instance does — which is why callers must check what comes back. */
export function parseEncodedQuery(query: string | null): QueryCondition[] {
  if (!query) return [];
  const out: QueryCondition[] = [];
  for (const part of query.split('^')) {
    const match = /^([a-z_][a-z0-9_.]*)(!=|=|LIKE|STARTSWITH|ENDSWITH)(.*)$/.exec(part);
    if (match) out.push({ field: match[1]!, operator: match[2] as QueryCondition['operator'], value: match[3]! });
  }
  return out;
}

/** Whether a row (every value a string) meets every condition; a field the row lacks is ignored.
 *  Text comparisons other than `=` ignore case, as the instance's database does. */
export function meetsQuery(row: Record<string, string>, conditions: QueryCondition[]): boolean {
  return conditions.every(({ field, operator, value }) => {
    const actual = row[field];
    if (actual === undefined) return true; // unknown field: ignored
    const [a, v] = [actual.toLowerCase(), value.toLowerCase()];
    switch (operator) {
      case '=': return actual === value;
      case '!=': return actual !== value;
      case 'LIKE': return a.includes(v);
      case 'STARTSWITH': return a.startsWith(v);
      case 'ENDSWITH': return a.endsWith(v);
    }
  });
}

export class SimInstance {
  readonly records: SimRecord[] = [];
  readonly attachments = new Map<string, SimAttachment>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  addRecord(seed: SeedRecord): SimRecord {
    const record: SimRecord = {
      table: seed.table, sysClassName: seed.sys_class_name ?? seed.table, sysId: seed.sysId ?? newSysId(), number: seed.number,
      fields: { ...seed.fields }, journal: [], attachments: [],
    };
    this.records.push(record);
    return record;
  }

  /** A record is visible through its table, its class, and `task` (every seeded table extends it). */
  static inTable(record: SimRecord, table: string): boolean {
    return table === 'task' || record.table === table || record.sysClassName === table;
  }

  byNumber(number: string): SimRecord[] {
    return this.records.filter((r) => r.number.toUpperCase() === number.toUpperCase());
  }

  bySysId(sysId: string): SimRecord | undefined {
    return this.records.find((r) => r.sysId === sysId);
  }

  /** Table API fields of a record, every value a string. */
  row(record: SimRecord): Record<string, string> {
    return {
      ...record.fields, sys_id: record.sysId, number: record.number, sys_class_name: record.sysClassName,
      sys_updated_on: glideDateTime(this.now()),
    };
  }

  query(table: string, query: string | null): SimRecord[] {
    // Numbers compare without regard to case (the database's collation).
    const conditions = parseEncodedQuery(query).map((c) => (c.field === 'number' ? { ...c, value: c.value.toUpperCase() } : c));
    return this.records.filter((r) => SimInstance.inTable(r, table) && meetsQuery({ ...this.row(r), number: r.number.toUpperCase() }, conditions));
  }

  addJournal(record: SimRecord, field: JournalEntry['field'], value: string, by: string): void {
    record.journal.push({ sysId: newSysId(), field, value, at: this.now(), by });
  }

  /** sys_journal_field rows (every record's journal) meeting the query, oldest first. */
  journalRows(query: string | null): Array<{ record: SimRecord; row: Record<string, string> }> {
    const conditions = parseEncodedQuery(query);
    return this.records
      .flatMap((record) => record.journal.map((entry) => ({ record, row: journalRow(record, entry) })))
      .filter(({ row }) => meetsQuery(row, conditions));
  }

  attach(record: SimRecord, input: { tableName: string; fileName: string; contentType: string; bytes: Buffer; by: string }): SimAttachment {
    const attachment: SimAttachment = {
      sysId: newSysId(), fileName: input.fileName, tableName: input.tableName, tableSysId: record.sysId, contentType: input.contentType,
      bytes: input.bytes, sizeBytes: input.bytes.length, hash: createHash('sha256').update(input.bytes).digest('hex'),
      createdAt: this.now(), createdBy: input.by,
    };
    this.attachments.set(attachment.sysId, attachment);
    record.attachments.push(attachment);
    return attachment;
  }

  listAttachments(query: string | null): SimAttachment[] {
    const conditions = parseEncodedQuery(query);
    return [...this.attachments.values()].filter((a) => meetsQuery(attachmentRow(a, ''), conditions));
  }
}

/** A sys_journal_field row as the Table API shows it: `element_id` is the record, `name` its table. */
export function journalRow(record: SimRecord, entry: JournalEntry): Record<string, string> {
  const on = glideDateTime(entry.at);
  return {
    sys_id: entry.sysId, element: entry.field, element_id: record.sysId, name: record.sysClassName, value: entry.value,
    sys_created_on: on, sys_created_by: entry.by, sys_tags: '',
  };
}

/** The Attachment API's JSON for one sys_attachment row (all strings). */
export function attachmentRow(a: SimAttachment, base: string): Record<string, string> {
  const on = glideDateTime(a.createdAt);
  return {
    sys_id: a.sysId, file_name: a.fileName, table_name: a.tableName, table_sys_id: a.tableSysId, content_type: a.contentType,
    size_bytes: String(a.sizeBytes), size_compressed: String(a.sizeBytes), compressed: 'true', chunk_size_bytes: '700000',
    hash: a.hash, state: 'available', average_image_color: '', image_width: '', image_height: '', sys_tags: '', sys_mod_count: '0',
    download_link: `${base}/api/now/attachment/${a.sysId}/file`,
    sys_created_on: on, sys_created_by: a.createdBy, sys_updated_on: on, sys_updated_by: a.createdBy,
  };
}
