// Secured Signing's side of the simulated provider (simulated-provider.ts): its simulator
// with OAuth on and a refresh token issued, the `provider:` mapping for it, the signers
// played per document reference, and the story the demo tells (secured-signing-story.ts).
import { securedSigningStory } from './secured-signing-story.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from './secured-signing/server.ts';
import { randomSecret, secretWriter } from './secret-writer.ts';
import type { SimulatedProvider, SimulatedProviderOptions } from './simulated-provider-types.ts';

const q = (value: string) => JSON.stringify(value);
/** Statuses after which nobody signs a document any more. */
const FINAL_STATUSES = ['Complete', 'Declined', 'Expired', 'Rejected'];

export async function simulatedSecuredSigning(options: SimulatedProviderOptions): Promise<SimulatedProvider & { securedSigning: SecuredSigningSimulator }> {
  const secret = options.secret ?? randomSecret();
  const apiKey = options.apiKey ?? 'simulated-api-key';
  const referer = options.referer ?? 'https://corp.example';
  const sim = await startSecuredSigningSimulator({ apiKey, apiSecret: secret, referer, oauth: true, smtp: options.smtp });
  const secrets = { 'ss-api-secret': secret, 'ss-refresh-token': sim.issueTokens().refreshToken };
  const ok = (suffix: string) => sim.calls.filter((c) => c.path.endsWith(suffix) && c.status === 200).length;
  return {
    name: 'secured-signing', displayName: 'Secured Signing', url: sim.url, secret, secrets, securedSigning: sim,
    configYaml(secretRef) {
      const ref = secretWriter(secretRef, secrets);
      return `{environment: ${q(sim.url)}, oauth_url: ${q(sim.oauthUrl)}, api_key: ${apiKey}, api_secret: ${ref('ss-api-secret')}, refresh_token: ${ref('ss-refresh-token')}, referer: ${referer}}`;
    },
    async signAll(request) {
      for (const reference of request.references) await sim.complete(reference);
    },
    async signNext(request) {
      for (const reference of request.references) await sim.signOne(reference);
      return sim.documents.get(request.references[0]!)?.signers.filter((s) => s.HasSigned).length ?? 0;
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
    async certificateProblem(request, index, bytes) {
      const certificate = sim.documents.get(request.references[index]!)?.certificate;
      if (!certificate) return `document ${request.references[index]} has no completion certificate`;
      return Buffer.from(certificate.bytes).equals(Buffer.from(bytes)) ? null : 'not the document\'s completion certificate';
    },
    counts: () => ({ uploads: ok('/Document/Uploader') + sim.calls.filter((c) => c.path.includes('/Document/Uploader/') && c.status === 200).length, sends: ok('/SmartTag/Send'), downloads: sim.calls.filter((c) => c.path.includes('/Download/GetDocumentData/') && c.status === 200).length }),
    // Each document is sent and signed on its own: a document is a request here.
    unsigned: () => [...sim.documents.values()]
      .filter((doc) => doc.sent && !FINAL_STATUSES.includes(doc.status))
      .map((doc) => ({ key: doc.reference, request: { providerOrderId: null, references: [doc.reference] } })),
    story: securedSigningStory(sim),
    close: () => sim.close(),
  };
}
