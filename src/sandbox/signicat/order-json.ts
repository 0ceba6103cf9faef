// The Sign API's answers about orders, as JSON: the order (the request echoed with its
// `id` and each task's `signingUrl`), a task's status (SDK TaskStatusInfo), a packaging
// task's status (PackagingTaskStatusInfo) and a task's events. URIs are absolute, under
// the API base the caller used. Unconfirmed: a result sent to the archive is pointed to
// by its archive URI (/archive-documents/{archiveId}) — the status has no other field
// that could carry the archiveId; a VIEW document has no resultUri.
import type { SimOrder, SimPackagingTask, SimTask } from './orders.ts';

const segment = encodeURIComponent;

export function orderJson(order: SimOrder): Record<string, unknown> {
  const requestTasks = Array.isArray(order.request.tasks) ? order.request.tasks as Array<Record<string, unknown>> : [];
  return {
    ...order.request,
    id: order.id,
    daysUntilDeletion: order.spec.daysUntilDeletion,
    tasks: order.tasks.map((task, i) => ({ ...requestTasks[i], id: task.id, signingUrl: task.signingUrl })),
  };
}

export function taskStatusJson(order: SimOrder, task: SimTask, apiBase: string): Record<string, unknown> {
  const taskUri = `${apiBase}/orders/${segment(order.id)}/tasks/${segment(task.id)}`;
  const readable = !order.deleted;
  return {
    orderId: order.id,
    taskId: task.id,
    taskStatus: task.status,
    ...(order.clientReference !== undefined ? { clientReference: order.clientReference } : {}),
    documents: task.documents.map((doc) => {
      const docUri = `${taskUri}/documents/${segment(doc.spec.id)}`;
      const resultUri = doc.archiveId ? `${apiBase}/archive-documents/${doc.archiveId}` : `${docUri}/result`;
      return {
        id: doc.spec.id,
        ...(readable && doc.original ? { originalUri: `${docUri}/original` } : {}),
        ...(readable && task.status === 'COMPLETED' && doc.result ? { resultUri } : {}),
      };
    }),
  };
}

export function packagingStatusJson(order: SimOrder, packaging: SimPackagingTask, apiBase: string): Record<string, unknown> {
  const resultUri = packaging.archiveId
    ? `${apiBase}/archive-documents/${packaging.archiveId}`
    : `${apiBase}/orders/${segment(order.id)}/packaging-tasks/${segment(packaging.id)}/result`;
  return {
    orderId: order.id,
    packagingTaskId: packaging.id,
    packagingTaskStatus: packaging.status,
    ...(packaging.status === 'COMPLETED' ? { packagingTaskResultUri: resultUri } : {}),
  };
}

/** GET /orders/{o}/tasks/{t}/events: `[{eventType, eventTime, data?}]`, oldest first. */
export function taskEventsJson(task: SimTask): unknown[] {
  return task.events.map((e) => ({ ...e }));
}
