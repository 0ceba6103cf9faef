// The simulator's Table API and Attachment API handlers (SERVICENOW.md "Find the record",
// "Attach the file"), once the caller is authenticated: query by number, read and PATCH a
// record (journal fields and plain fields, with write ACLs per table and per field), query
// the journal itself (sys_journal_field), upload raw or multipart, list with X-Total-Count,
// download. Answers follow the documented shapes: every value a string, 201 + Location on
// upload.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { header, mediaType, parseFormBody, parseJsonBody, sendBytes, sendJson } from '../http-util.ts';
import { attachmentRow, NOT_FOUND, SimInstance, snError, type SimRecord } from './instance.ts';

/** The table behind every journal field (work_notes, comments): `element_id` = the record. */
export const JOURNAL_TABLE = 'sys_journal_field';
/**
 * The watermarks the instance issued, each naming the record its notification was about
 * (`number` = the watermark without `Ref:`, `source_table`/`source_id` = the record). The
 * real table's fields are unconfirmed (README "Unconfirmed").
 */
export const WATERMARK_TABLE = 'sys_watermark';

export interface RestContext {
  instance: SimInstance;
  base: string;
  user: string;
  forbiddenTables: ReadonlySet<string>;
  /**
   * Write ACLs that fail: `table` (a PATCH is refused with 403, reading still works) or
   * `table.field` (the field is left out of a PATCH silently — 200 with the old value — as an
   * instance does with a field-level write ACL).
   */
  writeDenied: ReadonlySet<string>;
  /** Watermark (without `Ref:`) → the sys_id of the record it was issued for. */
  watermarks: ReadonlyMap<string, string>;
}

const DEFAULT_LIMIT = 10000;

function forbid(ctx: RestContext, tables: string[], operation: string): void {
  if (tables.some((t) => ctx.forbiddenTables.has(t))) {
    throw snError(403, 'Operation Failed', `ACL Exception ${operation} Failed due to security constraints`);
  }
}

function pick(row: Record<string, string>, fields: string | null): Record<string, string> {
  if (!fields) return row;
  return Object.fromEntries(fields.split(',').map((f) => f.trim()).filter((f) => f in row).map((f) => [f, row[f]!]));
}

function limitOf(url: URL): { limit: number; offset: number } {
  const limit = Number(url.searchParams.get('sysparm_limit') ?? DEFAULT_LIMIT);
  const offset = Number(url.searchParams.get('sysparm_offset') ?? 0);
  return { limit: Number.isFinite(limit) && limit > 0 ? limit : DEFAULT_LIMIT, offset: Number.isFinite(offset) && offset > 0 ? offset : 0 };
}

function recordIn(ctx: RestContext, table: string, sysId: string): SimRecord {
  const record = ctx.instance.bySysId(sysId);
  if (!record || !SimInstance.inTable(record, table)) throw NOT_FOUND();
  return record;
}

/** `GET /api/now/table/sys_watermark?sysparm_query=number=MSG…`: the record a watermark was issued for. */
function watermarkApi(ctx: RestContext, url: URL, res: ServerResponse, fields: string | null): unknown {
  const query = url.searchParams.get('sysparm_query') ?? '';
  const number = /^number=([^^]*)$/.exec(query)?.[1];
  if (query !== '' && number === undefined) throw snError(400, 'Invalid query', `the simulator reads sys_watermark by number= only, not "${query}"`);
  const rows = [...ctx.watermarks.entries()]
    .filter(([mark]) => number === undefined || mark === number)
    .map(([mark, sysId]) => ({ sys_id: Buffer.from(mark).toString('hex').slice(0, 32).padEnd(32, '0'), number: mark, source_table: ctx.instance.bySysId(sysId)?.table ?? '', source_id: sysId }));
  const { limit, offset } = limitOf(url);
  sendJson(res, 200, { result: rows.slice(offset, offset + limit).map((r) => pick(r, fields)) }, { 'X-Total-Count': String(rows.length) });
  return { matched: rows.length };
}

/** `/api/now/table/{table}[/{sys_id}]` */
export async function tableApi(ctx: RestContext, req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse, parts: string[]): Promise<unknown> {
  const [table, sysId] = parts;
  if (!table || parts.length > 2) throw snError(400, 'Requested URI does not represent any resource', null);
  forbid(ctx, [table], req.method === 'GET' ? 'Read' : 'Write');
  const fields = url.searchParams.get('sysparm_fields');
  if (table === JOURNAL_TABLE && req.method === 'GET') return journalApi(ctx, url, res, sysId, fields);
  if (table === WATERMARK_TABLE && req.method === 'GET' && sysId === undefined) return watermarkApi(ctx, url, res, fields);
  if (req.method === 'GET' && sysId === undefined) {
    const { limit, offset } = limitOf(url);
    const found = ctx.instance.query(table, url.searchParams.get('sysparm_query'));
    sendJson(res, 200, { result: found.slice(offset, offset + limit).map((r) => pick(ctx.instance.row(r), fields)) }, { 'X-Total-Count': String(found.length) });
    return { matched: found.length };
  }
  if (sysId === undefined) throw snError(405, 'Method not Supported', `${req.method} is not supported on a table`);
  const record = recordIn(ctx, table, sysId);
  forbid(ctx, [record.table, record.sysClassName], req.method === 'GET' ? 'Read' : 'Write');
  if (req.method === 'GET') return sendJson(res, 200, { result: pick(ctx.instance.row(record), fields) });
  if (req.method !== 'PATCH' && req.method !== 'PUT') throw snError(405, 'Method not Supported', `${req.method} is not supported on a record`);
  if (mediaType(req) !== 'application/json') throw snError(400, 'Invalid content type', 'Expected application/json');
  let update: unknown;
  try {
    update = parseJsonBody(body);
  } catch {
    throw snError(400, 'Exception while reading request', 'The payload is not valid JSON.');
  }
  if (update === null || typeof update !== 'object' || Array.isArray(update)) throw snError(400, 'Exception while reading request', 'Expected a JSON object');
  const tables = [record.table, record.sysClassName];
  if (tables.some((t) => ctx.writeDenied.has(t))) throw snError(403, 'Operation Failed', 'ACL Exception Update Failed due to security constraints');
  for (const [name, value] of Object.entries(update as Record<string, unknown>)) {
    if (tables.some((t) => ctx.writeDenied.has(`${t}.${name}`))) continue; // a field-level write ACL: dropped without a word
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (name === 'work_notes' || name === 'comments') {
      if (text.trim() !== '') ctx.instance.addJournal(record, name, text, ctx.user);
    } else if (!['sys_id', 'number', 'sys_class_name'].includes(name)) {
      record.fields[name] = text;
    }
  }
  sendJson(res, 200, { result: pick(ctx.instance.row(record), fields) });
  return update;
}

/**
 * `GET /api/now/table/sys_journal_field[/{sys_id}]`. Reading the table needs its own read
 * ACL (on a real instance: admin, the audit_viewer role, or a custom ACL) — a 403 here when
 * `forbiddenTables` names it; entries of records the user may not read are left out, as a
 * row-level ACL leaves them out.
 */
function journalApi(ctx: RestContext, url: URL, res: ServerResponse, sysId: string | undefined, fields: string | null): unknown {
  const visible = ctx.instance.journalRows(url.searchParams.get('sysparm_query'))
    .filter(({ record }) => !ctx.forbiddenTables.has(record.table) && !ctx.forbiddenTables.has(record.sysClassName))
    .map(({ row }) => row);
  if (sysId !== undefined) {
    const row = visible.find((r) => r.sys_id === sysId);
    if (!row) throw NOT_FOUND();
    return sendJson(res, 200, { result: pick(row, fields) });
  }
  const { limit, offset } = limitOf(url);
  sendJson(res, 200, { result: visible.slice(offset, offset + limit).map((r) => pick(r, fields)) }, { 'X-Total-Count': String(visible.length) });
  return { matched: visible.length };
}

function attachTo(ctx: RestContext, tableName: string | null, tableSysId: string | null, fileName: string | null, contentType: string, bytes: Buffer) {
  if (!tableName) throw snError(400, 'Invalid parameter', 'Missing parameter: table_name');
  if (!tableSysId) throw snError(400, 'Invalid parameter', 'Missing parameter: table_sys_id');
  if (!fileName) throw snError(400, 'Invalid parameter', 'Missing parameter: file_name');
  if (!contentType) throw snError(400, 'Invalid parameter', 'Content-Type header is required');
  forbid(ctx, ['sys_attachment', tableName], 'Create');
  const record = recordIn(ctx, tableName, tableSysId);
  forbid(ctx, [record.table, record.sysClassName], 'Create');
  return ctx.instance.attach(record, { tableName, fileName, contentType, bytes, by: ctx.user });
}

/** `/api/now/attachment[/…]` */
export async function attachmentApi(ctx: RestContext, req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse, parts: string[]): Promise<unknown> {
  const q = url.searchParams;
  const created = (a: ReturnType<typeof attachTo>) => {
    const row = attachmentRow(a, ctx.base);
    sendJson(res, 201, { result: row }, { Location: row.download_link! });
    return { file: { name: a.fileName, size: a.sizeBytes, type: a.contentType } };
  };
  if (req.method === 'POST' && parts[0] === 'file' && parts.length === 1) {
    return created(attachTo(ctx, q.get('table_name'), q.get('table_sys_id'), q.get('file_name'), header(req, 'content-type') ?? '', body));
  }
  if (req.method === 'POST' && parts[0] === 'upload' && parts.length === 1) {
    if (mediaType(req) !== 'multipart/form-data') throw snError(400, 'Invalid content type', 'Expected multipart/form-data');
    const form = await parseFormBody(req, body).catch(() => {
      throw snError(400, 'Failed to create the attachment', 'The multipart body could not be read');
    });
    // The instance reads fields in order: a file part before table_name/table_sys_id finds no record.
    const fields: Record<string, string> = {};
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') {
        fields[name] = value;
        continue;
      }
      const type = value.type || 'application/octet-stream';
      return created(attachTo(ctx, fields.table_name ?? null, fields.table_sys_id ?? null, value.name, type, Buffer.from(await value.arrayBuffer())));
    }
    throw snError(400, 'Failed to create the attachment', 'File part might be missing in the request.');
  }
  if (req.method === 'GET' && parts.length === 0) {
    forbid(ctx, ['sys_attachment'], 'Read');
    const { limit, offset } = limitOf(url);
    const found = ctx.instance.listAttachments(q.get('sysparm_query')).filter((a) => {
      const record = ctx.instance.bySysId(a.tableSysId);
      return !record || !(ctx.forbiddenTables.has(record.table) || ctx.forbiddenTables.has(record.sysClassName));
    });
    sendJson(res, 200, { result: found.slice(offset, offset + limit).map((a) => attachmentRow(a, ctx.base)) }, { 'X-Total-Count': String(found.length) });
    return { matched: found.length };
  }
  const attachment = parts[0] ? ctx.instance.attachments.get(parts[0]) : undefined;
  if (req.method === 'GET' && attachment && parts.length === 1) return sendJson(res, 200, { result: attachmentRow(attachment, ctx.base) });
  if (req.method === 'GET' && attachment && parts[1] === 'file' && parts.length === 2) {
    return sendBytes(res, 200, attachment.bytes, attachment.contentType, { 'X-Attachment-Metadata': JSON.stringify(attachmentRow(attachment, ctx.base)) });
  }
  if (parts[0] && !attachment) throw NOT_FOUND();
  throw snError(400, 'Requested URI does not represent any resource', null);
}
