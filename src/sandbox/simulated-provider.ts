// Either provider's simulator behind one face, for everything that plays the signing side:
// the demo, the sandbox, the integration tests and the chaos run. It starts the simulator,
// says how the configuration points signrelay at it, plays the signers (everyone signs,
// one declines, the request expires), hands out the copy the API serves, and counts the
// effects that must happen once (uploads, sends, downloads). A request is named by what
// signrelay stored for it: its token, its order id (Signicat) and its document references.
import { randomBytes } from 'node:crypto';
import type { ProviderName } from '../providers/provider.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from './secured-signing/server.ts';
import { startSignicatSimulator, type SignicatSimulator } from './signicat/server.ts';

export const PROVIDER_NAMES: readonly ProviderName[] = ['secured-signing', 'signicat'];

/** A request as the simulator knows it: what signrelay stored when it sent it. */
export interface SimulatedRequest {
  providerOrderId: string | null;
  /** Per document, in order: the reference signrelay uploaded it under. */
  references: string[];
}

export interface SimulatedProvider {
  name: ProviderName;
  displayName: string;
  /** The secret the configuration must name (`provider.api_secret` / `provider.client_secret`). */
  secret: string;
  /** The `provider:` mapping (flow YAML) pointing signrelay at the simulator; `secretRef` is how the secret is written. */
  configYaml(secretRef: string): string;
  /** Every signer signs every document; the provider mails the return address as it would. */
  signAll(request: SimulatedRequest): Promise<void>;
  /** The first signer who has not signed declines, with a reason. */
  decline(request: SimulatedRequest, reason: string): Promise<void>;
  /** The request's time runs out. */
  expire(request: SimulatedRequest): Promise<void>;
  /** Who the provider was asked to invite (in order) and where it will mail the completed signing. */
  asked(request: SimulatedRequest): { signers: string[]; returnAddresses: string[] };
  /** Whether the provider mails the return address by itself when a signer declines or the request expires. */
  mailsRefusals: boolean;
  /** The signed copy of a document as the API serves it. */
  signedCopy(request: SimulatedRequest, index: number): Promise<Uint8Array>;
  /** Successful calls that must happen once per document (uploads) or once per request (sends), and downloads. */
  counts(): { uploads: number; sends: number; downloads: number };
  close(): Promise<void>;
}

export interface SimulatedProviderOptions {
  /** Where the provider mails (completion mails, Signicat's notifications). */
  smtp?: { host: string; port: number };
  /** Secured Signing: the Referer its key is registered for. */
  referer?: string;
  /** The provider secret (API secret, client secret); random when absent. */
  secret?: string;
  /** Secured Signing: the API key. */
  apiKey?: string;
}

const randomSecret = () => randomBytes(18).toString('base64url');
const q = (value: string) => JSON.stringify(value);

export async function startSimulatedProvider(name: ProviderName, options: SimulatedProviderOptions = {}): Promise<SimulatedProvider & { securedSigning?: SecuredSigningSimulator; signicat?: SignicatSimulator }> {
  return name === 'signicat' ? simulatedSignicat(options) : simulatedSecuredSigning(options);
}

async function simulatedSecuredSigning(options: SimulatedProviderOptions): Promise<SimulatedProvider & { securedSigning: SecuredSigningSimulator }> {
  const secret = options.secret ?? randomSecret();
  const apiKey = options.apiKey ?? 'simulated-api-key';
  const referer = options.referer ?? 'https://corp.example';
  const sim = await startSecuredSigningSimulator({ apiKey, apiSecret: secret, referer, oauth: true, smtp: options.smtp });
  const refreshToken = sim.issueTokens().refreshToken;
  const ok = (suffix: string) => sim.calls.filter((c) => c.path.endsWith(suffix) && c.status === 200).length;
  return {
    name: 'secured-signing', displayName: 'Secured Signing', secret, securedSigning: sim,
    configYaml: (secretRef) => `{environment: ${q(sim.url)}, oauth_url: ${q(sim.oauthUrl)}, api_key: ${apiKey}, api_secret: ${secretRef}, refresh_token: ${refreshToken}, referer: ${referer}}`,
    async signAll(request) {
      for (const reference of request.references) await sim.complete(reference);
    },
    async decline(request, reason) {
      sim.decline(request.references[0]!, reason);
    },
    async expire(request) {
      for (const reference of request.references) sim.expire(reference);
    },
    asked(request) {
      const doc = sim.documents.get(request.references[0]!);
      return { signers: doc?.signers.map((s) => s.Email) ?? [], returnAddresses: doc?.tags.recipients.map((r) => r.email) ?? [] };
    },
    mailsRefusals: false,
    async signedCopy(request, index) {
      const doc = sim.documents.get(request.references[index]!);
      if (!doc?.signedBytes) throw new Error(`simulator: document ${request.references[index]} is not signed`);
      return doc.signedBytes;
    },
    counts: () => ({ uploads: ok('/Document/Uploader') + sim.calls.filter((c) => c.path.includes('/Document/Uploader/') && c.status === 200).length, sends: ok('/SmartTag/Send'), downloads: sim.calls.filter((c) => c.path.includes('/Download/GetDocumentData/') && c.status === 200).length }),
    close: () => sim.close(),
  };
}

async function simulatedSignicat(options: SimulatedProviderOptions): Promise<SimulatedProvider & { signicat: SignicatSimulator }> {
  const secret = options.secret ?? randomSecret();
  const clientId = 'simulated-signicat-client';
  const sim = await startSignicatSimulator({ clients: { [clientId]: { secret } }, smtp: options.smtp });
  const orderOf = (request: SimulatedRequest) => {
    const order = request.providerOrderId ? sim.orders.get(request.providerOrderId) : undefined;
    if (!order) throw new Error(`simulator: no Signicat order ${request.providerOrderId}`);
    return order;
  };
  const apiGet = async (path: string) => {
    const response = await fetch(`${sim.url}${path}`, { headers: { Authorization: `Bearer ${sim.issueToken(clientId)}` } });
    if (!response.ok) throw new Error(`simulator: GET ${path} answered ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const counted = (method: string, pattern: RegExp, status: number) => sim.calls.filter((c) => c.method === method && pattern.test(c.path) && c.status === status).length;
  return {
    name: 'signicat', displayName: 'Signicat', secret, signicat: sim,
    configYaml: (secretRef) => `{type: signicat, base_url: ${q(sim.url)}, token_url: ${q(sim.tokenUrl)}, client_id: ${clientId}, client_secret: ${secretRef}, signature_methods: [{name: nbid-sign, type: SIGNED_STATEMENT}]}`,
    async signAll(request) {
      await sim.signAll(orderOf(request).id);
    },
    async decline(request, reason) {
      const order = orderOf(request);
      const next = order.tasks.find((t) => t.status === 'CREATED');
      if (!next) throw new Error(`simulator: order ${order.id} has nobody left to decline`);
      await sim.rejectTask(order.id, next.spec.id, reason);
    },
    async expire(request) {
      const order = orderOf(request);
      for (const task of order.tasks.filter((t) => t.status === 'CREATED')) await sim.expireTask(order.id, task.spec.id);
    },
    asked(request) {
      const order = orderOf(request);
      const notifications = [...order.spec.notifications, ...order.tasks.flatMap((t) => t.spec.notifications)];
      const invited = order.tasks.map((t) => t.spec.notifications.find((n) => n.id.startsWith('invite-'))?.recipient ?? '');
      const returns = notifications.filter((n) => n.type === 'EMAIL' && n.recipient.startsWith('returns+')).map((n) => n.recipient);
      return { signers: invited, returnAddresses: [...new Set(returns)] };
    },
    mailsRefusals: true,
    async signedCopy(request, index) {
      const order = orderOf(request);
      const packaged = order.packagingTasks.length > 0;
      return apiGet(packaged
        ? `/orders/${order.id}/packaging-tasks/package-${index + 1}/result`
        : `/orders/${order.id}/tasks/${order.tasks.at(-1)!.spec.id}/documents/doc-${index + 1}/result`);
    },
    counts: () => ({
      uploads: counted('POST', /\/documents$/, 201),
      sends: counted('POST', /\/orders$/, 201),
      downloads: counted('GET', /\/result$/, 200) + counted('GET', /\/archive-documents\//, 200),
    }),
    close: () => sim.close(),
  };
}
