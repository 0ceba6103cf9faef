// Signicat's side of a chaos world (provider-side.ts), through the simulated provider
// (src/sandbox/simulated-signicat.ts): one API client (client credentials, so no refresh
// token to lose), its notifications mailed through the relay. Effects: an upload to
// session storage (POST …/documents answered 201), a send (POST …/orders answered 201)
// and a token answer (POST to the token endpoint answered 200). Each order is a request:
// its clientReference is the request's token, the record comes from the daemon's database.
// Every order mails the return address twice: its creation notice ("Signing order X
// created", which the daemon files as a `notice`, kept for the order id) and, once signed,
// the notice of the completed order (a `completion`).
import { LEGACY_TOKEN_PATH, TOKEN_PATH, type SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { startSimulatedProvider, type SimulatedRequest } from '../../src/sandbox/simulated-provider.ts';
import type { ProviderMail, ProviderSide, ProviderSideOptions, SendTally } from './provider-side.ts';

export const SIGNICAT_CLIENT_SECRET = 'chaos-signicat-secret-never-logged-5e27';
/**
 * provider.send_notice_wait_seconds in the chaos world (default 900). A kill between the
 * send's intent and the order's creation leaves a send no notice will ever confirm: the
 * daemon waits this long (of its own uptime) before it creates the order after all — with
 * the default the run would wait 15 minutes. Every notice here reaches the return mailbox
 * within milliseconds of its order, so a minute of a daemon's life is ample to read it, even
 * on a loaded machine where start-up alone takes seconds; a second order for a request
 * would still be caught as a duplicate.
 */
export const CHAOS_SEND_NOTICE_WAIT_SECONDS = 60;
/** The return address's notifications by what triggered them (order-body.ts): how the daemon files each. */
const OUTCOME_OF_TRIGGER: Record<string, ProviderMail['outcome']> = { CREATED: 'notice', ORDER_COMPLETED: 'completion' };

export async function signicatSide(options: ProviderSideOptions): Promise<ProviderSide> {
  const signing = await startSimulatedProvider('signicat', { secret: SIGNICAT_CLIENT_SECRET, smtp: options.smtp });
  const sim: SignicatSimulator | undefined = signing.signicat;
  if (!sim) throw new Error('the simulated provider for signicat has no Signicat simulator');
  const requestOf = (orderId: string): SimulatedRequest => ({
    providerOrderId: orderId,
    references: sim.orders.get(orderId)?.tasks[0]?.documents.map((d) => d.spec.documentRef ?? '') ?? [],
  });

  return {
    name: 'signicat', displayName: signing.displayName,
    configYaml: withSetting(signing.configYaml(() => '"${CHAOS_SIGNICAT_CLIENT_SECRET}"'), `send_notice_wait_seconds: ${CHAOS_SEND_NOTICE_WAIT_SECONDS}`),
    env: { CHAOS_SIGNICAT_CLIENT_SECRET: signing.secret },
    secrets: Object.values(signing.secrets),
    calls: sim.calls,
    effectOf(call, status) {
      if (call.method !== 'POST') return null;
      if (status === 201 && call.path.endsWith('/documents')) return 'upload';
      if (status === 201 && call.path.endsWith('/orders')) return 'send';
      if (status === 200 && (call.path === TOKEN_PATH || call.path === LEGACY_TOKEN_PATH)) return 'token';
      return null;
    },
    unsigned: () => signing.unsigned(),
    signAll: (request) => signing.signAll(request),
    signNext: async (request) => (await signing.signNext(request)) === (sim.orders.get(request.providerOrderId ?? '')?.tasks.length ?? 0),
    signedCopy: (request) => signing.signedCopy(request, 0).catch(() => undefined),
    certificateName: 'contract-signing-events.json',
    certificateProblem: (request, bytes) => signing.certificateProblem(request, 0, bytes),
    killFacts(kind) {
      // The order is stored before its answer is written, and nothing runs in between: the newest order is this answer's.
      const newest = [...sim.orders.values()].at(-1);
      return kind === 'send' && newest ? { references: [newest.id] } : {};
    },
    stumbleAfterSendKill(facts) {
      // The daemon's first look at the order (the lost send's check, or a task's status) answers 503.
      for (const orderId of facts.references ?? []) sim.failNext(`/orders/${orderId}`, { status: 503 });
    },
    sentCount: () => sim.orders.size,
    quiet: () => sim.settled(),
    sends(recordOfToken) {
      const sent: SendTally['sent'] = new Map();
      const problems: string[] = [];
      for (const order of sim.orders.values()) {
        const record = order.clientReference === undefined ? undefined : recordOfToken(order.clientReference);
        if (!record) {
          problems.push(`order ${order.id} has the client reference ${order.clientReference ?? '(none)'}, no request's token`);
          continue;
        }
        sent.set(record, [...(sent.get(record) ?? []), requestOf(order.id)]);
      }
      const refused = sim.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/orders') && c.status >= 400 && !c.fault);
      for (const c of refused) problems.push(`an order was refused: HTTP ${c.status} ${c.error ?? ''}`);
      return { sent, refusedAsSent: 0, problems };
    },
    orphanUploads: () => [...sim.documents.values()].filter((d) => d.usedAt === undefined).length,
    mails(recordOfToken) {
      const problems: string[] = [];
      const mails: ProviderMail[] = [];
      const perOrder = new Map<string, Record<string, number>>();
      for (const n of sim.notifications.filter((x) => x.channel === 'EMAIL' && /^returns\+/i.test(x.to))) {
        const counts = perOrder.get(n.orderId) ?? {};
        counts[n.trigger] = (counts[n.trigger] ?? 0) + 1;
        perOrder.set(n.orderId, counts);
        const outcome = OUTCOME_OF_TRIGGER[n.trigger];
        if (!outcome) problems.push(`order ${n.orderId}: an unexpected ${n.trigger} notice to the return address`);
        else if (!n.messageId) problems.push(`order ${n.orderId}: its ${n.trigger} notice was not mailed (${n.error ?? 'no Message-ID'})`);
        else {
          const reference = sim.orders.get(n.orderId)?.clientReference;
          mails.push({ messageId: n.messageId, record: reference === undefined ? undefined : recordOfToken(reference), outcome });
        }
      }
      for (const order of sim.orders.values()) {
        const counts = perOrder.get(order.id) ?? {};
        if ((counts.CREATED ?? 0) !== 1) problems.push(`order ${order.id}: ${counts.CREATED ?? 0} creation notices to the return address, not 1`);
        if ((counts.ORDER_COMPLETED ?? 0) > 1) problems.push(`order ${order.id}: ${counts.ORDER_COMPLETED} completion notices`);
      }
      return { mails, problems };
    },
    close: () => signing.close(),
  };
}

/** One more setting in a flow mapping (`{type: signicat, …}`). */
function withSetting(flowMapping: string, setting: string): string {
  if (!/^\{.*\}$/s.test(flowMapping.trim())) throw new Error(`expected the provider settings as a flow mapping, got ${flowMapping}`);
  return `${flowMapping.trim().slice(0, -1)}, ${setting}}`;
}
