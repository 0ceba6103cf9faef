// Validates a create-order request the way the Sign API answers it: every problem at once,
// each with its property path, or the order as the simulator will run it (order-spec.ts).
// Sources for each rule: the OpenAPI reference (tasks required and non-empty,
// clientReference 1–255 characters, daysUntilDeletion 1–30), the SDK (enums, field names,
// "Subject attribute value is required" at tasks[0].subject.attributes[0].value), the
// guide (SESSION documents name an uploaded documentRef; +CC phone numbers). Unconfirmed,
// chosen so a wrong request fails here rather than at Signicat: task `id` and document
// `id` required and unique; signatureMethods required (non-empty) on a task that signs,
// each with a `name` unless `handwritten`; source UPLOAD ⇔ action UPLOAD; dependsOnTasks
// must name other tasks of the order, without a cycle; daysToLive ≥ 0 (0 = default);
// packaging method `pades` only, packaging only SIGN documents of the order's tasks; a bad
// enum is a violation (a Jackson-based service may refuse it earlier, as a 400 without
// violations — a client must handle both).
import { FieldChecks, isObject, type Json } from './field-checks.ts';
import {
  DEFAULT_DAYS_TO_LIVE, DEFAULT_DAYS_UNTIL_DELETION, DOCUMENT_ACTIONS, DOCUMENT_SOURCES, LANGUAGES, PACKAGING_METHODS, PACKAGING_TRIGGERS,
  SIGNATURE_METHOD_TYPES, TASK_TRIGGERS, type DocumentSpec, type OrderSpec, type PackagingSpec, type TaskSpec,
} from './order-spec.ts';
import type { Violation } from './problems.ts';
import { validateNotifications } from './validate-notifications.ts';

export interface OrderRules {
  /** True when the session storage still holds this documentId. */
  documentExists(documentRef: string): boolean;
  urlNotifications: boolean;
}

export type OrderVerdict = { ok: true; order: OrderSpec } | { ok: false; violations: Violation[] };

function validateDocuments(checks: FieldChecks, task: Json, at: string, rules: OrderRules): DocumentSpec[] {
  const seen = new Set<string>();
  return checks.objects(task, 'documents', at, { min: 1 }).flatMap(({ item, at: docAt }) => {
    const id = checks.string(item, 'id', docAt, { required: true });
    if (id !== undefined && seen.has(id)) checks.add(`${docAt}id`, `duplicate document id "${id}" in this task`);
    if (id !== undefined) seen.add(id);
    const action = checks.oneOf(item, 'action', docAt, DOCUMENT_ACTIONS, true);
    const source = checks.oneOf(item, 'source', docAt, DOCUMENT_SOURCES, true);
    const documentRef = checks.string(item, 'documentRef', docAt, { required: source === 'SESSION' });
    const description = checks.string(item, 'description', docAt);
    const sendResultToArchive = checks.boolean(item, 'sendResultToArchive', docAt);
    if (source === 'UPLOAD' && action !== undefined && action !== 'UPLOAD') checks.add(`${docAt}source`, 'source UPLOAD goes only with action UPLOAD');
    if (action === 'UPLOAD' && source === 'SESSION') checks.add(`${docAt}action`, 'action UPLOAD takes source UPLOAD (the signer provides the document)');
    if (source === 'SESSION' && documentRef?.trim() && !rules.documentExists(documentRef)) {
      checks.add(`${docAt}documentRef`, 'no such document in session data storage (never uploaded, deleted, or unused for 30 minutes)');
    }
    if (!id || !action || !source) return [];
    return [{ id, action, source, sendResultToArchive, ...(documentRef ? { documentRef } : {}), ...(description ? { description } : {}) }];
  });
}

function validateSigning(checks: FieldChecks, task: Json, at: string, signs: boolean): void {
  const methods = checks.objects(task, 'signatureMethods', at, { min: signs ? 1 : 0 });
  for (const { item, at: methodAt } of methods) {
    const handwritten = checks.boolean(item, 'handwritten', methodAt);
    checks.string(item, 'name', methodAt, { required: !handwritten });
    checks.oneOf(item, 'type', methodAt, SIGNATURE_METHOD_TYPES, false);
  }
  const subject = task.subject;
  if (subject !== undefined && subject !== null) {
    if (!isObject(subject)) checks.add(`${at}subject`, 'must be an object');
    else {
      checks.string(subject, 'id', `${at}subject.`);
      for (const { item, at: attrAt } of checks.objects(subject, 'attributes', `${at}subject.`)) {
        checks.string(item, 'name', attrAt, { required: true });
        if (typeof item.value !== 'string' || item.value.trim() === '') checks.add(`${attrAt}value`, 'Subject attribute value is required');
      }
    }
  }
  checks.oneOf(task, 'language', at, LANGUAGES, false);
  for (const key of ['onTaskComplete', 'onTaskReject', 'onTaskPostpone']) checks.url(task, key, at);
}

function validateTask(checks: FieldChecks, task: Json, at: string, rules: OrderRules): TaskSpec | null {
  const id = checks.string(task, 'id', at, { required: true });
  const documents = validateDocuments(checks, task, at, rules);
  validateSigning(checks, task, at, documents.some((d) => d.action === 'SIGN'));
  const daysToLive = checks.integer(task, 'daysToLive', at, { min: 0 });
  const dependsOn = checks.array(task, 'dependsOnTasks', at).map((dep, j) => {
    if (typeof dep !== 'string' || dep.trim() === '') checks.add(`${at}dependsOnTasks[${j}]`, 'must not be blank');
    return String(dep);
  });
  const notifications = validateNotifications(checks, task, at, { triggers: TASK_TRIGGERS, urlNotifications: rules.urlNotifications });
  const subjectId = isObject(task.subject) && typeof task.subject.id === 'string' ? task.subject.id : undefined;
  if (!id) return null;
  return { id, documents, dependsOn, notifications, daysToLive: daysToLive || DEFAULT_DAYS_TO_LIVE, ...(subjectId ? { subjectId } : {}) };
}

/** Every dependsOnTasks entry names another task of the order, and no chain comes back round. */
function checkDependencies(checks: FieldChecks, tasks: Array<{ spec: TaskSpec; at: string }>): void {
  const byId = new Map(tasks.map((t) => [t.spec.id, t.spec]));
  for (const { spec, at } of tasks) {
    spec.dependsOn.forEach((dep, j) => {
      if (dep === spec.id) checks.add(`${at}dependsOnTasks[${j}]`, 'a task cannot depend on itself');
      else if (!byId.has(dep)) checks.add(`${at}dependsOnTasks[${j}]`, `no task with id "${dep}" in this signing order`);
    });
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...trail.slice(trail.indexOf(id)), id];
    state.set(id, 'visiting');
    for (const dep of byId.get(id)?.dependsOn ?? []) {
      const cycle = dep !== id && byId.has(dep) ? visit(dep, [...trail, id]) : null;
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return null;
  };
  for (const { spec, at } of tasks) {
    const cycle = visit(spec.id, []);
    if (cycle) checks.add(`${at}dependsOnTasks`, `circular dependency between tasks: ${cycle.join(' → ')}`);
  }
}

function validatePackaging(checks: FieldChecks, body: Json, tasks: TaskSpec[], rules: OrderRules): PackagingSpec[] {
  const seen = new Set<string>();
  return checks.objects(body, 'packagingTasks', '').flatMap(({ item, at }) => {
    const id = checks.string(item, 'id', at, { required: true });
    if (id !== undefined && seen.has(id)) checks.add(`${at}id`, `duplicate packaging task id "${id}"`);
    if (id !== undefined) seen.add(id);
    const method = checks.oneOf(item, 'method', at, PACKAGING_METHODS, true);
    const sendToArchive = checks.boolean(item, 'sendToArchive', at);
    const parts = checks.objects(item, 'documents', at, { min: 1 }).map(({ item: part, at: partAt }) => {
      const taskId = checks.string(part, 'taskId', partAt, { required: true }) ?? '';
      const task = tasks.find((t) => t.id === taskId);
      if (taskId && !task) checks.add(`${partAt}taskId`, `no task with id "${taskId}" in this signing order`);
      const documentIds = checks.array(part, 'documentIds', partAt, { min: 1 }).map((docId, k) => {
        const doc = task?.documents.find((d) => d.id === docId);
        if (task && !doc) checks.add(`${partAt}documentIds[${k}]`, `task "${taskId}" has no document "${String(docId)}"`);
        else if (doc && doc.action !== 'SIGN') checks.add(`${partAt}documentIds[${k}]`, `document "${doc.id}" is not signed (action ${doc.action}): nothing to package`);
        return String(docId);
      });
      return { taskId, documentIds };
    });
    const notifications = validateNotifications(checks, item, at, { triggers: PACKAGING_TRIGGERS, urlNotifications: rules.urlNotifications });
    return id && method ? [{ id, method, sendToArchive, parts, notifications }] : [];
  });
}

export function validateOrder(body: unknown, rules: OrderRules): OrderVerdict {
  const checks = new FieldChecks();
  if (!isObject(body)) return { ok: false, violations: [{ propertyPath: '', message: 'the signing order must be a JSON object' }] };
  const clientReference = checks.string(body, 'clientReference', '', { min: 1, max: 255 });
  const daysUntilDeletion = checks.integer(body, 'daysUntilDeletion', '', { min: 1, max: 30 });
  const tasks: Array<{ spec: TaskSpec; at: string }> = [];
  const ids = new Set<string>();
  for (const { item, at } of checks.objects(body, 'tasks', '', { min: 1 })) {
    const spec = validateTask(checks, item, at, rules);
    if (spec && ids.has(spec.id)) checks.add(`${at}id`, `duplicate task id "${spec.id}"`);
    else if (spec) tasks.push({ spec, at });
    if (spec) ids.add(spec.id);
  }
  checkDependencies(checks, tasks);
  const specs = tasks.map((t) => t.spec);
  const packagingTasks = validatePackaging(checks, body, specs, rules);
  const notifications = validateNotifications(checks, body, '', { triggers: null, urlNotifications: rules.urlNotifications });
  if (checks.violations.length > 0) return { ok: false, violations: checks.violations };
  return {
    ok: true,
    order: { daysUntilDeletion: daysUntilDeletion ?? DEFAULT_DAYS_UNTIL_DELETION, tasks: specs, packagingTasks, notifications, ...(clientReference !== undefined ? { clientReference } : {}) },
  };
}
