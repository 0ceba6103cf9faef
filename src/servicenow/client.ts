// The ServiceNow REST client signrelay delivers with (SERVICENOW.md "Find the record",
// "Attach the file"): number → record through the Table API (checked and cached), the
// Attachment API to list and upload, a journal PATCH for work notes and a field PATCH for
// servicenow.status_field. Request mechanics (auth, token refresh, timeouts, error
// classes) live in call-api.ts, TLS trust in http/trusting-fetch.ts; this file knows the
// endpoints, their JSON, what each failure means for the operator, and which calls change
// something (an attachment, a note, a field: a lost answer leaves their outcome unknown,
// for the caller to resolve).
import { createHash } from 'node:crypto';
import type { ServiceNowConfig } from '../config/schema.ts';
import { SignrelayError } from '../errors.ts';
import { callApi, type ApiAnswer, type ApiContext } from './call-api.ts';
import { jsonBody } from '../http/network-failure.ts';
import { trustingFetch } from '../http/trusting-fetch.ts';
import { badResponse } from './classify-error.ts';
import { createTokenManager } from './oauth.ts';
import type { AttachmentInfo, JournalEntryInfo, JournalField, LookupOptions, RecordRef, ServiceNowClient, ServiceNowLogger, ServiceNowTokenStore, UploadAttachmentInput, WatermarkInfo } from './types.ts';

export interface ServiceNowClientOptions {
  config: ServiceNowConfig;
  /** Bound to the `servicenow` token row; a saved token survives a restart. */
  tokenStore: ServiceNowTokenStore;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; tests move it to expire tokens. */
  now?: () => number;
  logger?: ServiceNowLogger;
}

const RECORD_FIELDS = 'sys_id,number,sys_class_name';
/** Attachment listing page size; a record rarely has more. */
const PAGE_SIZE = 100;
/** Characters that would change an encoded query (`^` joins conditions, `=` compares). */
const QUERY_UNSAFE = /[\^=\r\n]/;

/** The answer's `result`; anything else is a bad response — for an `effect` call, one whose outcome is unknown. */
function parseResult(answer: ApiAnswer, effect = false): unknown {
  const body = jsonBody(answer, (problem, cause) => badResponse(answer.what, problem, cause, { effect }));
  if (body === null || typeof body !== 'object' || !('result' in body)) throw badResponse(answer.what, 'no "result" in the answer', undefined, { effect });
  return (body as { result: unknown }).result;
}

function field(row: Record<string, unknown>, name: string): string {
  const value = row[name];
  // sysparm_display_value=all or reference fields come as objects; signrelay asks for raw values.
  if (value !== null && typeof value === 'object' && 'value' in value) return String((value as { value: unknown }).value ?? '');
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function recordRef(operation: string, row: unknown, table: string): RecordRef {
  if (row === null || typeof row !== 'object') throw badResponse(operation, 'a record is not an object');
  const r = row as Record<string, unknown>;
  const sysId = field(r, 'sys_id');
  if (sysId === '') throw badResponse(operation, 'a record has no sys_id');
  return { table: field(r, 'sys_class_name') || table, sysId, number: field(r, 'number') };
}

function attachmentInfo(operation: string, row: unknown): AttachmentInfo {
  if (row === null || typeof row !== 'object') throw badResponse(operation, 'an attachment is not an object');
  const r = row as Record<string, unknown>;
  const info = {
    sysId: field(r, 'sys_id'), fileName: field(r, 'file_name'), sizeBytes: Number(field(r, 'size_bytes')),
    hash: field(r, 'hash').toLowerCase(), tableName: field(r, 'table_name'), tableSysId: field(r, 'table_sys_id'),
  };
  if (info.sysId === '' || !Number.isFinite(info.sizeBytes)) throw badResponse(operation, 'an attachment lacks sys_id or size_bytes');
  return info;
}

const enc = encodeURIComponent;

/** How many number → record answers the client keeps (a bound, not a cache policy). */
const MAX_CACHED_RECORDS = 10_000;

export function createServiceNowClient(options: ServiceNowClientOptions): ServiceNowClient {
  const { config } = options;
  const baseUrl = config.instance_url.replace(/\/+$/, '');
  const fetchFn = trustingFetch(options.fetch ?? globalThis.fetch, config, 'servicenow');
  const now = options.now ?? Date.now;
  const timeoutMs = config.timeout_seconds * 1000;
  const auth = config.auth;
  const tokens = auth.type === 'oauth'
    ? createTokenManager({
      tokenUrl: `${baseUrl}/oauth_token.do`, grant: auth.grant, clientId: auth.client_id, clientSecret: auth.client_secret,
      user: auth.user, password: auth.password, store: options.tokenStore, fetch: fetchFn, now, timeoutMs,
    })
    : null;
  const ctx: ApiContext = {
    baseUrl,
    basicAuthorization: auth.type === 'basic' ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` : null,
    tokens,
    secrets: [auth.password, auth.type === 'oauth' ? auth.client_secret : undefined].filter((v): v is string => !!v),
    fetch: fetchFn, now, timeoutMs, logger: options.logger,
  };
  const cache = new Map<string, RecordRef>();

  async function findRecord(table: string, number: string, options: LookupOptions = {}): Promise<RecordRef> {
    const key = `${table}\u0000${number}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const operation = `find ${number} in ${table}`;
    if (QUERY_UNSAFE.test(number) || number.trim() === '') {
      throw new SignrelayError('permanent', 'servicenow_bad_number', `"${number}" is not a record number (it would change the ServiceNow query)`);
    }
    // sysparm_limit=2: one is the answer, two is enough to know it is ambiguous.
    const query = `sysparm_query=${enc(`number=${number}`)}&sysparm_fields=${enc(RECORD_FIELDS)}&sysparm_limit=2&sysparm_exclude_reference_link=true`;
    const answer = await callApi(ctx, {
      operation, method: 'GET', path: `/api/now/table/${enc(table)}?${query}`,
      access: { subject: `table ${table}`, permission: `read on ${table}` }, timeoutMs: options.timeoutMs,
    });
    const result = parseResult(answer);
    if (!Array.isArray(result)) throw badResponse(operation, '"result" is not a list');
    const rows = result.map((row) => recordRef(operation, row, table));
    // The instance ignores query parts it cannot use and returns other records: only an
    // equal number counts (case aside: the database compares case-insensitively too).
    const matches = rows.filter((r) => r.number.toUpperCase() === number.toUpperCase());
    if (matches.length > 1) {
      throw new SignrelayError('permanent', 'servicenow_record_ambiguous',
        `ServiceNow has more than one record numbered ${number} in ${table} (${matches.map((m) => `${m.table}/${m.sysId}`).join(', ')}): ` +
        'ambiguous — name the record as table/sys_id instead');
    }
    if (matches.length === 0) {
      if (rows.length > 0) {
        throw new SignrelayError('permanent', 'servicenow_number_mismatch',
          `ServiceNow answered the search for ${number} in ${table} with other records (${rows.map((r) => r.number || r.sysId).join(', ')}): ` +
          `the query was ignored — check that ${table} has a number field (records: in the configuration)`);
      }
      throw new SignrelayError('permanent', 'servicenow_record_not_found', `no record ${number} in ${table} (or the integration user cannot read it)`);
    }
    // Every request's number passes here (intake and delivery): bounded, as the daemon runs for months.
    if (cache.size >= MAX_CACHED_RECORDS) cache.clear();
    cache.set(key, matches[0]!);
    return matches[0]!;
  }

  async function probeRead(table: string): Promise<void> {
    const path = table === 'sys_attachment' ? '/api/now/attachment?sysparm_limit=1' : `/api/now/table/${enc(table)}?sysparm_limit=1&sysparm_fields=sys_id`;
    const answer = await callApi(ctx, { operation: `read ${table}`, method: 'GET', path, access: { subject: `table ${table}`, permission: `read on ${table}` } });
    if (!Array.isArray(parseResult(answer))) throw badResponse(`read ${table}`, '"result" is not a list');
  }

  async function getRecord(table: string, sysId: string, options: LookupOptions = {}): Promise<RecordRef> {
    const operation = `read record ${table}/${sysId}`;
    const answer = await callApi(ctx, {
      operation, method: 'GET', path: `/api/now/table/${enc(table)}/${enc(sysId)}?sysparm_fields=${enc(RECORD_FIELDS)}&sysparm_exclude_reference_link=true`,
      access: { subject: `record ${table}/${sysId}`, permission: `read on ${table}` }, timeoutMs: options.timeoutMs,
    });
    return recordRef(operation, parseResult(answer), table);
  }

  async function findWatermark(watermark: string, options: LookupOptions = {}): Promise<WatermarkInfo | null> {
    const number = watermark.replace(/^Ref:/, '');
    const operation = `look up the watermark ${watermark}`;
    if (QUERY_UNSAFE.test(number) || number.trim() === '') {
      throw new SignrelayError('permanent', 'servicenow_bad_watermark', `"${watermark}" is not a watermark (it would change the ServiceNow query)`);
    }
    const query = `sysparm_query=${enc(`number=${number}`)}&sysparm_fields=${enc('number,source_table,source_id')}&sysparm_limit=2&sysparm_exclude_reference_link=true`;
    const answer = await callApi(ctx, {
      operation, method: 'GET', path: `/api/now/table/sys_watermark?${query}`,
      access: { subject: 'table sys_watermark', permission: 'read on sys_watermark' }, timeoutMs: options.timeoutMs,
    });
    const result = parseResult(answer);
    if (!Array.isArray(result)) throw badResponse(operation, '"result" is not a list');
    const rows = result.filter((row): row is Record<string, unknown> => row !== null && typeof row === 'object' && field(row as Record<string, unknown>, 'number') === number);
    if (rows.length !== 1) return null;
    const found = { table: field(rows[0]!, 'source_table'), sysId: field(rows[0]!, 'source_id') };
    return found.table && found.sysId ? found : null;
  }

  async function listAttachments(table: string, sysId: string, fileName?: string): Promise<AttachmentInfo[]> {
    const operation = `list the attachments of ${table}/${sysId}`;
    const conditions = [`table_sys_id=${sysId}`];
    if (fileName !== undefined && !QUERY_UNSAFE.test(fileName)) conditions.push(`file_name=${fileName}`);
    const found: AttachmentInfo[] = [];
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const answer = await callApi(ctx, {
        operation, method: 'GET',
        path: `/api/now/attachment?sysparm_query=${enc(conditions.join('^'))}&sysparm_limit=${PAGE_SIZE}&sysparm_offset=${offset}`,
        access: { subject: `record ${table}/${sysId}`, permission: `read on sys_attachment and on ${table}` },
      });
      const result = parseResult(answer);
      if (!Array.isArray(result)) throw badResponse(operation, '"result" is not a list');
      found.push(...result.map((row) => attachmentInfo(operation, row)));
      const total = Number(answer.headers.get('x-total-count') ?? NaN);
      if (result.length < PAGE_SIZE || (Number.isFinite(total) && offset + PAGE_SIZE >= total)) break;
    }
    // Filtered here too: a query part the instance ignores must not pass another file off as ours.
    return found.filter((a) => a.tableSysId === sysId && (fileName === undefined || a.fileName === fileName));
  }

  async function uploadAttachment(input: UploadAttachmentInput): Promise<AttachmentInfo> {
    const operation = `attach ${input.fileName} to ${input.table}/${input.sysId}`;
    const query = `table_name=${enc(input.table)}&table_sys_id=${enc(input.sysId)}&file_name=${enc(input.fileName)}`;
    const answer = await callApi(ctx, {
      operation, method: 'POST', path: `/api/now/attachment/file?${query}`,
      bytes: { data: input.bytes, contentType: input.contentType ?? 'application/pdf' },
      access: { subject: `record ${input.table}/${input.sysId}`, permission: `create on sys_attachment (and read on ${input.table})` },
      effect: true,
    });
    const info = attachmentInfo(operation, parseResult(answer, true));
    const local = input.sha256 ?? (input.bytes instanceof Uint8Array ? createHash('sha256').update(input.bytes).digest('hex') : undefined);
    if (info.hash !== '' && local !== undefined && info.hash !== local) {
      // Logged here, judged by the caller (deliver-to-servicenow.ts: the delivery fails, not retried by itself).
      options.logger?.warn?.('servicenow stored an attachment whose hash differs from ours', { attachment: info.sysId, ours: local, theirs: info.hash });
    }
    return info;
  }

  async function addWorkNote(table: string, sysId: string, text: string, journal: 'work_notes' | 'comments' = 'work_notes'): Promise<void> {
    const operation = `add a ${journal === 'work_notes' ? 'work note' : 'comment'} to ${table}/${sysId}`;
    const answer = await callApi(ctx, {
      operation, method: 'PATCH', path: `/api/now/table/${enc(table)}/${enc(sysId)}?sysparm_fields=sys_id`,
      json: { [journal]: text },
      access: { subject: `record ${table}/${sysId}`, permission: `write on ${table}.${journal}` },
      effect: true,
    });
    parseResult(answer, true);
  }

  /**
   * Sets one field of a record and returns once the instance shows it stored. A field the
   * user may not write, or that the table lacks, is left out of a PATCH silently (200, the
   * old value back): that is a refusal naming the permission, not a success.
   */
  async function setField(table: string, sysId: string, name: string, value: string): Promise<void> {
    const operation = `set ${name} of ${table}/${sysId} to "${value}"`;
    const answer = await callApi(ctx, {
      operation, method: 'PATCH', path: `/api/now/table/${enc(table)}/${enc(sysId)}?sysparm_fields=${enc(name)}&sysparm_exclude_reference_link=true`,
      json: { [name]: value },
      access: { subject: `record ${table}/${sysId}`, permission: `write on ${table}.${name}` },
      effect: true,
    });
    const result = parseResult(answer, true);
    const stored = result !== null && typeof result === 'object' && name in result ? field(result as Record<string, unknown>, name) : undefined;
    if (stored !== value) {
      throw new SignrelayError('permanent', 'servicenow_field_not_stored',
        `ServiceNow did not store ${name} on ${table}/${sysId} (it answered ${stored === undefined ? 'without the field' : `"${stored}"`}): ` +
        `the integration user lacks write on ${table}.${name}, or ${table} has no field ${name} (servicenow.status_field)`);
    }
  }

  /** One field of a record as stored now; undefined when the instance shows no such field. */
  async function readField(table: string, sysId: string, name: string): Promise<string | undefined> {
    const answer = await callApi(ctx, {
      operation: `read ${name} of ${table}/${sysId}`, method: 'GET',
      path: `/api/now/table/${enc(table)}/${enc(sysId)}?sysparm_fields=${enc(name)}&sysparm_exclude_reference_link=true`,
      access: { subject: `record ${table}/${sysId}`, permission: `read on ${table}.${name}` },
    });
    const result = parseResult(answer);
    return result !== null && typeof result === 'object' && name in result ? field(result as Record<string, unknown>, name) : undefined;
  }

  async function findJournalEntries(table: string, sysId: string, journal: JournalField, containing: string): Promise<JournalEntryInfo[]> {
    const operation = `read the ${journal} of ${table}/${sysId}`;
    const conditions = [`element_id=${sysId}`, `element=${journal}`, ...(QUERY_UNSAFE.test(containing) ? [] : [`valueLIKE${containing}`])];
    const answer = await callApi(ctx, {
      operation, method: 'GET',
      path: `/api/now/table/sys_journal_field?sysparm_query=${enc(conditions.join('^'))}&sysparm_fields=${enc('sys_id,element,element_id,value')}&sysparm_limit=${PAGE_SIZE}`,
      access: { subject: `the journal of ${table}/${sysId}`, permission: 'read on sys_journal_field (the audit_viewer role, or a read ACL for the integration user)' },
    });
    const result = parseResult(answer);
    if (!Array.isArray(result)) throw badResponse(operation, '"result" is not a list');
    // A row that is not an object is a garbled answer, not an entry to skip: it settles whether
    // a note was stored, and a row left out could be the note (fuzz review L2: a raw TypeError).
    if (!result.every((row) => row !== null && typeof row === 'object' && !Array.isArray(row))) throw badResponse(operation, 'a row of "result" is not an object');
    const entries = result.map((row: Record<string, unknown>) => ({ sysId: field(row, 'sys_id'), element: field(row, 'element'), elementId: field(row, 'element_id'), value: field(row, 'value') }));
    // Filtered here too: a query part the instance ignores must not pass another entry off as ours.
    return entries.filter((e) => e.elementId === sysId && e.element === journal && e.value.includes(containing));
  }

  return { findRecord, getRecord, findWatermark, probeRead, listAttachments, uploadAttachment, addWorkNote, setField, readField, findJournalEntries };
}
