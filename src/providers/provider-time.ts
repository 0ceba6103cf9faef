// A moment a provider's API reports — Secured Signing's LastSignedDate, a Signicat task
// event's eventTime — read into a Date, pure. The value is outside text: only a whole ISO
// 8601 date-time that names its zone (`Z`, `±hh:mm`) or ServiceStack's `/Date(ms)/` is read,
// a calendar day and clock time that exist, in years a signing can have. Anything else is no
// time at all, never a guess: a time without its zone would be read in this machine's zone,
// hours off on the record. What reaches a note is the Date written again by signrelay
// (utcMinute), never the provider's text (audit review M3).

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})$/i;
const SERVICESTACK_DATE = /^\/Date\((-?\d{1,15})(?:[+-]\d{4})?\)\/$/;
/** The years a provider's signing time can fall in; outside them it is a provider's fault, not a time. */
const FIRST_YEAR = 2000;
const LAST_YEAR = 2199;

export function providerTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const text = value.trim();
  const servicestack = SERVICESTACK_DATE.exec(text);
  if (servicestack) return plausible(new Date(Number(servicestack[1])));
  const iso = ISO_WITH_ZONE.exec(text);
  if (!iso) return undefined;
  const [year, month, day, hour, minute, second = 0] = iso.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const ms = Number((iso[7] ?? '0').padEnd(3, '0').slice(0, 3));
  if (month! < 1 || month! > 12 || hour! > 23 || minute! > 59 || second > 59) return undefined;
  const local = Date.UTC(year!, month! - 1, day!, hour!, minute!, second, ms);
  // A day the month does not have (31 April) rolls over in Date.UTC: refused.
  if (new Date(local).getUTCDate() !== day) return undefined;
  const offset = zoneOffsetMinutes(iso[8]!);
  return offset === undefined ? undefined : plausible(new Date(local - offset * 60_000));
}

/** `Z` → 0, `+02:00` → 120, `-0530` → -330; an offset no zone has (+25:00, +01:75): none. */
function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 14 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

function plausible(at: Date): Date | undefined {
  const year = at.getUTCFullYear();
  return Number.isFinite(at.getTime()) && year >= FIRST_YEAR && year <= LAST_YEAR ? at : undefined;
}

/** The latest of some moments, or none when there are none. */
export function latest(moments: ReadonlyArray<Date | undefined>): Date | undefined {
  return moments.reduce<Date | undefined>((last, at) => (at && (!last || at > last) ? at : last), undefined);
}
