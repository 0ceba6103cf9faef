// The simulated instance's data: task records (each with a table and a sys_class_name, so
// a child-table HR case is found through its parent or `task`), their journals, and
// sys_attachment rows with real bytes and SHA-256 hashes. The Table and Attachment APIs
// and the inbound email action all act on this one store; tests inspect it directly.
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

/** Conditions of an encoded query. Only `field=value` is understood; anything else is
 *  silently ignored, as the instance does — which is why callers must check what comes back. */
export function parseEncodedQuery(query: string | null): Array<[string, string]> {
  if (!query) return [];
  const out: Array<[string, string]> = [];
  for (const part of query.split('^')) {
    const match = /^([a-z_][a-z0-9_.]*)=(.*)$/i.exec(part);
    if (match) out.push([match[1]!, match[2]!]);
  }
  return out;
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
    const conditions = parseEncodedQuery(query);
    return this.records.filter((r) => SimInstance.inTable(r, table) && conditions.every(([name, value]) => {
      const row = this.row(r);
      if (!(name in row) && name !== 'number') return true; // unknown field: ignored
      return name === 'number' ? r.number.toUpperCase() === value.toUpperCase() : row[name] === value;
    }));
  }

  addJournal(record: SimRecord, field: JournalEntry['field'], value: string, by: string): void {
    record.journal.push({ field, value, at: this.now(), by });
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
    return [...this.attachments.values()].filter((a) => conditions.every(([name, value]) => {
      const row = attachmentRow(a, '');
      return !(name in row) || row[name] === value;
    }));
  }
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
