// How old each configured secret is, and what the operator is told about it: from the
// recorded first sightings (store/credential-fingerprints.ts), the clock and
// credentials.max_age_days. Pure, so check, status, /metrics and the alert all judge by the
// same rules and the rules are tested as a table.
import { DAY_MS } from '../time.ts';
import { operatorCommand, serviceUnit } from '../service-unit.ts';

export const MAX_AGE_SETTING = 'credentials.max_age_days';
/** The rotation procedure, one section per kind of credential. */
export const ROTATION_DOC = 'docs/credentials.md';

export interface CredentialSighting {
  setting: string;
  /** When signrelay first saw the setting's current value (ISO). */
  firstSeenAt: string;
  /** When the operators were told this value is due (ISO), or null. */
  alertedAt: string | null;
}

export interface CredentialAge {
  setting: string;
  firstSeenAt: string;
  ageSeconds: number;
  /** Whole days, as the operator reads them. */
  ageDays: number;
  /** Older than credentials.max_age_days: due for rotation. */
  overdue: boolean;
  /** Overdue and the operators not told yet about this value. */
  alertDue: boolean;
}

/** Milliseconds since a first sighting; one in the future (the clock moved back) counts as new, never negative. */
export function ageMsOf(firstSeenAt: string, now: Date): number {
  return Math.max(0, now.getTime() - Date.parse(firstSeenAt));
}

export function credentialAges(sightings: readonly CredentialSighting[], now: Date, maxAgeDays: number): CredentialAge[] {
  return sightings.map((s) => {
    const ageMs = ageMsOf(s.firstSeenAt, now);
    const overdue = ageMs > maxAgeDays * DAY_MS;
    return { setting: s.setting, firstSeenAt: s.firstSeenAt, ageSeconds: Math.floor(ageMs / 1000), ageDays: Math.floor(ageMs / DAY_MS), overdue, alertDue: overdue && s.alertedAt === null };
  }).sort((a, b) => a.setting.localeCompare(b.setting));
}

/** The section of the rotation procedure for a setting's credential. */
export function rotationSection(setting: string): string {
  if (setting.startsWith('mailboxes.') || setting.startsWith('smtp.')) return `${ROTATION_DOC}#mail-passwords-and-oauth-client-secrets`;
  if (setting === 'provider.client_secret') return `${ROTATION_DOC}#signicat-client-secret`;
  if (setting.startsWith('provider.')) return `${ROTATION_DOC}#secured-signing-api-key-and-secret`;
  if (setting.startsWith('servicenow.')) return `${ROTATION_DOC}#servicenow-password-or-oauth-client`;
  return ROTATION_DOC;
}

/** One line for check, status and the alert: which setting, how old, the limit's setting, where the procedure is. */
export function overdueWarning(age: CredentialAge, maxAgeDays: number): string {
  // Overdue from the first moment past the limit, while whole days still read the limit itself:
  // "for 90 days, longer than … (90)" said both; "more than 90 days" is true all that day.
  const days = age.ageDays > maxAgeDays ? `${age.ageDays} days` : `more than ${maxAgeDays} days`;
  return `${age.setting} has not changed for ${days}, longer than ${MAX_AGE_SETTING} (${maxAgeDays}): rotate it (${rotationSection(age.setting)})`;
}

/** A setting's value as `check` finds it: recorded by the daemon (now or before: it keeps that age), or new. */
export interface RecordedComparison {
  setting: string;
  /** recorded: a value the daemon ran with (its current one, or an earlier one gone back to); new: a value the daemon has not seen (rotated, or never run with it). */
  state: 'recorded' | 'new';
}

/** Compares the configuration's values with every value the daemon recorded, by setting and fingerprint. */
export function compareWithRecorded(current: ReadonlyArray<{ setting: string; fingerprint: string }>, recorded: ReadonlyArray<{ setting: string; fingerprint: string }>): RecordedComparison[] {
  const known = new Set(recorded.map(valueKey));
  return current.map((c) => ({ setting: c.setting, state: known.has(valueKey(c)) ? 'recorded' : 'new' }));
}

/** One setting's one value, as a key. */
export function valueKey(v: { setting: string; fingerprint: string }): string {
  return `${v.setting}\u0000${v.fingerprint}`;
}

/** The operator alert for the secrets that just passed their age. */
export function overdueAlert(ages: readonly CredentialAge[], maxAgeDays: number): { subject: string; text: string } {
  const names = ages.map((a) => a.setting).join(', ');
  return {
    subject: `credentials due for rotation: ${names}`,
    text: [
      `These secrets have not changed for longer than ${MAX_AGE_SETTING} (${maxAgeDays} days):`,
      '',
      ...ages.map((a) => `  ${a.setting}: ${a.ageDays} days (first seen ${a.firstSeenAt})`),
      '',
      `Rotate each: create the new one at the provider while the old one still works, put it in the credential file, run \`${operatorCommand('check')}\`, \`systemctl restart ${serviceUnit()}\`, confirm with \`${operatorCommand('status')}\`, then delete the old one. The steps for each credential are in ${ROTATION_DOC}.`,
      'This alert is sent once per secret value; a rotated secret that ages again is reported again.',
    ].join('\n'),
  };
}
