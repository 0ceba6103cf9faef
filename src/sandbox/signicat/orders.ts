// The simulator's signing orders and everything that happens to them: creation from a
// validated request (session documents copied in and kept), the task lifecycle the tests
// drive (sign, reject, expire — a task is signed only once every task it dependsOnTasks
// is COMPLETED: that is how the order of signers is expressed), PAdES packaging once all
// its tasks completed, archiving, withdrawal (DELETE: every task DELETED), and what time
// does (sweep: daysToLive expiry, delayed notifications, deletion daysUntilDeletion days
// after the last task's daysToLive). Notifications are handed to `deliver` when their
// trigger status is reached. Unconfirmed: a task's CREATED notifications (the signer's
// invitation) go out when it becomes available — at creation, or when the last task it
// depends on completes — so the second signer is not invited before the first signed; a
// task waiting for another cannot be rejected either (its signer cannot open it yet); a delayed notification is sent only if its task
// is still in the trigger status; packaging whose tasks were rejected or expired stays
// CREATED (failPackaging makes it FAILED); deleting an order marks completed tasks DELETED too.
import type { Archive } from './archive.ts';
import type { Json } from './field-checks.ts';
import { randomLowerAlnum, signicatId } from './ids.ts';
import type { Delivery, SentNotification } from './notifications.ts';
import type { DocumentSpec, NotificationSpec, OrderSpec, PackagingSpec, TaskSpec, TaskStatus } from './order-spec.ts';
import { orderPlaceholders, taskPlaceholders } from './placeholders.ts';
import { notFound } from './problems.ts';
import type { SessionDocuments } from './session-documents.ts';
import { packagedCopy, signedTaskCopy, type StoredFile } from './signed-copy.ts';

const DAY_MS = 86_400_000;

export type PackagingStatus = 'CREATED' | 'COMPLETED' | 'FAILED';

export interface TaskEvent {
  eventType: string;
  eventTime: string;
  data?: string;
}

export interface SimTaskDocument {
  spec: DocumentSpec;
  /** A copy of the session document (none for an UPLOAD document). */
  original?: StoredFile;
  result?: Uint8Array;
  archiveId?: string;
}

export interface SimTask {
  id: string;
  spec: TaskSpec;
  status: TaskStatus;
  createdAt: number;
  /** createdAt + daysToLive: a task still CREATED then expires. */
  expiresAt: number;
  signingUrl: string;
  signCode: string;
  signCodeUrl: string;
  documents: SimTaskDocument[];
  events: TaskEvent[];
  completedAt?: number;
  signedBy?: string;
  rejectReason?: string;
}

export interface SimPackagingTask {
  id: string;
  spec: PackagingSpec;
  status: PackagingStatus;
  result?: Uint8Array;
  archiveId?: string;
}

interface Owner {
  taskId?: string;
  packagingTaskId?: string;
}

interface PendingNotification extends Owner {
  dueAt: number;
  notification: NotificationSpec;
  trigger: string;
}

export interface SimOrder {
  id: string;
  clientReference?: string;
  spec: OrderSpec;
  /** The request as it came, echoed back by GET /orders/{id}. */
  request: Json;
  createdAt: number;
  tasks: SimTask[];
  packagingTasks: SimPackagingTask[];
  deleteAt: number;
  deleted: boolean;
  /** Delayed notifications not sent yet. */
  pending: PendingNotification[];
}

export interface OrdersOptions {
  now: () => number;
  sessions: SessionDocuments;
  archive: Archive;
  /** Where signers sign: ?request_id=…&task_id=… or ?sign_code=… is added. */
  signingPage: string;
  deliver(notification: NotificationSpec, delivery: Delivery): Promise<SentNotification>;
}

export class Orders {
  readonly byId = new Map<string, SimOrder>();
  private readonly options: OrdersOptions;

  constructor(options: OrdersOptions) {
    this.options = options;
  }

  /** A new order; `notified` settles when its CREATED notifications are delivered. */
  create(spec: OrderSpec, request: Json): { order: SimOrder; notified: Promise<SentNotification[]> } {
    const now = this.options.now();
    const id = signicatId(now);
    const tasks = spec.tasks.map((taskSpec) => this.newTask(id, taskSpec, now));
    const order: SimOrder = {
      id, spec, request, createdAt: now, tasks, deleted: false, pending: [],
      packagingTasks: spec.packagingTasks.map((p) => ({ id: p.id, spec: p, status: 'CREATED' })),
      deleteAt: Math.max(...tasks.map((t) => t.expiresAt)) + spec.daysUntilDeletion * DAY_MS,
      ...(spec.clientReference !== undefined ? { clientReference: spec.clientReference } : {}),
    };
    this.byId.set(id, order);
    const sends = [
      ...tasks.filter((t) => t.spec.dependsOn.length === 0).flatMap((t) => this.reach(order, 'CREATED', { taskId: t.id }, t.spec.notifications)),
      ...order.packagingTasks.flatMap((p) => this.reach(order, 'CREATED', { packagingTaskId: p.id }, p.spec.notifications)),
    ];
    return { order, notified: Promise.all(sends) };
  }

  /** An order the API can still see: unknown and deleted ones are 404. */
  get(id: string): SimOrder {
    const order = this.byId.get(id);
    if (!order || order.deleted) throw notFound(`Signing order ${id}`);
    return order;
  }

  /** A task of an order, deleted orders included (their tasks report DELETED). */
  task(orderId: string, taskId: string): { order: SimOrder; task: SimTask } {
    const order = this.byId.get(orderId);
    if (!order) throw notFound(`Signing order ${orderId}`);
    const task = order.tasks.find((t) => t.id === taskId);
    if (!task) throw notFound(`Task ${taskId} of signing order ${orderId}`);
    return { order, task };
  }

  /** DELETE /orders/{id}: withdrawn; its signers can no longer sign. */
  remove(id: string): void {
    this.markDeleted(this.get(id));
  }

  async sign(orderId: string, taskId: string, signer?: string): Promise<SentNotification[]> {
    const { order, task } = this.openTask(orderId, taskId, 'sign');
    const at = this.options.now();
    const who = signer ?? signerOf(task);
    for (const doc of task.documents) {
      if (doc.spec.action === 'VIEW') {
        task.events.push(event('DOCUMENT_VIEWED', at, doc.spec.id));
        continue;
      }
      doc.result = await signedTaskCopy(doc.original, { orderId, taskId, documentId: doc.spec.id, signer: who, at });
      task.events.push(event(doc.spec.action === 'UPLOAD' ? 'DOCUMENT_UPLOADED' : 'DOCUMENT_SIGNED', at, doc.spec.id));
    }
    // Drawing the pages yields: the order may have been deleted meanwhile.
    if (task.status !== 'CREATED') throw new Error(`simulator: task ${taskId} became ${task.status} while it was being signed`);
    for (const doc of task.documents) if (doc.result && doc.spec.sendResultToArchive) doc.archiveId = this.options.archive.put(orderId, doc.result);
    Object.assign(task, { status: 'COMPLETED', completedAt: at, signedBy: who });
    task.events.push(event('TASK_COMPLETED', at));
    const sends = this.reach(order, 'COMPLETED', { taskId }, task.spec.notifications);
    for (const next of order.tasks.filter((t) => t.status === 'CREATED' && t.spec.dependsOn.includes(taskId) && waitingFor(order, t).length === 0)) {
      sends.push(...this.reach(order, 'CREATED', { taskId: next.id }, next.spec.notifications));
    }
    sends.push(...await this.packageReady(order));
    if (order.tasks.every((t) => t.status === 'COMPLETED')) {
      sends.push(...order.spec.notifications.map((n) => this.send(order, n, 'ORDER_COMPLETED', {})));
    }
    return Promise.all(sends);
  }

  /** Signs every task that can be signed, in dependency order, until none is left. */
  async signAll(orderId: string): Promise<SentNotification[]> {
    const sent: SentNotification[] = [];
    for (;;) {
      const order = this.get(orderId);
      const next = order.tasks.find((t) => t.status === 'CREATED' && waitingFor(order, t).length === 0);
      if (!next) return sent;
      sent.push(...await this.sign(orderId, next.id));
    }
  }

  async reject(orderId: string, taskId: string, reason?: string): Promise<SentNotification[]> {
    const { order, task } = this.openTask(orderId, taskId, 'reject');
    task.status = 'REJECTED';
    if (reason !== undefined) task.rejectReason = reason;
    task.events.push(event('TASK_REJECTED', this.options.now(), reason));
    return Promise.all(this.reach(order, 'REJECTED', { taskId }, task.spec.notifications));
  }

  async expire(orderId: string, taskId: string): Promise<SentNotification[]> {
    const { order, task } = this.task(orderId, taskId);
    if (order.deleted || task.status !== 'CREATED') throw new Error(`simulator: task ${taskId} is ${task.status}; only a CREATED task expires`);
    task.status = 'EXPIRED';
    return Promise.all(this.reach(order, 'EXPIRED', { taskId }, task.spec.notifications));
  }

  failPackaging(orderId: string, packagingTaskId: string): void {
    const packaging = this.get(orderId).packagingTasks.find((p) => p.id === packagingTaskId);
    if (!packaging || packaging.status !== 'CREATED') throw new Error(`simulator: no CREATED packaging task ${packagingTaskId} in order ${orderId}`);
    packaging.status = 'FAILED';
  }

  /** What time does: expiry, delayed notifications, deletion. Run before every API call. */
  sweep(): Promise<SentNotification[]> {
    const now = this.options.now();
    const sends: Array<Promise<SentNotification>> = [];
    for (const order of this.byId.values()) {
      if (order.deleted) continue;
      for (const task of order.tasks.filter((t) => t.status === 'CREATED' && now >= t.expiresAt)) {
        task.status = 'EXPIRED';
        sends.push(...this.reach(order, 'EXPIRED', { taskId: task.id }, task.spec.notifications));
      }
      const due = order.pending.filter((p) => p.dueAt <= now);
      order.pending = order.pending.filter((p) => p.dueAt > now);
      for (const entry of due) if (this.statusOf(order, entry) === entry.trigger) sends.push(this.send(order, entry.notification, entry.trigger, entry));
      if (now >= order.deleteAt) this.markDeleted(order);
    }
    return Promise.all(sends);
  }

  private newTask(orderId: string, spec: TaskSpec, now: number): SimTask {
    const signCode = randomLowerAlnum(24);
    const documents = spec.documents.map((docSpec): SimTaskDocument => {
      if (docSpec.source !== 'SESSION' || docSpec.documentRef === undefined) return { spec: docSpec };
      this.options.sessions.markUsed(docSpec.documentRef);
      const stored = this.options.sessions.get(docSpec.documentRef);
      return { spec: docSpec, original: { bytes: stored.bytes.slice(), contentType: stored.contentType } };
    });
    return {
      id: spec.id, spec, status: 'CREATED', createdAt: now, expiresAt: now + spec.daysToLive * DAY_MS, signCode, documents,
      signingUrl: `${this.options.signingPage}?request_id=${encodeURIComponent(orderId)}&task_id=${encodeURIComponent(spec.id)}`,
      signCodeUrl: `${this.options.signingPage}?sign_code=${signCode}`,
      events: [event('TASK_CREATED', now)],
    };
  }

  /** A task its signer can act on now: CREATED, of a live order, with every task it depends on COMPLETED. */
  private openTask(orderId: string, taskId: string, action: string): { order: SimOrder; task: SimTask } {
    const { order, task } = this.task(orderId, taskId);
    if (order.deleted) throw new Error(`simulator: cannot ${action} task ${taskId}: order ${orderId} was deleted`);
    if (task.status !== 'CREATED') throw new Error(`simulator: cannot ${action} task ${taskId}: it is ${task.status}`);
    const waiting = waitingFor(order, task);
    if (waiting.length > 0) throw new Error(`simulator: cannot ${action} task ${taskId} yet: it depends on ${waiting.join(', ')}, not COMPLETED`);
    return { order, task };
  }

  /** Packaging tasks whose every task is COMPLETED get their PAdES result. */
  private async packageReady(order: SimOrder): Promise<Array<Promise<SentNotification>>> {
    const sends: Array<Promise<SentNotification>> = [];
    for (const packaging of order.packagingTasks.filter((p) => p.status === 'CREATED')) {
      const parts = packaging.spec.parts.map((part) => ({ part, task: order.tasks.find((t) => t.id === part.taskId)! }));
      if (!parts.every(({ task }) => task.status === 'COMPLETED')) continue;
      const originals = new Map<string, StoredFile>();
      for (const { part, task } of parts) {
        for (const doc of task.documents.filter((d) => part.documentIds.includes(d.spec.id))) {
          if (doc.original) originals.set(doc.spec.documentRef ?? `${task.id}/${doc.spec.id}`, doc.original);
        }
      }
      const signers = [...new Set(parts.map(({ task }) => task.signedBy ?? task.id))];
      packaging.result = await packagedCopy([...originals.values()], { orderId: order.id, packagingTaskId: packaging.id, signers, at: this.options.now() });
      packaging.status = 'COMPLETED';
      if (packaging.spec.sendToArchive) packaging.archiveId = this.options.archive.put(order.id, packaging.result);
      sends.push(...this.reach(order, 'COMPLETED', { packagingTaskId: packaging.id }, packaging.spec.notifications));
    }
    return sends;
  }

  /** The notifications scheduled on `trigger`: sent now, or queued for their delay. */
  private reach(order: SimOrder, trigger: string, owner: Owner, notifications: NotificationSpec[]): Array<Promise<SentNotification>> {
    const sends: Array<Promise<SentNotification>> = [];
    for (const notification of notifications) {
      for (const when of notification.schedule.filter((s) => s.trigger === trigger)) {
        if (when.delayMs === 0) sends.push(this.send(order, notification, trigger, owner));
        else order.pending.push({ ...owner, dueAt: this.options.now() + when.delayMs, notification, trigger });
      }
    }
    return sends;
  }

  private send(order: SimOrder, notification: NotificationSpec, trigger: string, owner: Owner): Promise<SentNotification> {
    const task = owner.taskId === undefined ? undefined : order.tasks.find((t) => t.id === owner.taskId);
    task?.events.push(event('NOTIFICATION_SENT', this.options.now(), notification.id));
    const placeholders = task ? taskPlaceholders(order, task) : owner.packagingTaskId !== undefined ? null : orderPlaceholders(order);
    return this.options.deliver(notification, { orderId: order.id, trigger, placeholders, ...owner });
  }

  private statusOf(order: SimOrder, owner: Owner): string | undefined {
    if (owner.taskId !== undefined) return order.tasks.find((t) => t.id === owner.taskId)?.status;
    return order.packagingTasks.find((p) => p.id === owner.packagingTaskId)?.status;
  }

  private markDeleted(order: SimOrder): void {
    order.deleted = true;
    order.pending = [];
    for (const task of order.tasks) task.status = 'DELETED';
  }
}

function event(eventType: string, at: number, data?: string): TaskEvent {
  return { eventType, eventTime: new Date(at).toISOString(), ...(data !== undefined ? { data } : {}) };
}

function waitingFor(order: SimOrder, task: SimTask): string[] {
  return task.spec.dependsOn.filter((dep) => order.tasks.find((t) => t.id === dep)?.status !== 'COMPLETED');
}

/** Who the signed page names: the signer's invitation address, else the subject's id, else the task. */
function signerOf(task: SimTask): string {
  const invitation = task.spec.notifications.find((n) => n.type === 'EMAIL' && n.schedule.some((s) => s.trigger === 'CREATED'));
  return invitation?.recipient ?? task.spec.subjectId ?? `task ${task.id}`;
}
