// The embedded world signrelay runs against without anything installed: the in-memory mail
// servers (IMAP + SMTP), the Secured Signing simulator and the ServiceNow simulator with one
// record, on loopback, with fresh random secrets — and the configuration that points the
// daemon at them. Shared by `signrelay demo` (one scripted loop) and `signrelay sandbox`
// (left running, for `check`, `run` and trying things by hand).
import { randomBytes } from 'node:crypto';
import { startMailWorld, type MailWorld } from './mail-world.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from './secured-signing/server.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from './servicenow/server.ts';

export const SANDBOX = {
  requestAddress: 'sign@corp.example',
  returnAddress: 'returns@corp.example',
  returnsFolder: 'Returns',
  referer: 'https://corp.example',
  apiKey: 'sandbox-api-key',
  servicenowUser: 'signrelay.integration',
  recordNumber: 'RITM0010001',
  recordTable: 'sc_req_item',
} as const;

export interface SandboxSecrets {
  imapPassword: string;
  apiSecret: string;
  servicenowPassword: string;
  /** A refresh token the simulator issued, for provider.refresh_token. */
  refreshToken: string;
}

export interface SandboxServers {
  world: MailWorld;
  simulator: SecuredSigningSimulator;
  servicenow: ServiceNowSimulator;
  secrets: SandboxSecrets;
}

const randomSecret = () => randomBytes(18).toString('base64url');

/** Starts the servers one by one; whatever started is stopped again if a later one fails. */
export async function startSandboxServers(): Promise<SandboxServers> {
  const secrets = { imapPassword: randomSecret(), apiSecret: randomSecret(), servicenowPassword: randomSecret() };
  // hoodiecrow has ONE store for every login: the return mailbox is a folder of the request
  // account, and the mail world files returns+TOKEN@ mail into it, as a Sieve rule would.
  const world = await startMailWorld({ users: { sign: secrets.imapPassword }, folders: { returns: SANDBOX.returnsFolder } });
  let simulator: SecuredSigningSimulator | undefined;
  try {
    simulator = await startSecuredSigningSimulator({ apiKey: SANDBOX.apiKey, apiSecret: secrets.apiSecret, referer: SANDBOX.referer, oauth: true, smtp: world.smtp });
    const servicenow = await startServiceNowSimulator({
      users: { [SANDBOX.servicenowUser]: secrets.servicenowPassword },
      records: [{ table: SANDBOX.recordTable, number: SANDBOX.recordNumber, fields: { short_description: 'Onboard a contractor' } }],
    });
    return { world, simulator, servicenow, secrets: { ...secrets, refreshToken: simulator.issueTokens().refreshToken } };
  } catch (err) {
    await simulator?.close();
    await world.close();
    throw err;
  }
}

/** How the configuration names each secret: `"${VAR}"` (demo) or `{file: …}` (sandbox). */
export type SecretRefs = Record<keyof SandboxSecrets, string>;

export function sandboxConfigText(servers: SandboxServers, dataDir: string, refs: SecretRefs, header: string): string {
  const q = (value: string | number) => JSON.stringify(String(value));
  const { world, simulator, servicenow } = servers;
  return `${header}
mailboxes:
  requests: {host: ${q(world.imap.host)}, port: ${world.imap.port}, tls: false, user: sign, password: ${refs.imapPassword}, address: ${SANDBOX.requestAddress}}
  # The return mailbox: a folder of the same account (the in-memory IMAP server has one store).
  returns: {address: ${SANDBOX.returnAddress}, folder: ${SANDBOX.returnsFolder}}
smtp: {host: ${q(world.smtp.host)}, port: ${world.smtp.port}, tls: false, from: "signrelay <${SANDBOX.requestAddress}>"}
provider: {environment: ${q(simulator.url)}, oauth_url: ${q(simulator.oauthUrl)}, api_key: ${SANDBOX.apiKey}, api_secret: ${refs.apiSecret}, refresh_token: ${refs.refreshToken}, referer: ${SANDBOX.referer}}
servicenow: {instance_url: ${q(servicenow.url)}, auth: {type: basic, user: ${SANDBOX.servicenowUser}, password: ${refs.servicenowPassword}}, delivery: rest}
routes:
  default: {allowed_senders: ["*@corp.example"]}
records: {RITM: ${SANDBOX.recordTable}}
storage: {data_dir: ${q(dataDir)}}
log: {level: debug, format: json}
`;
}

export async function stopSandboxServers(servers: Partial<SandboxServers>, onError: (name: string, err: unknown) => void): Promise<void> {
  const parts: Array<[string, (() => Promise<void>) | undefined]> = [
    ['the Secured Signing simulator', servers.simulator && (() => servers.simulator!.close())],
    ['the ServiceNow simulator', servers.servicenow && (() => servers.servicenow!.close())],
    ['the mail servers', servers.world && (() => servers.world!.close())],
  ];
  for (const [name, stop] of parts) {
    try {
      await stop?.();
    } catch (err) {
      onError(name, err);
    }
  }
}
