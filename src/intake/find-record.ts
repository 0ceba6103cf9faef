// Which ServiceNow record a request is for. Sources, most explicit first: a `Record:` line
// (`Record: RITM0010001`, `Record: sc_req_item/<32-hex sys_id>`), else a record number in
// the subject whose prefix is configured — but a Record: line in quoted or forwarded text
// only when the subject names no record. Independently, a ServiceNow watermark in the body
// (`Ref:MSG0000008_aLJc…`, older `Ref:MSG71528958`) is kept so the result can go back as a
// reply the instance's inbound action files on the record; the last one counts, as there.
// The instance files such a reply by its watermark before anything else, so a watermark is
// kept only from the instance's own mail (`watermarkTrusted`): anyone else could paste
// another record's.
//
// A number names its table by its prefix (`records`): `Record: sc_req_item/CHG0030001` is
// refused, and with delivery by email (which the instance files by the number alone, in
// whichever table holds it) so is a number whose prefix `records` does not know — unless
// the instance's own watermark names the record.
import type { RouteConfig } from '../config/schema.ts';
import { findDirectives } from './directive-lines.ts';
import type { Checked, RecordRef } from './types.ts';

const SYS_ID_RE = /^[0-9a-f]{32}$/i;
const TABLE_RE = /^[a-z][a-z0-9_]*$/i;
const NUMBER_RE = /^([A-Z]{2,8})(\d{6,12})$/i;
/** Numbers with a configured prefix; any case, but whole words (an underscore bounds one: `Contract_RITM0010001.pdf`). */
const SUBJECT_NUMBER_RE = /(?<![\p{L}\p{N}])([A-Za-z]{2,8})(\d{6,12})(?![\p{L}\p{N}])/gu;
/**
 * Number-like words with an unconfigured prefix: upper case and ServiceNow's 7+ digits only,
 * and whole words by the stricter rule (an underscore joins): `Ref:MSG0000008_…` (a
 * watermark) or `HR_FORM0000123_v2` names no record.
 */
const UNKNOWN_NUMBER_RE = /(?<![\p{L}\p{N}_])([A-Z]{2,8})(\d{7,12})(?![\p{L}\p{N}_])/gu;
/** A watermark: `Ref:MSG0000008_…` by default, or with the prefix an instance set for itself (`Ref:ACME0000042_…`). */
const WATERMARK_RE = /(?<![\p{L}\p{N}])Ref:[A-Za-z]{1,20}\d+(?:_[A-Za-z0-9]+)?(?![A-Za-z0-9])/gu;

export interface RecordSources {
  subject: string;
  /** The body as text (text part, or HTML converted). */
  body: string;
  /** The HTML part, searched for a watermark when the text has none. */
  html: string | false;
}

export function findRecord(
  sources: RecordSources,
  records: Record<string, string>,
  route: Pick<RouteConfig, 'table' | 'require_record'>,
  /** The tables a `Record: table/…` line may name: those of `records` and the routes' `table` (default: `records`' and this route's). */
  tables: readonly string[] = [...Object.values(records), ...(route.table ? [route.table] : [])],
  /** Whether the mail comes from the instance itself (servicenow.senders): only then is a watermark kept. */
  watermarkTrusted = true,
  /** Whether the signed document goes back by mail to the instance (delivery: email), which files it by its number alone. */
  byEmail = false,
): Checked<RecordRef | null> & { ignoredWatermark?: string } {
  const problems: string[] = [];
  const known = Object.keys(records);
  const record: RecordRef = {};

  const subjectNumbers = numbersIn(sources.subject, SUBJECT_NUMBER_RE).filter((n) => Object.hasOwn(records, prefixOf(n)));
  // A Record: line the writer did not write (quoted, or in a forwarded text) counts only when
  // the subject names no record: it must not carry the signed document to a record of the
  // forwarded mail's choosing.
  const found = findDirectives(sources.body, 'record');
  const lines = found.every((l) => l.quoted) && subjectNumbers.length > 0 ? [] : found;
  const distinct = [...new Map(lines.map((l) => [l.value.toLowerCase(), l])).values()];
  const unknownNumbers = numbersIn(sources.subject, UNKNOWN_NUMBER_RE).filter((n) => !Object.hasOwn(records, prefixOf(n)));

  if (distinct.length > 1) {
    problems.push(`the mail has ${distinct.length} different Record: lines (${distinct.map((l) => l.value).join(', ')}): keep only one`);
  } else if (distinct.length === 1) {
    const parsed = parseRecordLine(distinct[0]!.value, records, route.table, tables);
    if (typeof parsed === 'string') problems.push(parsed);
    else Object.assign(record, parsed);
  } else if (subjectNumbers.length > 1) {
    problems.push(`the subject names ${subjectNumbers.length} records (${subjectNumbers.join(', ')}): put only the number of the record to sign for in the subject`);
  } else if (subjectNumbers.length === 1) {
    Object.assign(record, { number: subjectNumbers[0]!, table: records[prefixOf(subjectNumbers[0]!)]! });
  } else if (unknownNumbers.length === 1 && route.table) {
    Object.assign(record, { number: unknownNumbers[0]!, table: route.table });
  }

  const watermark = lastWatermark(sources);
  if (watermark && watermarkTrusted) record.watermark = watermark;
  if (byEmail && record.number !== undefined && record.watermark === undefined && records[prefixOf(record.number)]?.toLowerCase() !== record.table?.toLowerCase()) {
    const { number, table } = record;
    delete record.number;
    delete record.table;
    problems.push(`${number} does not start with a prefix signrelay knows for ${table ?? 'its table'} (known: ${known.join(', ') || 'none configured'}), and the signed document goes back by mail, which the instance files by the number alone: name the record by a number with a known prefix, or ask the signrelay operator to add its prefix to records`);
  }
  const unnumbered = byEmail ? unnumberedForEmail(record) : null;
  if (unnumbered) problems.push(unnumbered);

  const named = record.number !== undefined || record.sysId !== undefined || record.watermark !== undefined;
  if (!named && problems.length === 0 && route.require_record && known.length === 0 && !route.table) {
    // Not the requester's to fix: signrelay is set up to know no record number (configWarnings says so at start).
    const given = unknownNumbers.length > 0 ? `which ServiceNow record ${unknownNumbers.join(', ')} in the subject is` : 'which ServiceNow record your mail is for';
    problems.push(`signrelay cannot tell ${given}: it is set up with no record-number prefixes (its records setting is empty) and this route names no table. Ask the signrelay operator to add the prefix to records, or name the record as a line Record: TABLE/SYS_ID in the body`);
  } else if (!named && problems.length === 0 && route.require_record) {
    const example = `${known[0] ?? 'RITM'}0010001`;
    const hint = unknownNumbers.length > 0 && known.length > 0
      ? ` (${unknownNumbers.join(', ')} in the subject does not start with a known prefix: ${known.join(', ')})`
      : '';
    problems.push(`name the ServiceNow record${hint}: put its number, e.g. ${example}, in the subject, or a line Record: ${example} in the body`);
  }
  return { value: named ? record : null, problems, ...(watermark && !watermarkTrusted ? { ignoredWatermark: watermark } : {}) };
}

/**
 * A record a mail to the instance cannot name: by table/sys_id alone, without the instance's
 * watermark — the instance files a reply by its number (or watermark), so the signed document
 * would be signed and then not delivered. Also asked once a watermark is dropped (check-named-record.ts).
 */
export function unnumberedForEmail(record: RecordRef): string | null {
  if (record.sysId === undefined || record.number !== undefined || record.watermark !== undefined) return null;
  return `the record is named as ${record.table ?? 'table'}/${record.sysId}, but this route delivers the signed document by mail, which the instance files by the record's number: name the record by its number (e.g. "Record: RITM0010001")`;
}

/**
 * `RITM0010001`, `sc_req_item/<sys_id>` or `sc_req_item/RITM0010001` → a record, or a
 * problem. A table must be one signrelay delivers to: a requester cannot have a signed
 * document filed on `sys_user` or any other table the integration user happens to reach.
 */
function parseRecordLine(value: string, records: Record<string, string>, routeTable: string | undefined, tables: readonly string[]): RecordRef | string {
  const [first = '', second, ...rest] = value.split('/').map((s) => s.trim());
  const known = Object.keys(records);
  const form = `write Record: ${known[0] ?? 'RITM'}0010001 or Record: <table>/<32-character sys_id>`;
  if (second !== undefined && rest.length === 0 && TABLE_RE.test(first) && !tables.includes(first.toLowerCase())) {
    const allowed = [...new Set(tables)];
    return `"Record: ${value}": signrelay files documents only on ${allowed.length > 0 ? allowed.join(', ') : 'the tables its operator configured'}, not on ${first}; name a record of one of those`;
  }
  if (second !== undefined && rest.length === 0 && TABLE_RE.test(first)) {
    if (SYS_ID_RE.test(second)) return { table: first.toLowerCase(), sysId: second.toLowerCase() };
    if (NUMBER_RE.test(second)) {
      const number = second.toUpperCase();
      const numbered = records[prefixOf(number)];
      if (numbered !== undefined && numbered.toLowerCase() !== first.toLowerCase()) {
        return `"Record: ${value}": ${number} is a number of ${numbered} (records.${prefixOf(number)}), not of ${first}; name the record by its number alone: Record: ${number}`;
      }
      return { table: first.toLowerCase(), number };
    }
  }
  if (second === undefined && NUMBER_RE.test(first)) {
    const number = first.toUpperCase();
    const table = records[prefixOf(number)] ?? routeTable;
    if (table) return { number, table };
    return `"Record: ${value}": ${prefixOf(number)} is not a known record prefix (known: ${known.join(', ') || 'none configured'}); ${form}`;
  }
  return `"Record: ${value}" is not a record number or table/sys_id: ${form}`;
}

function numbersIn(text: string, re: RegExp): string[] {
  return [...new Set([...text.matchAll(re)].map((m) => m[0].toUpperCase()))];
}

function prefixOf(number: string): string {
  return NUMBER_RE.exec(number)?.[1]?.toUpperCase() ?? '';
}

function lastWatermark(sources: RecordSources): string | undefined {
  for (const text of [sources.body, sources.html || '', sources.subject]) {
    const all = [...text.matchAll(WATERMARK_RE)];
    if (all.length > 0) return all.at(-1)![0];
  }
  return undefined;
}
