// `signrelay explain` of a bounce: one of a mail signrelay recorded sending (sent_mails) is
// explained as the daemon takes it (intake/process-bounce.ts), not as the automatic mail the
// classifier files unanswered — which is what a bounce naming no mail of signrelay's stays.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/open-database.ts';
import { recordSentMail } from '../../src/store/sent-mails.ts';
import { minimalConfigYaml, tempDir } from './helpers.ts';
import { runInProcess } from './in-process.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let config: string;
const SENT = '<signrelay.delivery.5a4b3c2d1e0f9a8b@corp.example>';

beforeAll(async () => {
  dir = await tempDir('explain-bounce-');
  const dataDir = join(dir.path, 'data');
  const db = openDatabase(dataDir);
  recordSentMail(db, { messageId: SENT, purpose: 'delivery', requestId: null, recipients: 'instance@service-now.com' }, new Date());
  db.close();
  config = await dir.file('signrelay.yaml', minimalConfigYaml('routes: {default: {}}', dataDir));
});
afterAll(async () => dir.remove());

/** A Postfix report of the mail whose Message-ID is `original`. */
function dsn(original: string, kind = 'delivery'): string {
  const path = join(dir.path, `dsn-${original.length}-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(path, [
    'Return-Path: <>', 'From: MAILER-DAEMON@relay.corp.example (Mail Delivery System)', 'To: sign@corp.example',
    'Subject: Undelivered Mail Returned to Sender', 'Auto-Submitted: auto-replied', 'Message-ID: <dsn1@relay.corp.example>', 'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"', '',
    '--B', 'Content-Type: text/plain', '', 'Your message could not be delivered.', '',
    '--B', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; relay.corp.example', '', 'Final-Recipient: rfc822; instance@service-now.com', 'Action: failed', 'Status: 5.3.4', 'Diagnostic-Code: smtp; 552 5.3.4 Message size exceeds fixed limit', '',
    '--B', 'Content-Type: text/rfc822-headers', '', 'From: signrelay <sign@corp.example>', 'To: instance@service-now.com', `Message-ID: ${original}`, `X-Signrelay: ${kind}`, '',
    '--B--', '',
  ].join('\r\n'));
  return path;
}

describe('explain of a bounce', () => {
  it('of a mail signrelay sent: what the daemon does with it', async () => {
    const r = await runInProcess(['explain', dsn(SENT), '--config', config]);
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout) as { action: string; reason: string; reply: boolean; bounce: { verdict: string } };
    expect(answer).toMatchObject({ action: 'bounce', reply: false, bounce: { verdict: 'failed' } });
    expect(answer.reason).toContain('returns signrelay\'s delivery mail to instance@service-now.com: if it is the latest attempt of a delivered request');
    expect(answer.reason).toContain('filed in Processed');
  });

  it('whose returned header says another kind of mail than the one recorded: ignored, as the daemon ignores it', async () => {
    const r = await runInProcess(['explain', dsn(SENT, 'alert'), '--config', config]);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'ignore', reply: false });
  });

  it('naming no mail signrelay sent: ignored as automatic mail, as before', async () => {
    const r = await runInProcess(['explain', dsn('<someone-else@corp.example>'), '--config', config]);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'ignore', reply: false });
  });
});
