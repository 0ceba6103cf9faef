// Create-order validation: each case breaks one rule of a valid two-signer order and
// expects Signicat's answer — 400 with violations[{propertyPath, message}] at that path
// (and nothing created). A request that is not JSON at all gets a 400/415 problem.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, twoSignerOrder, uploadPdf, type SimWorld } from './signicat-fixtures.ts';

let world: SimWorld;
let urlWorld: SimWorld;
let documentRef: string;
beforeAll(async () => {
  world = await startWorld();
  urlWorld = await startWorld({ urlNotifications: true });
  documentRef = await uploadPdf(world.call);
});
afterAll(async () => {
  await world.sim.close();
  await urlWorld.sim.close();
});

type Order = Record<string, any>;

const cases: Array<[string, (o: Order) => void, string, RegExp]> = [
  ['tasks missing', (o) => delete o.tasks, 'tasks', /must not be empty/],
  ['tasks empty', (o) => { o.tasks = []; }, 'tasks', /must not be empty/],
  ['a task without id', (o) => delete o.tasks[0].id, 'tasks[0].id', /must not be null/],
  ['a blank task id', (o) => { o.tasks[1].id = ' '; }, 'tasks[1].id', /must not be blank/],
  ['two tasks with one id', (o) => { o.tasks[1].id = 'ann'; o.tasks[1].dependsOnTasks = []; }, 'tasks[1].id', /duplicate task id/],
  ['a task without documents', (o) => delete o.tasks[0].documents, 'tasks[0].documents', /must not be empty/],
  ['a document without id', (o) => delete o.tasks[0].documents[0].id, 'tasks[0].documents[0].id', /must not be null/],
  ['a document without action', (o) => delete o.tasks[0].documents[0].action, 'tasks[0].documents[0].action', /must not be null/],
  ['an unknown action', (o) => { o.tasks[0].documents[0].action = 'APPROVE'; }, 'tasks[0].documents[0].action', /SIGN, VIEW, UPLOAD/],
  ['a lower-case action', (o) => { o.tasks[0].documents[0].action = 'sign'; }, 'tasks[0].documents[0].action', /must be one of/],
  ['a document without source', (o) => delete o.tasks[1].documents[0].source, 'tasks[1].documents[0].source', /must not be null/],
  ['an unknown source', (o) => { o.tasks[0].documents[0].source = 'URL'; }, 'tasks[0].documents[0].source', /SESSION, UPLOAD/],
  ['a SESSION document without documentRef', (o) => delete o.tasks[0].documents[0].documentRef, 'tasks[0].documents[0].documentRef', /must not be null/],
  ['an unknown documentRef', (o) => { o.tasks[1].documents[0].documentRef = '01012024nothere'; }, 'tasks[1].documents[0].documentRef', /session data storage/],
  ['source UPLOAD for a document to sign', (o) => { o.tasks[0].documents[0].source = 'UPLOAD'; }, 'tasks[0].documents[0].source', /only with action UPLOAD/],
  ['signatureMethods missing on a signing task', (o) => delete o.tasks[0].signatureMethods, 'tasks[0].signatureMethods', /must not be empty/],
  ['a signature method without name', (o) => { o.tasks[0].signatureMethods = [{ type: 'SIGNED_STATEMENT' }]; }, 'tasks[0].signatureMethods[0].name', /must not be null/],
  ['an unknown signature method type', (o) => { o.tasks[0].signatureMethods[0].type = 'QUALIFIED'; }, 'tasks[0].signatureMethods[0].type', /AUTHENTICATION_BASED, SIGNED_STATEMENT, THIRD_PARTY/],
  ['an unknown language', (o) => { o.tasks[0].language = 'pt'; }, 'tasks[0].language', /must be one of/],
  ['a subject attribute without value', (o) => { o.tasks[0].subject = { id: 's1', attributes: [{ name: 'national-id' }] }; }, 'tasks[0].subject.attributes[0].value', /^Subject attribute value is required$/],
  ['dependsOnTasks naming an unknown task', (o) => { o.tasks[1].dependsOnTasks = ['carol']; }, 'tasks[1].dependsOnTasks[0]', /no task with id "carol"/],
  ['a task depending on itself', (o) => { o.tasks[1].dependsOnTasks = ['bob']; }, 'tasks[1].dependsOnTasks[0]', /itself/],
  ['a circle of dependencies', (o) => { o.tasks[0].dependsOnTasks = ['bob']; }, 'tasks[0].dependsOnTasks', /circular dependency between tasks: ann → bob → ann/],
  ['an unknown notification type', (o) => { o.tasks[0].notifications[0].type = 'FAX'; }, 'tasks[0].notifications[0].type', /EMAIL, SMS, URL/],
  ['an unknown triggerStatus', (o) => { o.tasks[0].notifications[0].schedule = [{ triggerStatus: 'SIGNED' }]; }, 'tasks[0].notifications[0].schedule[0].triggerStatus', /CREATED, COMPLETED, REJECTED, EXPIRED, FORWARDED, STARTED/],
  ['a notification without recipient', (o) => delete o.tasks[0].notifications[1].recipient, 'tasks[0].notifications[1].recipient', /must not be null/],
  ['an EMAIL recipient that is no address', (o) => { o.tasks[0].notifications[0].recipient = 'ann.lee'; }, 'tasks[0].notifications[0].recipient', /email address/],
  ['an EMAIL notification without header', (o) => delete o.tasks[0].notifications[0].header, 'tasks[0].notifications[0].header', /must not be null/],
  ['an SMS number without +CC', (o) => Object.assign(o.tasks[0].notifications[0], { type: 'SMS', recipient: '004791234567' }), 'tasks[0].notifications[0].recipient', /\+CC/],
  ['an SMS number in local form', (o) => Object.assign(o.tasks[0].notifications[0], { type: 'SMS', recipient: '91234567' }), 'tasks[0].notifications[0].recipient', /\+CC/],
  ['a URL notification Signicat has not enabled', (o) => Object.assign(o.tasks[0].notifications[1], { type: 'URL', recipient: 'https://corp.example/hook' }), 'tasks[0].notifications[1].type', /not enabled/],
  ['a negative delay', (o) => { o.tasks[0].notifications[0].schedule = [{ triggerStatus: 'CREATED', delay: { hours: -1 } }]; }, 'tasks[0].notifications[0].schedule[0].delay.hours', /greater than or equal to 0/],
  ['a redirect that is no URL', (o) => { o.tasks[0].onTaskComplete = 'thanks.html'; }, 'tasks[0].onTaskComplete', /valid URL/],
  ['daysUntilDeletion 0', (o) => { o.daysUntilDeletion = 0; }, 'daysUntilDeletion', /between 1 and 30/],
  ['daysUntilDeletion 31', (o) => { o.daysUntilDeletion = 31; }, 'daysUntilDeletion', /between 1 and 30/],
  ['daysUntilDeletion as text', (o) => { o.daysUntilDeletion = '7'; }, 'daysUntilDeletion', /integer/],
  ['an empty clientReference', (o) => { o.clientReference = ''; }, 'clientReference', /size must be between 1 and 255/],
  ['a 256-character clientReference', (o) => { o.clientReference = 'r'.repeat(256); }, 'clientReference', /size must be between 1 and 255/],
  ['a negative daysToLive', (o) => { o.tasks[0].daysToLive = -1; }, 'tasks[0].daysToLive', /greater than or equal to 0/],
  ['a packaging method other than pades', (o) => { o.packagingTasks = [{ id: 'p', method: 'xades', documents: [{ taskId: 'ann', documentIds: ['doc-1'] }] }]; }, 'packagingTasks[0].method', /\[pades\]/],
  ['packaging an unknown task', (o) => { o.packagingTasks = [{ id: 'p', method: 'pades', documents: [{ taskId: 'carol', documentIds: ['doc-1'] }] }]; }, 'packagingTasks[0].documents[0].taskId', /no task with id "carol"/],
  ['packaging an unknown document', (o) => { o.packagingTasks = [{ id: 'p', method: 'pades', documents: [{ taskId: 'ann', documentIds: ['doc-9'] }] }]; }, 'packagingTasks[0].documents[0].documentIds[0]', /no document "doc-9"/],
  ['a packaging notification on REJECTED', (o) => { o.packagingTasks = [{ id: 'p', method: 'pades', documents: [{ taskId: 'ann', documentIds: ['doc-1'] }], notifications: [{ id: 'n', type: 'SMS', recipient: '+4791234567', message: 'done', schedule: [{ triggerStatus: 'REJECTED' }] }] }]; }, 'packagingTasks[0].notifications[0].schedule[0].triggerStatus', /CREATED, COMPLETED/],
  ['a signing-order notification with a schedule', (o) => { o.notifications = [{ id: 'n', type: 'EMAIL', recipient: 'a@b.example', header: 'h', message: 'm', schedule: [{ triggerStatus: 'CREATED' }] }]; }, 'notifications[0].schedule', /no schedule/],
];

describe('POST /orders refuses with violations', () => {
  it.each(cases)('%s', async (_name, breakIt, propertyPath, message) => {
    const order = twoSignerOrder(documentRef);
    breakIt(order);
    const before = world.sim.orders.size;
    const answer = await world.call('POST', '/orders', { json: order });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ status: 400, title: 'Constraint Violation' });
    expect(answer.body.violations).toContainEqual({ propertyPath, message: expect.stringMatching(message) });
    expect(world.sim.orders.size).toBe(before);
  });

  it('lists every problem at once', async () => {
    const order = twoSignerOrder(documentRef);
    order.daysUntilDeletion = 99;
    delete order.tasks[0].documents[0].action;
    order.tasks[1].notifications[0].recipient = '+47 912';
    const answer = await world.call('POST', '/orders', { json: order });
    expect((answer.body.violations as Array<{ propertyPath: string }>).map((v) => v.propertyPath).sort()).toEqual([
      'daysUntilDeletion', 'tasks[0].documents[0].action', 'tasks[1].notifications[0].recipient',
    ]);
  });
});

describe('POST /orders accepts', () => {
  const accepted: Array<[string, (o: Order) => void]> = [
    ['an SMS number in +CC form', (o) => Object.assign(o.tasks[0].notifications[0], { type: 'SMS', recipient: '+4791234567' })],
    ['no clientReference', (o) => delete o.clientReference],
    ['daysToLive 0 (the default)', (o) => { o.tasks[0].daysToLive = 0; }],
    ['a handwritten signature method without name (as the SDK\'s test sends)', (o) => { o.tasks[0].signatureMethods = [{ handwritten: true }]; }],
    ['a VIEW-only task without signatureMethods', (o) => { o.tasks[1].documents[0].action = 'VIEW'; delete o.tasks[1].signatureMethods; }],
    ['an UPLOAD task (the signer provides the document)', (o) => { o.tasks[1].documents[0] = { id: 'doc-up', action: 'UPLOAD', source: 'UPLOAD' }; }],
    ['fields it does not know', (o) => { o.tasks[0].dialog = { title: 't', message: 'm' }; o.notificationTemplateParams = []; }],
  ];
  it.each(accepted)('%s', async (_name, change) => {
    const order = twoSignerOrder(documentRef);
    change(order);
    const answer = await world.call('POST', '/orders', { json: order });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  });

  it('a URL notification once Signicat enabled them', async () => {
    const order = twoSignerOrder(await uploadPdf(urlWorld.call));
    Object.assign(order.tasks[0].notifications[1], { type: 'URL', recipient: 'https://corp.example/hook' });
    expect((await urlWorld.call('POST', '/orders', { json: order })).status).toBe(201);
    order.tasks[0].notifications[1].recipient = 'corp.example/hook';
    const bad = await urlWorld.call('POST', '/orders', { json: order });
    expect(bad.body.violations).toContainEqual({ propertyPath: 'tasks[0].notifications[1].recipient', message: 'must be a valid URL' });
  });
});

describe('POST /orders refuses what is not a JSON order', () => {
  it('another media type with 415', async () => {
    const answer = await world.call('POST', '/orders', { json: JSON.stringify(twoSignerOrder(documentRef)), contentType: 'text/plain' });
    expect(answer.status).toBe(415);
  });

  it('broken JSON with 400 and no violations', async () => {
    const answer = await world.call('POST', '/orders', { json: '{"tasks": [' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ status: 400, detail: expect.stringMatching(/JSON parse error/) });
    expect(answer.body.violations).toBeUndefined();
  });

  it('a JSON array with 400', async () => {
    expect((await world.call('POST', '/orders', { json: [] })).status).toBe(400);
  });
});
