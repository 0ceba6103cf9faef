// A sender's requests within 24 hours are bounded (limits.max_requests_per_sender_per_day): a
// ServiceNow flow mailing in a loop, or a mailbox in the wrong hands, had every mail's
// document sent to its signers — and the plan's credits spent — without end. Past the limit a
// request is refused with an answer saying why, and the operators get an alert; the sender's
// `+` subaddresses count with it; a day later it is taken again. Through the request handler
// as the daemon wires it, on SQLite and the PDF workers.
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
import { buildMail, contractPdf } from '../integration/world.ts';
import { watched } from '../conversation/sent-request.ts';

describe('limits.max_requests_per_sender_per_day', () => {
  it('refuses a sender\'s requests past the limit within 24 hours, with an answer and one alert, and takes them again a day later', async () => {
    const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
    const config = { ...base, storage: { ...base.storage, data_dir: mkdtempSync(join(tmpdir(), 'sender-limit-')) }, alerts: { ...base.alerts, to: ['ops@corp.example'] },
      limits: { ...base.limits, max_requests_per_sender_per_day: 2 } };
    const db = openDatabase(config.storage.data_dir);
    const clock = { now: new Date() };
    const handle = createRequestMailHandler({ db, blobs: new BlobStore(config.storage.data_dir), config, policy: intakePolicyFrom(config), provider: providerTraits(config.provider), logger: silentLogger(), now: () => clock.now });
    const pdf = await contractPdf('Contract');
    let uid = 0;
    const mail = async (from: string) => {
      const raw = await buildMail({ from, subject: `Contract RITM00100${++uid}`, text: 'Signer: Ann Lee <ann.lee@corp.example>', messageId: `<loop${uid}@corp.example>`, attachments: [{ filename: 'contract.pdf', content: pdf }] });
      return handle(watched(raw, uid));
    };
    const states = () => db.prepare('SELECT state FROM requests ORDER BY created_at, rowid').pluck().all();
    const mails = (purpose: string) => db.prepare("SELECT json_extract(payload, '$.message.to') AS \"to\", json_extract(payload, '$.message.subject') AS subject, json_extract(payload, '$.message.text') AS text FROM jobs WHERE kind = 'mail' AND json_extract(payload, '$.purpose') = ? ORDER BY id").all(purpose) as Array<{ to: string; subject: string; text: string }>;

    expect(await mail('flow@corp.example')).toEqual({ moveTo: 'Processed' });
    expect(await mail('flow+hr@corp.example')).toEqual({ moveTo: 'Processed' }); // its subaddress: the same mailbox
    expect(await mail('flow@corp.example')).toEqual({ moveTo: 'Rejected' });
    expect(await mail('FLOW@corp.example')).toEqual({ moveTo: 'Rejected' });
    expect(await mail('helen.officer@corp.example')).toEqual({ moveTo: 'Processed' }); // another sender's own count
    expect(states()).toEqual(['stamped', 'stamped', 'rejected', 'rejected', 'stamped']);

    const answers = mails('reply');
    expect(answers.map((a) => a.to)).toEqual(['flow@corp.example', 'flow@corp.example']);
    expect(answers[0]!.text).toContain('signrelay has taken 2 requests from flow@corp.example within 24 hours, the most it takes from one sender: send this one again tomorrow');
    const alerts = mails('alert');
    expect(alerts.map((a) => a.subject)).toEqual(['[signrelay] flow@corp.example reached limits.max_requests_per_sender_per_day']);
    expect(alerts[0]!.text).toContain('If that is a ServiceNow flow or a script mailing in a loop, stop it');

    // Forged in its name (intake.authentication off): the operator cancels them, and the day is the sender's again.
    db.prepare("UPDATE requests SET state = 'cancelled' WHERE requester = 'flow+hr@corp.example'").run();
    expect(await mail('flow@corp.example')).toEqual({ moveTo: 'Processed' });
    expect(await mail('flow@corp.example')).toEqual({ moveTo: 'Rejected' });

    clock.now = new Date(clock.now.getTime() + 24 * 3_600_000 + 60_000);
    expect(await mail('flow@corp.example')).toEqual({ moveTo: 'Processed' });
    db.close();
  }, 120_000);
});
