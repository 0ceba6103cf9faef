// A request from the ServiceNow instance that is refused: the operators' alert mail quotes the
// refusal's reason, and the reason quotes the mail's own lines — a terminal escape sequence the
// notification's (agent-written) text carried reached the alert raw (fuzz review L1).
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

describe('an instance request refused', () => {
  it('quotes its Due: line inert: no terminal escape from the mail in the operators\' alert or the stored reason', async () => {
    const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
    const routes = { ...base.routes, default: { ...base.routes.default!, allowed_senders: ['*@corp.example', 'acme@service-now.com'] } };
    const config = { ...base, routes, servicenow: { ...base.servicenow, senders: ['acme@service-now.com'] }, alerts: { ...base.alerts, to: ['ops@corp.example'] },
      storage: { ...base.storage, data_dir: mkdtempSync(join(tmpdir(), 'alert-raw-')) } };
    const db = openDatabase(config.storage.data_dir);
    const handle = createRequestMailHandler({ db, blobs: new BlobStore(config.storage.data_dir), config, policy: intakePolicyFrom(config), provider: providerTraits(config.provider), logger: silentLogger(), now: () => new Date('2026-11-03T10:00:00Z') });
    const raw = Buffer.from(['From: ServiceNow <acme@service-now.com>', 'To: sign@corp.example', 'Subject: Sign RITM0010001', 'Message-ID: <n1@service-now.com>', 'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8', '', 'Signer: Ann Lee <ann.lee@corp.example>', 'Due: soon\u001b]0;owned\u0007', ''].join('\r\n'));
    await handle(watched(raw, 1));
    const alert = db.prepare("SELECT json_extract(payload, '$.message.text') AS text FROM jobs WHERE kind = 'mail' AND json_extract(payload, '$.purpose') = 'alert'").get() as { text: string } | undefined;
    expect(alert).toBeDefined();
    expect(alert!.text).toContain('"Due: soon ]0;owned " is not a due date');
    expect(alert!.text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    const reason = (db.prepare('SELECT reason FROM messages').get() as { reason: string }).reason;
    expect(reason).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});
