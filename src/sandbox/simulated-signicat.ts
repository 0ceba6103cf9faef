// Signicat's side of the simulated provider (simulated-provider.ts): its simulator with one
// API client, the `provider:` mapping for it, the signers played task by task through the
// order signrelay created, the signed copy fetched as the API serves it, and the story
// the demo tells (signicat-story.ts).
import { signicatStory } from './signicat-story.ts';
import { startSignicatSimulator, type SignicatSimulator } from './signicat/server.ts';
import { randomSecret, secretWriter } from './secret-writer.ts';
import type { SimulatedProvider, SimulatedProviderOptions } from './simulated-provider-types.ts';
import type { SimulatedRequest } from './simulated-request.ts';

const q = (value: string) => JSON.stringify(value);
export const SIMULATED_CLIENT_ID = 'simulated-signicat-client';

export async function simulatedSignicat(options: SimulatedProviderOptions): Promise<SimulatedProvider & { signicat: SignicatSimulator }> {
  const secret = options.secret ?? randomSecret();
  const clientId = SIMULATED_CLIENT_ID;
  const secrets = { 'signicat-client-secret': secret };
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
    name: 'signicat', displayName: 'Signicat', url: sim.url, secret, secrets, signicat: sim,
    configYaml(secretRef) {
      const ref = secretWriter(secretRef, secrets);
      return `{type: signicat, base_url: ${q(sim.url)}, token_url: ${q(sim.tokenUrl)}, client_id: ${clientId}, client_secret: ${ref('signicat-client-secret')}, signature_methods: [{name: nbid-sign, type: SIGNED_STATEMENT}]}`;
    },
    async signAll(request) {
      await sim.signAll(orderOf(request).id);
    },
    async signNext(request) {
      const order = orderOf(request);
      // The first task still to sign: signTask refuses it while a task it depends on is not COMPLETED.
      const next = order.tasks.find((t) => t.status === 'CREATED');
      if (!next) throw new Error(`simulator: order ${order.id} has nobody left to sign`);
      await sim.signTask(order.id, next.spec.id);
      return order.tasks.filter((t) => t.status === 'COMPLETED').length;
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
    async certificateProblem(request, index, bytes) {
      // signrelay's JSON must hold, per task, exactly the events the API serves that are not about another document.
      const order = orderOf(request);
      const documentId = `doc-${index + 1}`;
      let evidence: { orderId?: unknown; documentId?: unknown; tasks?: Array<{ taskId?: unknown; events?: unknown }> };
      try {
        evidence = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof evidence;
      } catch {
        return 'not JSON';
      }
      if (evidence.orderId !== order.id || evidence.documentId !== documentId) return `names order ${String(evidence.orderId)} / ${String(evidence.documentId)}, not ${order.id} / ${documentId}`;
      for (const task of order.tasks) {
        const served = JSON.parse(Buffer.from(await apiGet(`/orders/${order.id}/tasks/${task.spec.id}/events`)).toString('utf8')) as Array<{ eventType: string; data?: string }>;
        const expected = served.filter((e) => !e.eventType.startsWith('DOCUMENT_') || e.data === documentId);
        const got = evidence.tasks?.find((t) => t.taskId === task.spec.id)?.events;
        if (JSON.stringify(got) !== JSON.stringify(expected)) return `the events of task ${task.spec.id} differ from the API's`;
      }
      return evidence.tasks?.length === order.tasks.length ? null : `${evidence.tasks?.length ?? 0} tasks, not ${order.tasks.length}`;
    },
    counts: () => ({
      uploads: counted('POST', /\/documents$/, 201),
      sends: counted('POST', /\/orders$/, 201),
      downloads: counted('GET', /\/result$/, 200) + counted('GET', /\/archive-documents\//, 200),
    }),
    // An order still open to its signers: every task waiting or signed, none refused, expired or withdrawn.
    unsigned: () => [...sim.orders.values()]
      .filter((order) => !order.deleted && order.tasks.some((t) => t.status === 'CREATED') && order.tasks.every((t) => t.status === 'CREATED' || t.status === 'COMPLETED'))
      .map((order) => ({ key: order.id, request: { providerOrderId: order.id, references: order.tasks[0]?.documents.map((d) => d.spec.documentRef ?? '') ?? [] } })),
    story: signicatStory(sim),
    close: () => sim.close(),
  };
}
