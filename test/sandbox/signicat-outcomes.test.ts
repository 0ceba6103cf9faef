// What else can become of a signing order in the simulator: a signer rejects, a task
// expires (told so, or by daysToLive on the clock), the order is withdrawn (DELETE) or
// deleted daysUntilDeletion after its tasks died; SMS and URL notifications and a delayed
// reminder; PAdES packaging, archived results, and a packaging that fails.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { waitFor } from '../support/wait-for.ts';
import { RETURN_ADDRESS, startWorld, twoSignerOrder, uploadPdf, type SimWorld } from './signicat-fixtures.ts';

const DAY = 86_400_000;
let smtp: SmtpSink;
let world: SimWorld;
const hookCalls: URL[] = [];
let hookUrl: string;
const hook = createServer((req, res) => {
  hookCalls.push(new URL(req.url ?? '/', 'http://hook.invalid'));
  res.writeHead(200).end('ok');
});

beforeAll(async () => {
  smtp = await startSmtpSink();
  world = await startWorld({ smtp: { host: '127.0.0.1', port: smtp.port }, urlNotifications: true });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/signicat-hook`;
});
afterAll(async () => {
  await world.sim.close();
  await smtp.close();
  await new Promise<void>((resolve) => hook.close(() => resolve()));
});

async function createOrder(change: (order: Record<string, any>) => void = () => undefined): Promise<string> {
  const order = twoSignerOrder(await uploadPdf(world.call));
  change(order);
  const answer = await world.call('POST', '/orders', { json: order });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  await world.sim.settled();
  return answer.body.id as string;
}

const status = async (orderId: string, taskId: string) => (await world.call('GET', `/orders/${orderId}/tasks/${taskId}/status`)).body;

describe('a rejected task', () => {
  it('is REJECTED, without a result, and the return address is told', async () => {
    const orderId = await createOrder();
    const sent = await world.sim.rejectTask(orderId, 'ann', 'wrong salary');
    expect(sent).toEqual([expect.objectContaining({ trigger: 'REJECTED', to: RETURN_ADDRESS, messageId: expect.any(String) })]);
    expect(await status(orderId, 'ann')).toMatchObject({ taskStatus: 'REJECTED', documents: [{ id: 'doc-1' }] });
    expect((await status(orderId, 'ann')).documents[0].resultUri).toBeUndefined();
    expect((await world.call('GET', `/orders/${orderId}/tasks/ann/documents/doc-1/result`)).status).toBe(404);
    const events = (await world.call('GET', `/orders/${orderId}/tasks/ann/events`)).body as unknown as Array<Record<string, string>>;
    expect(events.at(-2)).toMatchObject({ eventType: 'TASK_REJECTED', data: 'wrong salary' });
    // The second signer is never invited, and cannot sign after a rejection.
    await expect(world.sim.signTask(orderId, 'bob')).rejects.toThrow(/depends on ann/);
    expect(world.sim.notifications.filter((n) => n.orderId === orderId && n.to === 'bob.stone@example.com')).toEqual([]);
  });
});

describe('an expired task', () => {
  it('expires when told to, and the return address is told', async () => {
    const orderId = await createOrder();
    const sent = await world.sim.expireTask(orderId, 'ann');
    expect(sent.map((n) => [n.trigger, n.to])).toEqual([['EXPIRED', RETURN_ADDRESS]]);
    expect((await status(orderId, 'ann')).taskStatus).toBe('EXPIRED');
    await expect(world.sim.signTask(orderId, 'ann')).rejects.toThrow(/EXPIRED/);
  });

  it('expires daysToLive after creation, on the clock, noticed by the next API call', async () => {
    const orderId = await createOrder((o) => { o.tasks[0].daysToLive = 2; });
    world.clock.advance(2 * DAY - 1);
    expect((await status(orderId, 'ann')).taskStatus).toBe('CREATED');
    world.clock.advance(1);
    expect((await status(orderId, 'ann')).taskStatus).toBe('EXPIRED');
    expect((await status(orderId, 'bob')).taskStatus).toBe('CREATED');
    await waitFor(() => world.sim.notifications.find((n) => n.orderId === orderId && n.trigger === 'EXPIRED'), { what: 'the EXPIRED notification' });
  });
});

describe('a withdrawn order (DELETE /orders/{id})', () => {
  it('is 204; then 404, its tasks DELETED, nothing left to sign or download', async () => {
    const orderId = await createOrder();
    await world.sim.signTask(orderId, 'ann');
    expect((await world.call('DELETE', `/orders/${orderId}`)).status).toBe(204);
    expect((await world.call('GET', `/orders/${orderId}`)).status).toBe(404);
    expect(await status(orderId, 'ann')).toEqual({ orderId, taskId: 'ann', taskStatus: 'DELETED', clientReference: 'tok42', documents: [{ id: 'doc-1' }] });
    expect((await status(orderId, 'bob')).taskStatus).toBe('DELETED');
    await expect(world.sim.signTask(orderId, 'bob')).rejects.toThrow(/deleted/);
    expect((await world.call('GET', `/orders/${orderId}/tasks/ann/documents/doc-1/result`)).status).toBe(404);
    expect((await world.call('GET', `/orders/${orderId}/tasks/ann/documents/doc-1/original`)).status).toBe(404);
    expect((await world.call('DELETE', `/orders/${orderId}`)).status).toBe(404);
  });

  it('is deleted by itself daysUntilDeletion after the last task\'s daysToLive', async () => {
    const orderId = await createOrder((o) => { o.daysUntilDeletion = 1; o.tasks[0].daysToLive = 1; o.tasks[1].daysToLive = 3; });
    world.clock.advance(4 * DAY - 1);
    expect((await world.call('GET', `/orders/${orderId}`)).status).toBe(200);
    world.clock.advance(1);
    expect((await world.call('GET', `/orders/${orderId}`)).status).toBe(404);
    expect((await status(orderId, 'bob')).taskStatus).toBe('DELETED');
  });
});

describe('notifications other than mail', () => {
  it('records an SMS (not sent anywhere) with its placeholders replaced', async () => {
    const orderId = await createOrder((o) => Object.assign(o.tasks[0].notifications[0], { type: 'SMS', recipient: '+4791234567', sender: 'Corp', message: 'Sign: ${signCodeUrl}' }));
    const task = world.sim.orders.get(orderId)!.tasks[0]!;
    expect(world.sim.notifications.filter((n) => n.orderId === orderId)).toEqual([
      expect.objectContaining({ channel: 'SMS', to: '+4791234567', from: 'Corp', text: `Sign: ${task.signCodeUrl}`, trigger: 'CREATED' }),
    ]);
    expect(smtp.messages.some((m) => m.envelope.rcptTo.some((r) => r.address === '+4791234567'))).toBe(false);
  });

  it('calls a URL notification with requestId, taskId and message', async () => {
    const orderId = await createOrder((o) => Object.assign(o.tasks[0].notifications[1], { type: 'URL', recipient: `${hookUrl}?source=signicat` }));
    await world.sim.signTask(orderId, 'ann');
    const call = hookCalls.find((u) => u.searchParams.get('requestId') === orderId)!;
    expect(call.pathname).toBe('/signicat-hook');
    expect(Object.fromEntries(call.searchParams)).toEqual({ source: 'signicat', requestId: orderId, taskId: 'ann', message: `Order ${orderId} (tok42) task ann is signed.` });
    expect(world.sim.notifications.find((n) => n.orderId === orderId && n.channel === 'URL')).toMatchObject({ status: 200 });
  });

  it('sends a delayed CREATED notification (a reminder) when it is due, and only while the task waits', async () => {
    const remind = (o: Record<string, any>) => o.tasks[0].notifications.push({
      id: 'reminder', type: 'EMAIL', recipient: 'ann.lee@example.com', header: 'Reminder', message: 'Still to sign: ${taskUrl}',
      schedule: [{ triggerStatus: 'CREATED', delay: { days: 3 } }],
    });
    const waiting = await createOrder(remind);
    const signed = await createOrder(remind);
    await world.sim.signTask(signed, 'ann');
    world.clock.advance(3 * DAY - 60_000);
    expect(await world.sim.tick()).toEqual([]);
    world.clock.advance(60_000);
    const sent = await world.sim.tick();
    expect(sent.map((n) => [n.orderId, n.notificationId])).toEqual([[waiting, 'reminder']]);
    await smtp.waitFor((m) => m.parsed?.subject === 'Reminder');
  });
});

describe('packaging and the archive', () => {
  const packaged = (sendToArchive: boolean) => (o: Record<string, any>) => {
    o.packagingTasks = [{
      id: 'pades-1', method: 'pades', sendToArchive,
      documents: [{ taskId: 'ann', documentIds: ['doc-1'] }, { taskId: 'bob', documentIds: ['doc-1'] }],
      notifications: [{ id: 'pkg-done', type: 'EMAIL', recipient: RETURN_ADDRESS, header: 'Packaged ${orderId}', message: 'PAdES ready', schedule: [{ triggerStatus: 'COMPLETED' }] }],
    }];
  };

  it('packages once every task is signed: status, result with both signers, its notification (no placeholders)', async () => {
    const orderId = await createOrder(packaged(false));
    const pkgStatus = () => world.call('GET', `/orders/${orderId}/packaging-tasks/pades-1/status`);
    expect((await pkgStatus()).body).toEqual({ orderId, packagingTaskId: 'pades-1', packagingTaskStatus: 'CREATED' });
    expect((await world.call('GET', `/orders/${orderId}/packaging-tasks/pades-1/result`)).status).toBe(404);
    await world.sim.signTask(orderId, 'ann');
    expect((await pkgStatus()).body.packagingTaskStatus).toBe('CREATED');
    const sent = await world.sim.signTask(orderId, 'bob');
    expect(sent).toContainEqual(expect.objectContaining({ packagingTaskId: 'pades-1', trigger: 'COMPLETED', subject: 'Packaged ${orderId}' }));
    const resultUri = `${world.sim.url}/orders/${orderId}/packaging-tasks/pades-1/result`;
    expect((await pkgStatus()).body).toEqual({ orderId, packagingTaskId: 'pades-1', packagingTaskStatus: 'COMPLETED', packagingTaskResultUri: resultUri });
    const result = await world.call('GET', `/orders/${orderId}/packaging-tasks/pades-1/result`);
    expect(result.headers.get('content-type')).toBe('application/pdf');
    const text = (await extractPdfText(result.bytes)).join('\n');
    expect(text).toContain('Signed by ann.lee@example.com via Signicat (simulated)');
    expect(text).toContain('Signed by bob.stone@example.com via Signicat (simulated)');
  });

  it('archives a packaging result (sendToArchive): the result URI is the archive\'s, which outlives the order', async () => {
    const orderId = await createOrder(packaged(true));
    await world.sim.signAll(orderId);
    const uri = (await world.call('GET', `/orders/${orderId}/packaging-tasks/pades-1/status`)).body.packagingTaskResultUri as string;
    expect(uri).toMatch(new RegExp(`^${world.sim.url}/archive-documents/\\d{8}[a-z0-9]{50}$`));
    const archiveId = uri.split('/').pop()!;
    expect((await world.call('DELETE', `/orders/${orderId}`)).status).toBe(204);
    const archived = await world.call('GET', `/archive-documents/${archiveId}`);
    expect(archived.status).toBe(200);
    expect(Buffer.from(archived.bytes).equals(Buffer.from(world.sim.archive.get(archiveId)!.bytes))).toBe(true);
    expect((await world.call('DELETE', `/archive-documents/${archiveId}`)).status).toBe(204);
    expect((await world.call('GET', `/archive-documents/${archiveId}`)).status).toBe(404);
  });

  it('archives a task document\'s result (sendResultToArchive): its resultUri is the archive\'s', async () => {
    const orderId = await createOrder((o) => { o.tasks[0].documents[0].sendResultToArchive = true; });
    await world.sim.signTask(orderId, 'ann');
    const resultUri = (await status(orderId, 'ann')).documents[0].resultUri as string;
    expect(resultUri).toMatch(/\/archive-documents\/\d{8}[a-z0-9]{50}$/);
    const fromArchive = await world.call('GET', resultUri.slice(world.sim.url.length));
    const fromOrder = await world.call('GET', `/orders/${orderId}/tasks/ann/documents/doc-1/result`);
    expect(Buffer.from(fromArchive.bytes).equals(Buffer.from(fromOrder.bytes))).toBe(true);
  });

  it('a failed packaging says FAILED and has no result', async () => {
    const orderId = await createOrder(packaged(false));
    world.sim.failPackaging(orderId, 'pades-1');
    await world.sim.signAll(orderId);
    expect((await world.call('GET', `/orders/${orderId}/packaging-tasks/pades-1/status`)).body.packagingTaskStatus).toBe('FAILED');
    expect((await world.call('GET', `/orders/${orderId}/packaging-tasks/pades-1/result`)).status).toBe(404);
  });
});
