// The credential-age item of `signrelay check`: the age of each secret the configuration
// names, from what the daemon recorded (store/credential-fingerprints.ts). A secret whose
// value the daemon has not recorded — just rotated into the credential file, tested by
// this very check — is new: its age starts when the daemon reloads. One it recorded before
// (a rotation undone) keeps the age it had. One older than
// credentials.max_age_days is a warning with the rotation procedure, not a failure: the
// installation still works. Reads only; the daemon records.
import { compareWithRecorded, credentialAges, MAX_AGE_SETTING, overdueWarning, valueKey } from '../config/credential-age.ts';
import { fingerprintsOf } from '../config/credential-fingerprint.ts';
import type { Config } from '../config/schema.ts';
import { listCredentialHistory } from '../store/credential-fingerprints.ts';
import { readFingerprintKey } from '../store/fingerprint-key.ts';
import type { Db } from '../store/open-database.ts';
import type { CheckItem } from './checklist.ts';
import { serviceUnit } from '../service-unit.ts';

export function credentialCheckItem(config: Config, openDb: () => Db): CheckItem {
  return {
    title: 'credential age',
    async run() {
      const maxAgeDays = config.credentials.max_age_days;
      const limit = `${MAX_AGE_SETTING}: ${maxAgeDays}`;
      const key = readFingerprintKey(config.storage.data_dir);
      if (!key) return { ok: true, detail: `no ages recorded yet: the daemon records each secret when it starts (${limit})` };
      const db = openDb();
      let rows;
      try {
        rows = listCredentialHistory(db);
      } finally {
        db.close();
      }
      const current = fingerprintsOf(config, key);
      const fresh = compareWithRecorded(current, rows).filter((c) => c.state === 'new').map((c) => c.setting);
      const configured = new Set(current.map(valueKey));
      const ages = credentialAges(rows.filter((r) => configured.has(valueKey(r))), new Date(), maxAgeDays);
      const oldest = ages.reduce((max, a) => Math.max(max, a.ageDays), 0);
      const facts = [
        ages.length > 0 && `${ages.length} secret(s) as the daemon recorded them, the oldest ${oldest} days old`,
        fresh.length > 0 && `new since the daemon recorded them: ${fresh.join(', ')} (their age starts when the daemon next starts: \`systemctl restart ${serviceUnit()}\`)`,
      ].filter(Boolean);
      const warnings = ages.filter((a) => a.overdue).map((a) => overdueWarning(a, maxAgeDays));
      return { ok: true, detail: `${facts.join('; ')} (${limit})`, ...(warnings.length > 0 ? { warnings } : {}) };
    },
  };
}
