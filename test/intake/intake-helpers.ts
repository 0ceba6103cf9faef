// Shared by the intake tests: the policy they run under, a fixed clock, fixture loading,
// and a builder that composes real MIME (nodemailer) and parses it like the daemon does.
import { readFileSync } from 'node:fs';
import type { ParsedMail } from 'mailparser';
import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { RouteConfig } from '../../src/config/schema.ts';
import { readRequestMail } from '../../src/message/read-request-mail.ts';
import type { IntakePolicy } from '../../src/intake/types.ts';

export const NOW = new Date('2026-11-03T10:00:00Z');

const route = (r: Partial<RouteConfig>): RouteConfig => ({ signers: [], due_days: 14, allowed_senders: [], require_record: true, notify_requester: false, acknowledge: true, reminder_days_before: 2, ...r });

export function testPolicy(overrides: Partial<IntakePolicy> = {}): IntakePolicy {
  return {
    requestAddress: 'sign@corp.example',
    ownAddresses: ['signrelay@corp.example', 'returns@corp.example'],
    routes: {
      default: route({}),
      hr: route({ table: 'sn_hr_core_case', signers: ['HR Desk <hr.desk@corp.example>'], due_days: 7, allowed_senders: ['*@corp.example', 'zoe.angstrom@gmail.com'] }),
      legal: route({ signers: ['Legal Team <legal.team@corp.example>'], due_days: 30, allowed_senders: ['Counsel@LawFirm.example'], require_record: false }),
    },
    records: { RITM: 'sc_req_item', HRC: 'sn_hr_core_case', INC: 'incident' },
    textTags: true,
    instanceSenders: ['*@service-now.com'],
    instanceAddresses: ['*@service-now.com'],
    delivery: 'rest',
    limits: { max_mail_bytes: 25 * 1024 * 1024, max_pdf_bytes: 20 * 1024 * 1024, max_pages: 500, max_signers: 20, max_documents: 10, max_replies_per_hour: 5, max_replies_per_hour_total: 50, max_requests_per_sender_per_day: 100 },
    authentication: { require: [], trustedAuthservIds: [] },
    ...overrides,
  };
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(new URL(`../../fixtures/mail/${name}`, import.meta.url));
}

export function readFixture(name: string): Promise<ParsedMail> {
  return readRequestMail(fixtureBytes(name));
}

let pdfCache: Buffer | undefined;
/** A real PDF (from a fixture); `variant` appends a comment so copies differ byte-wise. */
export async function samplePdf(variant = 0): Promise<Buffer> {
  pdfCache ??= (await readFixture('outlook-alternative.eml')).attachments[0]!.content;
  return variant === 0 ? pdfCache : Buffer.concat([pdfCache, Buffer.from(`\n% copy ${variant}\n`)]);
}

/** Composes a mail with nodemailer and parses it as the daemon does. */
export async function buildRaw(options: SendMailOptions): Promise<Buffer> {
  return new MailComposer({
    from: 'Ann Lee <ann.lee@corp.example>',
    to: 'sign@corp.example',
    subject: 'Contract for RITM0010001',
    messageId: '<built-1@corp.example>',
    date: new Date('2026-11-03T09:00:00Z'),
    ...options,
  }).compile().build();
}

export async function buildMail(options: SendMailOptions): Promise<ParsedMail> {
  return readRequestMail(await buildRaw(options));
}

/** A mail with one PDF attached and the given body text. */
export async function requestMail(text: string, options: SendMailOptions = {}): Promise<ParsedMail> {
  return buildMail({ text, attachments: [{ filename: 'contract.pdf', content: await samplePdf() }], ...options });
}
