// Secured Signing's side of a chaos world (provider-side.ts): its simulator with OAuth on,
// a refresh token issued and completion mails through the relay; effects are an upload
// (Document/Uploader), a send (SmartTag/Send) and a token answer (a refresh that rotates
// the refresh token), each answered 200. Its simulator is started here rather than through
// the simulated provider (src/sandbox/simulated-secured-signing.ts) because the chaos run
// sets the access-token lifetime (`--token-lifetime`), which that face does not take;
// the signers are played the same way (every sent document still open is completed).
import { createHash } from 'node:crypto';
import { startSecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import type { SimulatedRequest } from '../../src/sandbox/simulated-provider.ts';
import type { ProviderSide, ProviderSideOptions, SendTally } from './provider-side.ts';

export const SS_API_KEY = 'chaos-api-key-0007';
export const SS_API_SECRET = 'chaos-api-secret-never-logged-41d9';
export const SS_REFERER = 'https://corp.example';
/** Statuses after which nobody signs a document any more. */
const FINAL_STATUSES = ['Complete', 'Declined', 'Expired', 'Rejected'];

interface SendBody {
  DocumentReferences?: unknown;
  PackageName?: unknown;
}

export async function securedSigningSide(options: ProviderSideOptions): Promise<ProviderSide> {
  const sim = await startSecuredSigningSimulator({
    apiKey: SS_API_KEY, apiSecret: SS_API_SECRET, referer: SS_REFERER, oauth: true,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds, smtp: options.smtp,
  });
  const { refreshToken } = sim.issueTokens();
  const env = { CHAOS_SS_API_SECRET: SS_API_SECRET, CHAOS_SS_REFRESH_TOKEN: refreshToken };
  const secrets = [SS_API_SECRET, refreshToken];
  const sendCalls = () => sim.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/SmartTag/Send'));
  const referencesOf = (body: unknown) => {
    const refs = (body as SendBody | undefined)?.DocumentReferences;
    return Array.isArray(refs) ? refs.map(String) : [];
  };

  return {
    name: 'secured-signing', displayName: 'Secured Signing',
    configYaml: `{environment: "${sim.url}", oauth_url: "${sim.oauthUrl}", api_key: ${SS_API_KEY}, api_secret: "\${CHAOS_SS_API_SECRET}", refresh_token: "\${CHAOS_SS_REFRESH_TOKEN}", referer: ${SS_REFERER}}`,
    env,
    secrets,
    calls: sim.calls,
    effectOf(call, status) {
      if (status !== 200 || call.method !== 'POST') return null;
      if (call.path.includes('/Document/Uploader')) return 'upload';
      if (call.path.endsWith('/SmartTag/Send')) return 'send';
      if (call.path.endsWith('/oauth2/token')) return 'token';
      return null;
    },
    // One document per request here: the document is the request.
    unsigned: () => [...sim.documents.values()]
      .filter((doc) => doc.sent && !FINAL_STATUSES.includes(doc.status))
      .map((doc) => ({ key: doc.reference, request: { providerOrderId: null, references: [doc.reference] } })),
    async signAll(request) {
      for (const reference of request.references) await sim.complete(reference);
    },
    async signNext(request) {
      for (const reference of request.references) await sim.signOne(reference);
      return request.references.every((reference) => sim.documents.get(reference)?.status === 'Complete');
    },
    signedCopy: async (request) => sim.documents.get(request.references[0] ?? '')?.signedBytes,
    certificateName: 'contract-certificate.pdf',
    async certificateProblem(request, bytes) {
      const certificate = sim.documents.get(request.references[0] ?? '')?.certificate;
      if (!certificate) return 'the document has no completion certificate at the simulator';
      return Buffer.from(certificate.bytes).equals(Buffer.from(bytes)) ? null : 'not the document\'s completion certificate';
    },
    killFacts(kind, call) {
      // The body is parsed before the answer is written: the kill sees what was sent.
      if (kind === 'send') return { references: referencesOf(call.body) };
      const spent = (call.body as { refresh_token?: unknown } | undefined)?.refresh_token;
      if (kind === 'token' && typeof spent === 'string') return { spentRefreshToken: createHash('sha256').update(spent).digest('hex') };
      return {};
    },
    refreshChainLost: (stored) => ![...stored, env.CHAOS_SS_REFRESH_TOKEN].some((token) => sim.oauth.isRefreshTokenValid(token)),
    reauthorize() {
      const { refreshToken: next } = sim.issueTokens();
      env.CHAOS_SS_REFRESH_TOKEN = next;
      secrets.push(next);
    },
    stumbleAfterSendKill(facts) {
      for (const ref of facts.references ?? []) sim.failNext(`/Document/Status/${ref}`, { status: 503 });
    },
    sentCount: () => [...sim.documents.values()].filter((d) => d.sent).length,
    quiet: async () => undefined, // complete() returns once its mail is handed over
    sends() {
      // The record is in the package name (`Contract for RITM…`); the database is not needed.
      const sent: SendTally['sent'] = new Map();
      const problems: string[] = [];
      for (const call of sendCalls().filter((c) => c.status === 200)) {
        const packageName = String((call.body as SendBody | undefined)?.PackageName);
        const record = /\b(RITM\d+)\b/.exec(packageName)?.[1];
        if (!record) {
          problems.push(`a successful send names no record: package ${packageName}`);
          continue;
        }
        const request: SimulatedRequest = { providerOrderId: null, references: referencesOf(call.body) };
        sent.set(record, [...(sent.get(record) ?? []), request]);
      }
      const refused = sendCalls().filter((c) => c.status >= 400 && /already been sent/.test(c.error ?? ''));
      if (refused.length > 0) problems.push(`${refused.length} SmartTag/Send call(s) refused because the document had already been sent`);
      for (const c of sendCalls().filter((c) => c.status >= 400 && !/already been sent/.test(c.error ?? ''))) problems.push(`a SmartTag/Send failed: HTTP ${c.status} ${c.error ?? ''}`);
      return { sent, refusedAsSent: refused.length, problems };
    },
    orphanUploads: () => [...sim.documents.values()].filter((d) => !d.sent).length,
    mails(_recordOfToken, sent) {
      const recordOfReference = new Map([...sent].flatMap(([record, requests]) => requests.flatMap((r) => r.references.map((ref) => [ref, record] as const))));
      const problems: string[] = [];
      const perReference = new Map<string, number>();
      for (const m of sim.mails) perReference.set(m.reference, (perReference.get(m.reference) ?? 0) + 1);
      for (const [ref, n] of perReference) if (n > 1) problems.push(`the simulator mailed ${n} completion mails for ${ref}`);
      return { mails: sim.mails.map((m) => ({ messageId: m.messageId, record: recordOfReference.get(m.reference), outcome: 'completion' as const })), problems };
    },
    close: () => sim.close(),
  };
}
