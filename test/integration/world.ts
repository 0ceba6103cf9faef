// A complete little world for integration tests: a real Dovecot (IMAP + LMTP), an SMTP
// sink for what signrelay sends, the Secured Signing simulator, and signrelay's daemon
// configured against all three through the real configuration loader.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { createLogger } from '../../src/log.ts';
import { startSecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { startDovecot, type DovecotHandle } from '../support/dovecot.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';

export const API_KEY = 'test-api-key-0001';
export const API_SECRET = 'test-api-secret-do-not-log-7f3a';
export const IMAP_PASSWORD = 'imap-pass-do-not-log-91c2';
export const REFERER = 'https://corp.example';

export interface World {
  dovecot: DovecotHandle;
  smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  simulator: Awaited<ReturnType<typeof startSecuredSigningSimulator>>;
  config: Config;
  daemon: Daemon | undefined;
  logs: string[];
  startDaemon(): Daemon;
  stopDaemon(): Promise<void>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const dovecot = await startDovecot({ users: { sign: IMAP_PASSWORD, returns: IMAP_PASSWORD } });
  const smtp = await startSmtpSink();
  const simulator = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: true });
  const tokens = simulator.issueTokens();
  const dataDir = join(mkdtempSync(join(tmpdir(), 'signrelay-it-')), 'data');
  const config = parseConfigText(`
mailboxes:
  requests: {host: 127.0.0.1, port: ${dovecot.imapPort}, tls: false, user: sign, password: "\${IMAP_PW}", address: sign@corp.example}
  returns: {address: returns@corp.example, user: returns, password: "\${IMAP_PW}"}
smtp: {host: 127.0.0.1, port: ${smtp.port}, tls: false, from: "signrelay <sign@corp.example>"}
provider: {environment: "${simulator.url}", oauth_url: "${simulator.oauthUrl}", api_key: ${API_KEY}, api_secret: "\${SS_SECRET}", refresh_token: ${tokens.refreshToken}, referer: ${REFERER}}
servicenow: {instance_url: "https://acme.service-now.com", auth: {type: basic, user: signrelay.integration, password: not-used}}
routes:
  default: {allowed_senders: ["*@corp.example"]}
  hr: {signers: ["Harriet Ross <hr.director@corp.example>"], due_days: 7, allowed_senders: ["*@corp.example"]}
records: {RITM: sc_req_item, HRC: sn_hr_core_case}
limits: {max_mail_bytes: 2000000}
storage: {data_dir: ${dataDir}}
`, 'integration.yaml', { env: { IMAP_PW: IMAP_PASSWORD, SS_SECRET: API_SECRET } });

  const logs: string[] = [];
  const world: World = {
    dovecot, smtp, simulator, config, logs, daemon: undefined,
    startDaemon() {
      const stream = new PassThrough();
      stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
      const logger = createLogger({ level: 'debug', format: 'json', stream, secrets: [API_SECRET, IMAP_PASSWORD] });
      world.daemon = startDaemon({ config, logger, livenessIntervalMs: 2_000, retryBaseMs: 50 });
      return world.daemon;
    },
    async stopDaemon() {
      await world.daemon?.stop();
      world.daemon = undefined;
    },
    async close() {
      await world.stopDaemon();
      await simulator.close();
      await smtp.close();
      await dovecot.stop();
    },
  };
  return world;
}

export interface MailSpec {
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: Array<{ filename: string; content: Buffer | Uint8Array; contentType?: string }>;
  messageId?: string;
}

export async function buildMail(spec: MailSpec): Promise<Buffer> {
  const composer = new MailComposer({
    from: spec.from ?? 'Helen Officer <helen.officer@corp.example>',
    to: spec.to ?? 'sign@corp.example',
    subject: spec.subject ?? 'Please sign RITM0010001',
    text: spec.text,
    html: spec.html,
    headers: spec.headers,
    messageId: spec.messageId,
    attachments: spec.attachments?.map((a) => ({ filename: a.filename, content: Buffer.from(a.content), contentType: a.contentType ?? 'application/pdf' })),
  });
  return composer.compile().build();
}

/** A small, ordinary two-page PDF, made fresh (no tags in it). */
export async function contractPdf(title = 'Contractor agreement'): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= 2; n++) {
    const page = doc.addPage([595, 842]);
    page.drawText(`${title} - page ${n}`, { x: 72, y: 760, size: 16, font });
    page.drawText('The contractor agrees to the terms below.', { x: 72, y: 730, size: 11, font });
  }
  return doc.save();
}

/** Registers a world with a running daemon for the test file; returns its accessor. */
export function useWorld(): () => World {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld();
    world.startDaemon();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });
  return () => world!;
}
