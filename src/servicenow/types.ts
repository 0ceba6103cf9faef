// The ServiceNow client's public shapes (SERVICENOW.md): what completion and delivery code
// import without pulling in the HTTP machinery. Values are already converted from
// ServiceNow's all-strings JSON into numbers where they are numbers.
import type { Payload } from '../http/streamed-bodies.ts';
import type { TokenStore } from '../http/token-manager.ts';
import type { StoredToken } from '../store/oauth-tokens.ts';

/** The name of the `oauth_tokens` row holding ServiceNow's OAuth2 tokens. */
export const SERVICENOW_TOKEN_NAME = 'servicenow';

export interface RecordRef {
  /** The record's own table: its `sys_class_name` when the instance gave one (HR child tables). */
  table: string;
  sysId: string;
  number: string;
}

/** A lookup something waits on (intake) may give up sooner than servicenow.timeout_seconds. */
export interface LookupOptions {
  timeoutMs?: number | undefined;
}

export interface AttachmentInfo {
  sysId: string;
  fileName: string;
  sizeBytes: number;
  /** SHA-256 of the content, lower-case hex, as the Attachment API computes it. */
  hash: string;
  tableName: string;
  tableSysId: string;
}

export interface UploadAttachmentInput {
  table: string;
  sysId: string;
  fileName: string;
  /** The file: bytes, or a file on disk (a blob store file), read as it is sent, never held whole. */
  bytes: Payload;
  /** The file's SHA-256 when known (a blob store file is named by it), to compare with the instance's hash without reading the file. */
  sha256?: string;
  /** Default application/pdf. */
  contentType?: string;
}

export type JournalField = 'work_notes' | 'comments';

/** One sys_journal_field row: a work note or comment on the record `elementId`. */
export interface JournalEntryInfo {
  sysId: string;
  element: string;
  elementId: string;
  value: string;
}

/** The record a watermark belongs to. */
export interface WatermarkInfo {
  table: string;
  sysId: string;
}

export interface ServiceNowClient {
  /** number → record on `table` (or `task`); cached in memory. Not found / ambiguous = permanent. */
  findRecord(table: string, number: string, options?: LookupOptions): Promise<RecordRef>;
  /** For `Record: table/sys_id` requests. */
  getRecord(table: string, sysId: string, options?: LookupOptions): Promise<RecordRef>;
  /**
   * The record a watermark (`Ref:MSG…`) was issued for, from sys_watermark; null when the
   * instance knows no such watermark (or not exactly one). Access refused = permanent.
   */
  findWatermark(watermark: string, options?: LookupOptions): Promise<WatermarkInfo | null>;
  /** Attachments of a record, optionally only those named `fileName`. */
  listAttachments(table: string, sysId: string, fileName?: string): Promise<AttachmentInfo[]>;
  uploadAttachment(input: UploadAttachmentInput): Promise<AttachmentInfo>;
  /** A journal entry: `work_notes` (internal, default) or `comments` (customer-visible). */
  addWorkNote(table: string, sysId: string, text: string, field?: JournalField): Promise<void>;
  /** Sets one field (servicenow.status_field); a value the instance did not store is a permanent refusal naming the permission. */
  setField(table: string, sysId: string, field: string, value: string): Promise<void>;
  /** One field as stored now (undefined: no such field, or not readable). */
  readField(table: string, sysId: string, field: string): Promise<string | undefined>;
  /**
   * Reads one row of `table` (`sys_attachment` for the attachment API's own table), to
   * check access: resolves when the integration user may read it, throws the classified
   * error (403 names the permission) when not. For `signrelay check`.
   */
  probeRead(table: string): Promise<void>;
  /** The record's journal entries of `field` whose text contains `containing` (needs read on sys_journal_field). */
  findJournalEntries(table: string, sysId: string, field: JournalField, containing: string): Promise<JournalEntryInfo[]>;
}

/** Bound to one row (SERVICENOW_TOKEN_NAME), e.g. `{ load: () => loadToken(db, name), save: (t) => saveToken(db, name, t, new Date()) }`. */
export type ServiceNowTokenStore = TokenStore;

export interface ServiceNowLogger {
  debug(message: string, fields?: Record<string, unknown>): unknown;
  warn?(message: string, fields?: Record<string, unknown>): unknown;
}

export type { StoredToken };
