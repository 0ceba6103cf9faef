// max_mail_bytes follows max_pdf_bytes: a mail carrying the largest PDF signrelay accepts is
// never refused as too large a mail — measured on a mail composed the way mail clients do —
// and a max_mail_bytes set below that is named, with the PDF size it really allows.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { describe, expect, it } from 'vitest';
import { configWarnings } from '../../src/config/config-warnings.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { mailBytesFor } from '../../src/config/schema.ts';
import { minimalConfigYaml } from '../cli/helpers.ts';

const configWith = (limits: string) => parseConfigText(minimalConfigYaml(`routes: {default: {allowed_senders: ["*@corp.example"]}}\nlimits: ${limits}`), 't.yaml', { env: {} });

describe('limits.max_mail_bytes', () => {
  it('defaults to what a mail with one max_pdf_bytes PDF needs', () => {
    expect(configWith('{}').limits.max_mail_bytes).toBe(mailBytesFor(20 * 1024 * 1024));
    expect(configWith('{max_pdf_bytes: 1048576}').limits.max_mail_bytes).toBe(mailBytesFor(1024 * 1024));
    expect(configWarnings(configWith('{}'))).toEqual([]);
  });

  it.each([1024 * 1024, 20 * 1024 * 1024])('holds a real mail carrying a %i-byte PDF, with a subject, text and a long file name', async (pdfBytes) => {
    const pdf = Buffer.alloc(pdfBytes, 0x41);
    const mail = await new MailComposer({
      from: 'Helen Officer <helen.officer@corp.example>', to: 'sign@corp.example', subject: `Please sign RITM0012345 ${'x'.repeat(200)}`,
      text: `Signer: Ann Lee <ann.lee@corp.example>\n${'Some words about the contract. '.repeat(200)}`,
      html: `<p>${'Some words about the contract. '.repeat(200)}</p>`,
      attachments: [{ filename: `${'Arbeitsvertrag Müller '.repeat(8)}.pdf`, content: pdf, contentType: 'application/pdf' }],
    }).compile().build();
    expect(mail.byteLength).toBeGreaterThan(pdfBytes * 1.36);
    expect(mail.byteLength).toBeLessThanOrEqual(mailBytesFor(pdfBytes));
  });

  it('set below that, is named with the PDF size it really lets through', () => {
    const warnings = configWarnings(configWith('{max_mail_bytes: 26214400}'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^limits\.max_mail_bytes \(25\.0 MiB\) is less than a mail carrying one limits\.max_pdf_bytes PDF needs \(28\.4 MiB\): PDFs over about 17\.5 MiB are refused as too large a mail, not at 20\.0 MiB\. Raise max_mail_bytes to at least 29746446, or leave it out/);
    expect(configWarnings(configWith('{max_mail_bytes: 29746446}'))).toEqual([]);
  });
});

describe('delivery by email and limits.max_pdf_bytes', () => {
  const withDelivery = (routes: string, servicenow = '') => parseConfigText(
    minimalConfigYaml(routes).replace('password: not-used}}', `password: not-used}, inbound_address: acme@service-now.com${servicenow}}`), 't.yaml', { env: {} });

  it('are named when the instance would discard a PDF signrelay accepts: signed, then never delivered', () => {
    const warnings = configWarnings(withDelivery('routes: {default: {allowed_senders: ["*@corp.example"]}, hr: {delivery: email, allowed_senders: ["*@corp.example"]}}'));
    expect(warnings).toEqual(['routes.hr.delivery mails the signed PDF to the instance, which discards attachments over servicenow.max_email_attachment_bytes (18.0 MiB), while limits.max_pdf_bytes accepts PDFs up to 20.0 MiB: a PDF between the two is signed and then cannot be delivered. Lower limits.max_pdf_bytes below it (leaving room for the signatures), or deliver by rest']);
    expect(configWarnings(withDelivery('routes: {default: {allowed_senders: ["*@corp.example"]}}', ', delivery: email'))[0]).toMatch(/^servicenow\.delivery mails the signed PDF/);
  });

  it('name more PDFs a request than the instance keeps attachments of one mail', () => {
    expect(configWarnings(withDelivery('routes: {default: {allowed_senders: ["*@corp.example"]}, hr: {delivery: email, allowed_senders: ["*@corp.example"]}}\nlimits: {max_pdf_bytes: 15728640, max_documents: 40}'))).toEqual([
      'routes.hr.delivery mails the signed PDFs to the instance, which keeps at most servicenow.max_email_attachment_count (30) attachments of a mail, while limits.max_documents accepts 40 PDFs a request: a request with more is signed and then cannot be delivered. Lower limits.max_documents to it, or deliver by rest',
    ]);
  });

  it('are not, when the PDFs fit or nothing goes by mail', () => {
    expect(configWarnings(withDelivery('routes: {default: {allowed_senders: ["*@corp.example"]}, hr: {delivery: email, allowed_senders: ["*@corp.example"]}}\nlimits: {max_pdf_bytes: 15728640}'))).toEqual([]);
    expect(configWarnings(withDelivery('routes: {default: {allowed_senders: ["*@corp.example"]}}'))).toEqual([]);
  });
});

describe('settings that defeat each other', () => {
  const withRoutes = (extra: string, dataDir?: string) => parseConfigText(minimalConfigYaml(extra, dataDir), 't.yaml', { env: {} });

  it('a reminder as early as the due date, more route signers than max_signers, a relative data_dir: each named with the fix', () => {
    const warnings = configWarnings(withRoutes('routes: {default: {allowed_senders: ["*@corp.example"], due_days: 2, reminder_days_before: 2, signers: ["A B <a@corp.example>", "C D <c@corp.example>"]}}\nlimits: {max_signers: 1}', 'var/signrelay'));
    expect(warnings).toEqual([
      'routes.default.reminder_days_before (2) is not less than its due_days (2): a request whose mail gives no Due: gets its reminder on the day it is sent, or never. Lower reminder_days_before, or 0 for none',
      'routes.default.signers lists 2 signers, more than limits.max_signers (1): every request on it without Signer: lines is refused. Raise limits.max_signers or list fewer',
      'storage.data_dir var/signrelay is a relative path: it depends on the directory signrelay is started from, so the daemon and the operator commands may each find a different one. Give an absolute path',
    ]);
    expect(configWarnings(withRoutes('routes: {default: {allowed_senders: ["*@corp.example"], due_days: 14, reminder_days_before: 2}}'))).toEqual([]);
    expect(configWarnings(withRoutes('routes: {default: {allowed_senders: ["*@corp.example"], language: nb}}'))).toEqual([
      'routes.default.language is a Signicat setting: provider.type is secured-signing, which does not use it. Remove it, or switch the provider',
    ]);
    expect(configWarnings(withRoutes('routes: {default: {allowed_senders: ["*@corp.example"], due_days: 1, reminder_days_before: 0}}'))).toEqual([]);
  });
});

describe('a secret with a space at either end', () => {
  it('is named, as it is sent as part of the secret; a file\'s last line break is not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-spaced-secret-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return JSON.stringify({ file: join(dir, name) });
    };
    const config = parseConfigText(minimalConfigYaml(`routes: {default: {allowed_senders: ["*@corp.example"]}}`)
      .replace('password: not-used, address', `password: ${file('imap', 's3cret-pass \n')}, address`)
      .replace('api_secret: not-used', `api_secret: ${file('api', 'api-secret-value\n')}`)
      .replace('user: signrelay.integration, password: not-used', `user: signrelay.integration, password: ${file('sn', '\tsn-pass\r\n')}`), 't.yaml', { env: {} });
    const warnings = configWarnings(config);
    expect(warnings).toEqual([
      'mailboxes.requests.password begins or ends with a space, tab or line break, which signrelay sends as part of it (only a secret file\'s last line break is removed). If it is not part of the secret, remove it',
      expect.stringMatching(/^servicenow\.auth\.password begins or ends with a space/),
    ]);
    expect(warnings.join('\n')).not.toMatch(/s3cret|sn-pass/); // names the setting, never the secret
  });
});

describe('a route anyone may send to', () => {
  const withRoutes = (extra: string) => parseConfigText(minimalConfigYaml(extra), 't.yaml', { env: {} });
  it('is named, with who may send as the fix, unless senders are listed or authentication is required', () => {
    expect(configWarnings(withRoutes('routes: {default: {}}'))).toEqual([
      'routes.default.allowed_senders is empty and no authentication is required: anyone can send it requests, and a From can be forged — a request is sent to the signers it names, and a refused mail\'s reply goes to whatever address it gave (at most limits.max_replies_per_hour to one, limits.max_replies_per_hour_total to all). List who may send (e.g. "*@corp.example"), or require dmarc in intake.authentication',
    ]);
    expect(configWarnings(withRoutes('routes: {default: {allowed_senders: ["*@corp.example"]}}'))).toEqual([]);
    expect(configWarnings(withRoutes('routes: {default: {require_authentication: [dmarc]}}\nintake: {authentication: {trusted_authserv_ids: [mx.corp.example]}}'))).toEqual([]);
    expect(configWarnings(withRoutes('routes: {default: {}}\nintake: {authentication: {require: [dmarc], trusted_authserv_ids: [mx.corp.example]}}'))).toEqual([]);
  });
});

describe('records', () => {
  it('left empty while a route requires a record and names no table: warned, naming the route and the fix', () => {
    const config = parseConfigText(minimalConfigYaml('routes: {default: {allowed_senders: ["*@corp.example"]}, hr: {allowed_senders: ["*@corp.example"], table: sn_hr_core_case}, open: {allowed_senders: ["*@corp.example"], require_record: false}}').replace(/^records: .*$/m, ''), 't.yaml', { env: {} });
    expect(config.records).toEqual({});
    expect(configWarnings(config)).toEqual([
      'records is empty and routes.default requires a record (require_record) and names no table: signrelay knows no record number, so every request on it without a Record: TABLE/SYS_ID line is refused. Add the prefixes your records carry (e.g. records: {RITM: sc_req_item}), or give the route a table',
    ]);
  });
});
