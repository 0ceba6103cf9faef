// The demo's story in Signicat's words (see provider-story.ts), read from its simulator: a
// session document per upload, one signing order of tasks (one per signer, each after the
// one before), the invitations Signicat mails the signers and the notices it mails the
// return address, the signers signing task by task, the PAdES package gathering their
// signatures, and the call that downloaded it. A signing link is a bearer secret (whoever
// has it can sign): an invitation is told by who it went to and its subject, never its text.
import { callLine, type CompletionMail, type ProviderMail, type ProviderStory, type ToldAt } from './provider-story.ts';
import type { SimulatedRequest } from './simulated-request.ts';
import type { SentNotification } from './signicat/notifications.ts';
import type { SimOrder, SimTask } from './signicat/orders.ts';
import { LEGACY_TOKEN_PATH, TOKEN_PATH, type SignicatSimulator } from './signicat/server.ts';
import { SESSION_LIFETIME_MS } from './signicat/session-documents.ts';

const segment = encodeURIComponent;

/** Where signrelay hears from Signicat: the recipients of the order's own notifications. */
function returnAddresses(order: SimOrder): Set<string> {
  return new Set(order.spec.notifications.filter((n) => n.type === 'EMAIL').map((n) => n.recipient));
}

/** Who a task is for: the recipient of its invitation (an EMAIL on CREATED not to signrelay). */
function signerOf(order: SimOrder, task: SimTask): string {
  const ours = returnAddresses(order);
  return task.spec.notifications.find((n) => n.type === 'EMAIL' && !ours.has(n.recipient) && n.schedule.some((s) => s.trigger === 'CREATED'))?.recipient
    ?? task.spec.subjectId ?? `task ${task.id}`;
}

function tellMail(order: SimOrder, n: SentNotification): ProviderMail {
  const toSignrelay = returnAddresses(order).has(n.to);
  const subject = `"${n.subject ?? ''}"`;
  const told = n.channel === 'SMS' ? `Signicat sent an SMS with a signing link to ${n.to} (the link is not shown: it is the signer's alone)`
    : toSignrelay ? `Signicat mailed its notice from ${n.from ?? '?'} to ${n.to}: ${subject}`
      : n.trigger === 'CREATED' && n.taskId !== undefined ? `Signicat mailed an invitation to ${n.to}: ${subject}, with a signing link (not shown: the link is the signer's alone)`
        : `Signicat mailed ${n.to}: ${subject} (on ${n.trigger})`;
  return { at: n.at, to: n.to, toSignrelay, noun: toSignrelay ? 'notice' : n.channel === 'SMS' ? 'SMS' : 'invitation', messageId: n.messageId, told: n.error ? `${told}; not delivered: ${n.error}` : told };
}

/** Where a request's document is in the order: its id there, the package gathering its signatures, the last task that signed it. */
function placeOf(order: SimOrder, reference: string | undefined) {
  const documentId = order.tasks[0]?.documents.find((d) => d.spec.documentRef === reference)?.spec.id ?? '';
  const packaging = order.packagingTasks.find((p) => p.spec.parts.some((part) => part.documentIds.includes(documentId)));
  const lastTask = order.tasks.filter((t) => t.status === 'COMPLETED').at(-1);
  return { documentId, packaging, lastTask, lastSigned: lastTask?.documents.find((d) => d.spec.id === documentId) };
}

export function signicatStory(sim: SignicatSimulator): ProviderStory {
  const orderOf = (request: SimulatedRequest) => (request.providerOrderId ? sim.orders.get(request.providerOrderId) : undefined);
  const mailsOf = (order: SimOrder) => sim.notifications.filter((n) => n.orderId === order.id && n.channel !== 'URL');

  function completionOf(order: SimOrder): CompletionMail {
    const pending = order.tasks.filter((t) => t.status !== 'COMPLETED');
    if (pending.length > 0) return { problem: `order ${order.id} is not complete at the simulator (${pending.map((t) => `${t.id} ${t.status}`).join(', ')})` };
    const notice = mailsOf(order).find((n) => n.trigger === 'ORDER_COMPLETED' && returnAddresses(order).has(n.to));
    if (!notice) return { problem: `Signicat sent no notice of the completed order ${order.id} to the return address (the order asks for none)` };
    if (!notice.messageId) return { problem: `Signicat's notice of the completed order ${order.id} was not delivered: ${notice.error ?? 'no Message-ID'}` };
    return { messageId: notice.messageId };
  }

  /** A document's signed result and where the API serves it: first where its status points to (the archive, when archived). */
  function resultOf(order: SimOrder, reference: string | undefined): { bytes?: Uint8Array; paths: string[] } {
    const { documentId, packaging, lastTask, lastSigned } = placeOf(order, reference);
    const archived = (packaging ?? lastSigned)?.archiveId;
    const result = packaging ? `/orders/${segment(order.id)}/packaging-tasks/${segment(packaging.id)}/result`
      : lastTask ? `/orders/${segment(order.id)}/tasks/${segment(lastTask.id)}/documents/${segment(documentId)}/result` : null;
    const paths = [...(archived ? [`/archive-documents/${archived}`] : []), ...(result ? [result] : [])];
    return { bytes: packaging ? packaging.result : lastSigned?.result, paths };
  }

  return {
    stampedText(pages, originalPages) {
      // No tags: Signicat is told who signs in the order. The added page still shows who is asked.
      const lines = pages.flatMap((text, i) => (i < originalPages ? [] : text.split('\n').map((l) => l.trim()).filter((l) => /<[^<>\s]+@[^<>\s]+>/.test(l)).map((l) => `page ${i + 1}  ${l}`)));
      return { label: 'no tags (Signicat reads none: the order names the signers); the signature page lists', lines };
    },

    uploaded(documents) {
      const details: string[] = [];
      const token = sim.calls.find((c) => c.path.endsWith(TOKEN_PATH) || c.path.endsWith(LEGACY_TOKEN_PATH));
      if (token) {
        const scope = (token.body as { scope?: string } | undefined)?.scope;
        details.push(`simulator: POST ${token.path} → ${token.status} (access token by client credentials${scope ? `, scope ${scope}` : ''})`);
      }
      for (const doc of documents) {
        const session = doc.reference ? sim.documents.get(doc.reference) : undefined;
        if (!session) continue;
        const call = sim.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/documents') && c.status === 201 && c.at <= session.uploadedAt
          && (c.body as { size?: number } | undefined)?.size === session.bytes.length).at(-1);
        if (!call) continue;
        details.push(`simulator: POST ${call.path} → ${call.status} (${session.bytes.length} bytes, ${session.contentType}); kept ${SESSION_LIFETIME_MS / 60_000} minutes unless an order uses it`);
      }
      return { headline: `uploaded: Signicat session document ${documents.map((d) => d.reference ?? '?').join(', ')}`, details };
    },

    sent(request) {
      const order = orderOf(request);
      if (!order) return { headline: `sent for signing: recorded as sent (the simulator has no signing order ${request.providerOrderId ?? '(none recorded)'})`, details: [] };
      const call = sim.calls.find((c) => c.method === 'POST' && c.path.endsWith('/orders') && c.status === 201
        && (c.body as { clientReference?: unknown } | undefined)?.clientReference === order.clientReference);
      const details = order.tasks.map((t) => {
        const after = t.spec.dependsOn.length > 0 ? `, once ${t.spec.dependsOn.join(' and ')} signed (dependsOnTasks)` : '';
        return `task ${t.id}: ${signerOf(order, t)} signs ${t.documents.map((d) => d.spec.id).join(', ')}${after}`;
      });
      for (const p of order.packagingTasks) {
        details.push(`packaging task ${p.id}: ${p.spec.method === 'pades' ? 'PAdES' : p.spec.method}, one PDF with the signatures of ${p.spec.parts.map((part) => part.taskId).join(', ')}`);
      }
      for (const address of returnAddresses(order)) {
        const triggers = [...new Set(order.tasks.flatMap((t) => t.spec.notifications.filter((n) => n.recipient === address).flatMap((n) => n.schedule.map((s) => s.trigger))))];
        details.push(`notices to ${address}: on ${triggers.length ? `a task's ${triggers.join(', ')} and on ` : ''}the order's completion`);
      }
      const created = call ? `signing order ${order.id} created by the simulator (HTTP ${call.status})` : `recorded as sent (no POST /orders seen at the simulator for order ${order.id})`;
      return { headline: `sent for signing: ${created}`, details };
    },

    mails(request) {
      const order = orderOf(request);
      return order ? mailsOf(order).map((n) => tellMail(order, n)) : [];
    },

    mailing(request) {
      // A task its signer can open now has its CREATED notifications (the invitation, the order's notice) owed at once.
      const order = orderOf(request);
      if (!order || order.deleted) return false;
      const sent = mailsOf(order);
      return order.tasks
        .filter((t) => t.status === 'CREATED' && t.spec.dependsOn.every((dep) => order.tasks.find((d) => d.id === dep)?.status === 'COMPLETED'))
        .some((t) => t.spec.notifications.some((n) => n.type !== 'URL' && n.schedule.some((s) => s.trigger === 'CREATED' && s.delayMs === 0)
          && !sent.some((m) => m.taskId === t.id && m.notificationId === n.id && m.trigger === 'CREATED')));
    },

    mailed: () => sim.settled(),

    signingIntro: (who) => [
      `The signers sign: the Signicat simulator plays ${who}, one task after the other as the order says, and`,
      'mails Signicat\'s notice of the completed order to the return address; signrelay takes it from there',
    ],

    signed(request, since) {
      const order = orderOf(request);
      if (!order) return { steps: [], completion: { problem: `the simulator has no signing order ${request.providerOrderId ?? '(none recorded)'}` } };
      const completed = order.tasks.filter((t) => t.completedAt !== undefined && t.completedAt >= since);
      const steps: ToldAt[] = completed.map((t) => ({ at: t.completedAt!, headline: `simulator: ${t.signedBy ?? signerOf(order, t)} signed task ${t.id} of order ${order.id}`, details: [] }));
      const last = steps.at(-1);
      if (last && order.tasks.every((t) => t.status === 'COMPLETED')) {
        last.headline += '; the order is complete';
        for (const reference of request.references) {
          const { packaging, lastSigned, documentId } = placeOf(order, reference);
          const result = resultOf(order, reference);
          last.details.push(packaging
            ? `PAdES package ${packaging.id}: ${packaging.result?.length ?? 0} bytes (the stamped pages and a page naming every signer), served by GET …${result.paths[0] ?? '?'}`
            : `signed ${documentId}: ${lastSigned?.result?.length ?? 0} bytes, served by GET …${result.paths[0] ?? '?'}`);
        }
      }
      for (const n of mailsOf(order).filter((m) => m.at >= since)) steps.push({ at: n.at, headline: tellMail(order, n).told, details: [] });
      return { steps: steps.sort((a, b) => a.at - b.at), completion: completionOf(order) };
    },

    downloads(request, index) {
      const order = orderOf(request);
      if (!order) return [];
      const { paths } = resultOf(order, request.references[index]);
      const calls = sim.calls.filter((c) => c.method === 'GET' && paths.some((p) => c.path.endsWith(p)));
      const fetched = calls.find((c) => c.status === 200) ?? calls.at(-1);
      return fetched ? [callLine(fetched)] : [];
    },
    servedCopy(request, index) {
      const order = orderOf(request);
      return order ? resultOf(order, request.references[index]).bytes : undefined;
    },

    waitingFor: { upload: 'the upload to the Signicat simulator', send: 'the signing order at the Signicat simulator' },
    referenceName: 'the Signicat order id',
  };
}
