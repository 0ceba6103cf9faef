// A flood of refused request mails, each from a different (forged) address: the per-address
// reply budget (limits.max_replies_per_hour) never stops it — every address is new — so all
// rejection replies together are bounded too (limits.max_replies_per_hour_total). Past it,
// refused mails are filed without a reply and the operators get one alert for the hour,
// not one per mail. Through the request handler as the daemon wires it, on SQLite.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { createRequestMailHandler } from '../../src/intake/process-request-mail.ts';
import { silentLogger } from '../../src/log.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { BlobStore } from '../../src/store/blobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { watched } from '../conversation/sent-request.ts';

function setUp(total = 3, open = false) {
  const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
  // open: the schema's default route, which anyone may send to (and so be answered).
  const routes = open ? { default: { ...base.routes.default!, allowed_senders: [] } } : base.routes;
  const config = { ...base, routes, storage: { ...base.storage, data_dir: mkdtempSync(join(tmpdir(), 'reply-flood-')) }, alerts: { ...base.alerts, to: ['ops@corp.example'] },
    limits: { ...base.limits, max_replies_per_hour_total: total } };
  const db = openDatabase(config.storage.data_dir);
  const clock = { now: new Date('2026-11-03T10:00:00Z') };
  const handle = createRequestMailHandler({ db, blobs: new BlobStore(config.storage.data_dir), config, policy: intakePolicyFrom(config), provider: providerTraits(config.provider), logger: silentLogger(), now: () => clock.now });
  let uid = 0;
  // A request without its PDF (a Signer line makes it one): refused, with a reply saying so.
  const mail = (from: string) => handle(watched(Buffer.from(`From: ${from}\r\nTo: sign@corp.example\r\nSubject: Please sign\r\nMessage-ID: <m${++uid}@corp.example>\r\n\r\nSigner: Ann Lee <ann.lee@corp.example>\r\n`), uid));
  const mails = () => db.prepare("SELECT json_extract(payload, '$.purpose') AS purpose, json_extract(payload, '$.message.to') AS \"to\", json_extract(payload, '$.message.subject') AS subject FROM jobs WHERE kind = 'mail' ORDER BY id").all() as Array<{ purpose: string; to: string; subject: string }>;
  return { db, clock, mail, mails };
}

describe('rejection replies to many addresses', () => {
  it('stop at limits.max_replies_per_hour_total within the hour, with one alert, and go again when the hour has passed', async () => {
    const { db, clock, mail, mails } = setUp();
    for (let n = 1; n <= 8; n++) await mail(`colleague${n}@corp.example`);
    expect(mails().filter((m) => m.purpose === 'reply').map((m) => m.to)).toEqual(['colleague1@corp.example', 'colleague2@corp.example', 'colleague3@corp.example']);
    expect(mails().filter((m) => m.purpose === 'alert').map((m) => m.subject)).toEqual(['[signrelay] rejection replies held back']);
    const reasons = db.prepare("SELECT reason FROM messages ORDER BY uid").all() as Array<{ reason: string }>;
    expect(reasons.slice(3).every((r) => r.reason.endsWith('(not answered: 3 rejection replies went out within the hour, limits.max_replies_per_hour_total)'))).toBe(true);
    expect(db.prepare("SELECT count(*) AS n FROM events WHERE json_extract(detail, '$.alert') = 'replies'").get()).toEqual({ n: 1 });

    clock.now = new Date(clock.now.getTime() + 61 * 60_000);
    await mail('colleague9@corp.example');
    expect(mails().filter((m) => m.purpose === 'reply').at(-1)!.to).toBe('colleague9@corp.example');
  });

  it('one address held back raises its alert once in the hour, however many mails come', async () => {
    const { db, mail } = setUp(50);
    for (let n = 1; n <= 9; n++) await mail('payroll@corp.example');
    const alerts = db.prepare("SELECT json_extract(detail, '$.subject') AS subject FROM events WHERE json_extract(detail, '$.alert') = 'replies'").all();
    expect(alerts).toEqual([{ subject: 'replies to payroll@corp.example held back' }]);
  });
  it('to one Gmail inbox under its dotted and googlemail.com spellings are one budget', async () => {
    const { db, mail, mails } = setUp(50, true);
    // Gmail delivers v.ictim@, vi.ctim@ and victim@googlemail.com to victim@gmail.com: one inbox, one limit.
    const spellings = ['victim@gmail.com', 'v.ictim@gmail.com', 'vi.ctim@gmail.com', 'vic.tim@googlemail.com', 'V.I.C.T.I.M@Gmail.com', 'victi.m+x@gmail.com', 'vict.im@googlemail.com', 'v.i.ctim@gmail.com'];
    for (const from of spellings) await mail(from);
    expect(mails().filter((m) => m.purpose === 'reply')).toHaveLength(5);
    // One alert for the inbox, not one per spelling held back.
    const alerts = db.prepare("SELECT json_extract(detail, '$.subject') AS subject FROM events WHERE json_extract(detail, '$.alert') = 'replies'").all();
    expect(alerts).toEqual([{ subject: 'replies to victim@gmail.com held back' }]);
  });
  it('to one address paced under the hourly limit stop at four hours\' worth a day, with one alert for the day', async () => {
    const { db, clock, mail, mails } = setUp(50);
    // Five an hour — the hourly limit — for six hours: twenty replies, then none for the rest of the day.
    for (let hour = 0; hour < 6; hour++) {
      for (let n = 0; n < 5; n++) await mail('payroll@corp.example');
      clock.now = new Date(clock.now.getTime() + 61 * 60_000);
    }
    expect(mails().filter((m) => m.purpose === 'reply')).toHaveLength(20);
    const alerts = db.prepare("SELECT json_extract(detail, '$.subject') AS subject FROM events WHERE json_extract(detail, '$.alert') = 'replies'").all();
    expect(alerts).toEqual([{ subject: 'replies to payroll@corp.example held back for the day' }]);
    clock.now = new Date(clock.now.getTime() + 24 * 3_600_000);
    await mail('payroll@corp.example');
    expect(mails().filter((m) => m.purpose === 'reply')).toHaveLength(21); // a new day
  });
});
