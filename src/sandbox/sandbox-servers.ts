// The embedded world signrelay runs against without anything installed: the in-memory mail
// servers (IMAP + SMTP), the chosen signing provider's simulator (simulated-provider.ts)
// and the ServiceNow simulator with one record, on loopback, with fresh random secrets —
// and the configuration that points the daemon at them. Shared by `signrelay demo` (one
// scripted loop) and `signrelay sandbox` (left running, for `check`, `run` and trying
// things by hand).
import type { ProviderName } from '../providers/provider.ts';
import { startMailWorld, type MailWorld } from './mail-world.ts';
import { randomSecret } from './secret-writer.ts';
import { startServiceNowSimulator, type ServiceNowSimulator } from './servicenow/server.ts';
import { readUpdateSet, SHIPPED_UPDATE_SET } from './servicenow/update-set.ts';
import { readFileSync } from 'node:fs';
import { startSimulatedProvider, type SimulatedProvider } from './simulated-provider.ts';

/** The contract the demo mails and the sandbox offers to mail: in the package too (package.json files). */
export const SAMPLE_PDF = new URL('../../fixtures/pdf/sample-contract.pdf', import.meta.url);

export const SANDBOX = {
  requestAddress: 'sign@corp.example',
  returnAddress: 'returns@corp.example',
  returnsFolder: 'Returns',
  referer: 'https://corp.example',
  apiKey: 'sandbox-api-key',
  servicenowUser: 'signrelay.integration',
  recordNumber: 'RITM0010001',
  recordTable: 'sc_req_item',
  /** The instance's notification sender; the default route takes requests from it. */
  instanceAddress: 'corp@service-now.com',
  /** An agent who may click the imported update set's "Send for signature" (role itil). */
  agentUser: 'agent.alice',
} as const;

/** The secrets of the mail and ServiceNow side; the provider's are `signing.secrets`. */
export interface SandboxSecrets {
  imapPassword: string;
  servicenowPassword: string;
  /** The agent's, for the ServiceNow simulator's API (not signrelay's: it is in no configuration). */
  agentPassword: string;
}

export interface SandboxServers {
  world: MailWorld;
  signing: SimulatedProvider;
  servicenow: ServiceNowSimulator;
  secrets: SandboxSecrets;
}

/** Every secret the configuration names, by name: the mail and ServiceNow ones, then the provider's. */
export function allSecrets(servers: SandboxServers): Record<string, string> {
  return { 'imap-password': servers.secrets.imapPassword, 'sn-password': servers.secrets.servicenowPassword, ...servers.signing.secrets };
}

/** Starts the servers one by one; whatever started is stopped again if a later one fails. */
export async function startSandboxServers(provider: ProviderName): Promise<SandboxServers> {
  const secrets = { imapPassword: randomSecret(), servicenowPassword: randomSecret(), agentPassword: randomSecret() };
  // hoodiecrow has ONE store for every login: the return mailbox is a folder of the request
  // account, and the mail world files returns+TOKEN@ mail into it, as a Sieve rule would.
  const world = await startMailWorld({ users: { sign: secrets.imapPassword }, folders: { returns: SANDBOX.returnsFolder } });
  let signing: SimulatedProvider | undefined;
  try {
    signing = await startSimulatedProvider(provider, { apiKey: SANDBOX.apiKey, referer: SANDBOX.referer, smtp: world.smtp });
    const servicenow = await startServiceNowSimulator({
      users: { [SANDBOX.servicenowUser]: secrets.servicenowPassword, [SANDBOX.agentUser]: secrets.agentPassword },
      roles: { [SANDBOX.agentUser]: ['itil'] },
      records: [{
        table: SANDBOX.recordTable, number: SANDBOX.recordNumber,
        fields: { short_description: 'Onboard a contractor', requested_for: 'a8f98bb0eb32010045e1a5115206fe3a', 'requested_for.name': 'Ann Lee', 'requested_for.email': 'ann.lee@example.com' },
      }],
      // The update set an admin imports (deploy/servicenow/): its "Send for signature" mails the record's PDF to signrelay.
      updateSet: { definitions: readUpdateSet(readFileSync(SHIPPED_UPDATE_SET, 'utf8')), mail: { smtp: world.smtp, from: `ServiceNow <${SANDBOX.instanceAddress}>` } },
    });
    return { world, signing, servicenow, secrets };
  } catch (err) {
    await signing?.close();
    await world.close();
    throw err;
  }
}

/**
 * The configuration for the servers; `ref(name)` says how each secret (named as in
 * allSecrets) is written: `"${VAR}"` (demo) or `{file: …}` (sandbox).
 */
/**
 * The configuration of the embedded servers. `log`: the demo keeps everything, as JSON, in its
 * log file; the sandbox's `run` is for a person at a terminal — info, as text there (debug
 * wrote some 700 lines of IMAP traffic for one request: newcomer review L7).
 */
export function sandboxConfigText(servers: SandboxServers, dataDir: string, ref: (name: string) => string, header: string, log = '{level: info, format: auto}'): string {
  const q = (value: string | number) => JSON.stringify(String(value));
  const { world, signing, servicenow } = servers;
  return `${header}
mailboxes:
  requests: {host: ${q(world.imap.host)}, port: ${world.imap.port}, tls: false, user: sign, password: ${ref('imap-password')}, address: ${SANDBOX.requestAddress}}
  # The return mailbox: a folder of the same account (the in-memory IMAP server has one store).
  returns: {address: ${SANDBOX.returnAddress}, folder: ${SANDBOX.returnsFolder}}
smtp: {host: ${q(world.smtp.host)}, port: ${world.smtp.port}, tls: false, from: "signrelay <${SANDBOX.requestAddress}>"}
provider: ${signing.configYaml(ref)}
servicenow: {instance_url: ${q(servicenow.url)}, auth: {type: basic, user: ${SANDBOX.servicenowUser}, password: ${ref('sn-password')}}, delivery: rest}
routes:
  default: {allowed_senders: ["*@corp.example", ${SANDBOX.instanceAddress}]}
records: {RITM: ${SANDBOX.recordTable}}
storage: {data_dir: ${q(dataDir)}}
log: ${log}
`;
}

export async function stopSandboxServers(servers: Partial<SandboxServers>, onError: (name: string, err: unknown) => void): Promise<void> {
  const parts: Array<[string, (() => Promise<void>) | undefined]> = [
    [`the ${servers.signing?.displayName ?? 'signing'} simulator`, servers.signing && (() => servers.signing!.close())],
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
