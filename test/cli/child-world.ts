// The servers around a daemon that runs as a CHILD process: a real Dovecot (IMAP + LMTP),
// an SMTP sink, the Secured Signing and ServiceNow simulators, plus a YAML configuration file in a temp
// dir that points at them, with the secrets left to environment variables — the way an
// operator runs `signrelay run --config FILE` under systemd.
import { join } from 'node:path';
import { startSecuredSigningSimulator, type RecordedCall } from '../../src/sandbox/secured-signing/server.ts';
import { startServiceNowSimulator } from '../../src/sandbox/servicenow/server.ts';
import { RECORDS } from '../support/instance-records.ts';
import { startDovecot } from '../support/dovecot.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';
import { afterAll, beforeAll } from 'vitest';
import { bareEnv, killAll, startCli, tempDir, type RunningCli } from './helpers.ts';

export const API_KEY = 'cli-test-api-key-0042';
export const API_SECRET = 'cli-api-secret-must-not-leak-5d1e';
export const IMAP_PASSWORD = 'cli-imap-pass-must-not-leak-a7b3';
export const REFERER = 'https://corp.example';
export const SN_PASSWORD = 'cli-sn-pass-plain-in-the-test-config';

export type ChildWorld = Awaited<ReturnType<typeof startChildWorld>>;

export async function startChildWorld() {
  // Whatever started is stopped again, also when a later part fails to start.
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  const started = async <T>(start: Promise<T>, stop: (value: T) => Promise<void>): Promise<T> => {
    try {
      const value = await start;
      cleanups.push(() => stop(value));
      return value;
    } catch (err) {
      await close();
      throw err;
    }
  };
  const dir = await started(tempDir('signrelay-cli-run-'), (d) => d.remove());
  const dovecot = await started(startDovecot({ users: { sign: IMAP_PASSWORD } }), (d) => d.stop());
  const smtp = await started(startSmtpSink(), (s) => s.close());
  const simulator = await started(startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: true }), (s) => s.close());
  const servicenow = await started(startServiceNowSimulator({ users: { 'signrelay.integration': SN_PASSWORD }, records: [...RECORDS, { table: 'sc_req_item', number: 'RITM0030001' }] }), (s) => s.close());
  const { refreshToken } = simulator.issueTokens();
  const dataDir = join(dir.path, 'data');
  const configYaml = (imapPort: number) => `
mailboxes:
  requests: {host: 127.0.0.1, port: ${imapPort}, tls: false, user: sign, password: "\${TEST_IMAP_PASSWORD}", address: sign@corp.example}
  returns: {address: returns@corp.example, folder: Returns}
smtp: {host: 127.0.0.1, port: ${smtp.port}, tls: false, from: "signrelay <sign@corp.example>"}
provider:
  environment: "${simulator.url}"
  oauth_url: "${simulator.oauthUrl}"
  api_key: ${API_KEY}
  api_secret: "\${TEST_SS_API_SECRET}"
  refresh_token: "\${TEST_SS_REFRESH_TOKEN}"
  referer: ${REFERER}
servicenow: {instance_url: "${servicenow.url}", auth: {type: basic, user: signrelay.integration, password: ${SN_PASSWORD}}}
routes:
  default: {allowed_senders: ["*@corp.example"]}
records: {RITM: sc_req_item}
storage: {data_dir: ${dataDir}}
log: {level: debug, format: json}
`;
  const configFile = await dir.file('signrelay.yaml', configYaml(dovecot.imapPort));
  const env = bareEnv({ TEST_IMAP_PASSWORD: IMAP_PASSWORD, TEST_SS_API_SECRET: API_SECRET, TEST_SS_REFRESH_TOKEN: refreshToken });

  const successfulSends = (): RecordedCall[] =>
    simulator.calls.filter((c) => c.path.endsWith('/SmartTag/Send') && c.status === 200);

  return {
    dovecot, smtp, simulator, servicenow, dataDir, configFile,
    /** Every secret the daemon is given (and the IMAP AUTH=PLAIN blob); none may ever be printed. */
    secrets: [API_SECRET, IMAP_PASSWORD, refreshToken, Buffer.from(`\0sign\0${IMAP_PASSWORD}`).toString('base64')],
    startDaemon: (file = configFile): RunningCli => startCli(['run', '--config', file], { env }),
    /** A configuration whose request mailbox is on another port (one nothing listens on). */
    configWithImapPort: (port: number): Promise<string> => dir.file(`signrelay-imap-${port}.yaml`, configYaml(port)),
    successfulSends,
    /** The document references of every successful send, in order. */
    sentReferences: (): string[] => successfulSends().flatMap((c) => documentReferences(c.body)),
    folder: (name: string) => dovecot.list('sign', name),
    close,
  };
}

function documentReferences(body: unknown): string[] {
  const references = (body as { DocumentReferences?: unknown } | undefined)?.DocumentReferences;
  return Array.isArray(references) ? references.map(String) : [];
}

/**
 * How long a stopping daemon may go without a word (exitWithin): a graceful stop — LOGOUT,
 * the job in hand, closing the database — logs as it goes, and one that waits on nothing
 * (a retry's timer, a reconnect's backoff) falls silent.
 */
export const STOP_WITHIN_MS = 5_000;

/** Registers a child world for the test file (children killed first); returns its accessor. */
export function useChildWorld(): () => ChildWorld {
  let world: ChildWorld | undefined;
  beforeAll(async () => {
    world = await startChildWorld();
  }, 60_000);
  afterAll(async () => {
    await killAll();
    await world?.close();
  });
  return () => world!;
}
