// What a signer's link (a task's signingUrl, or ${taskUrl} / ${signCodeUrl} in a
// notification) opens in the simulator: a page saying which order and task it is and the
// task's status — enough for someone trying the sandbox by hand to see that the link is
// real. Signing itself is done by the tests' controls (signTask…), not through this page.
// The path imitates Signicat's /std/docaction/<service>; the real form is unconfirmed.
import type { SimOrder, SimTask } from './orders.ts';

export const SIGNING_PATH = '/std/docaction/simulator';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The task a signing link names (request_id + task_id, or sign_code), if any. */
export function findLinkedTask(orders: Iterable<SimOrder>, query: URLSearchParams): { order: SimOrder; task: SimTask } | null {
  const signCode = query.get('sign_code');
  for (const order of orders) {
    for (const task of order.tasks) {
      const named = signCode !== null ? task.signCode === signCode : order.id === query.get('request_id') && task.id === query.get('task_id');
      if (named) return { order, task };
    }
  }
  return null;
}

export function signingPageHtml(found: { order: SimOrder; task: SimTask } | null): string {
  const body = found
    ? `<p>Signing order <code>${escapeHtml(found.order.id)}</code>, task <code>${escapeHtml(found.task.id)}</code>.</p>` +
      `<p>Status: <strong>${found.task.status}</strong></p>` +
      `<p>${found.task.documents.length} document(s). This is the signrelay sandbox: the simulator signs when it is told to.</p>`
    : '<p>This signing link is not valid (unknown order or task).</p>';
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signicat (simulated)</title></head><body><h1>Signicat Sign (simulated)</h1>${body}</body></html>`;
}
