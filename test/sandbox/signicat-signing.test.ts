// The happy path through the simulated Sign API with two signers in order: the order is
// created, the first signer's invitation is mailed (placeholders replaced), the second
// task refuses to be signed before the first, results come only once a task is
// completed, the completion notices reach the return address, and the signed copies are
// the uploaded PDF with a "signed … via Signicat (simulated)" page. Mail goes over real
// SMTP to the test sink.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDFDocument } from 'pdf-lib';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { contractPdf, RETURN_ADDRESS, startWorld, twoSignerOrder, uploadPdf, type SimWorld } from './signicat-fixtures.ts';

let smtp: SmtpSink;
let world: SimWorld;
let original: Uint8Array;
let orderId: string;
let created: Record<string, any>;

beforeAll(async () => {
  smtp = await startSmtpSink();
  world = await startWorld({ smtp: { host: '127.0.0.1', port: smtp.port } });
  original = await contractPdf();
  const order = twoSignerOrder(await uploadPdf(world.call, original));
  order.notifications = [{ id: 'all-done', type: 'EMAIL', recipient: RETURN_ADDRESS, header: 'Order ${orderId} complete', message: 'All signed for ${clientRef}: ${taskUrl}' }];
  const answer = await world.call('POST', '/orders', { json: order });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  created = answer.body;
  orderId = created.id as string;
});
afterAll(async () => {
  await world.sim.close();
  await smtp.close();
});

const to = (address: string) => (m: { envelope: { rcptTo: Array<{ address: string }> } }) => m.envelope.rcptTo.some((r) => r.address === address);
const pageTexts = async (bytes: Uint8Array) => (await extractPdfText(bytes)).join('\n');

describe('a two-signer order', () => {
  it('answers 201 with the order: id, Location, each task with its signingUrl', () => {
    expect(orderId).toMatch(/^\d{8}[a-z0-9]{50}$/);
    expect(created).toMatchObject({ clientReference: 'tok42', daysUntilDeletion: 7, tasks: [{ id: 'ann' }, { id: 'bob', dependsOnTasks: ['ann'] }] });
    expect(created.tasks[0].signingUrl).toMatch(/\/std\/docaction\/simulator\?request_id=.+&task_id=ann$/);
    expect(world.sim.calls.find((c) => c.method === 'POST' && c.path === '/enterprise/sign/orders' && c.status === 201)).toBeDefined();
  });

  it('GET /orders/{id} answers the same order', async () => {
    const answer = await world.call('GET', `/orders/${orderId}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(created);
  });

  it('mails the first signer\'s invitation at once, with the placeholders replaced, and not yet the second\'s', async () => {
    const invite = await smtp.waitFor(to('ann.lee@example.com'));
    const task = world.sim.orders.get(orderId)!.tasks[0]!;
    expect(invite.parsed?.subject).toBe('Please sign tok42');
    expect(invite.parsed?.from?.value[0]?.address).toBe('sign@corp.example');
    expect(invite.parsed?.text?.trim()).toBe(`Sign here: ${task.signingUrl}\nCode ${task.signCode} (${task.signCodeUrl}), order ${orderId}`);
    await world.sim.settled();
    expect(smtp.messages.filter(to('bob.stone@example.com'))).toEqual([]);
    expect(world.sim.notifications).toEqual([expect.objectContaining({ channel: 'EMAIL', taskId: 'ann', trigger: 'CREATED', to: 'ann.lee@example.com', messageId: expect.any(String) })]);
  });

  it('serves the signer\'s link as a page', async () => {
    const page = await fetch(created.tasks[0].signingUrl as string);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/task <code>ann<\/code>[\s\S]*CREATED/);
  });

  it('reports both tasks CREATED, without results', async () => {
    for (const taskId of ['ann', 'bob']) {
      const status = await world.call('GET', `/orders/${orderId}/tasks/${taskId}/status`);
      expect(status.body).toEqual({
        orderId, taskId, taskStatus: 'CREATED', clientReference: 'tok42',
        documents: [{ id: 'doc-1', originalUri: `${world.sim.url}/orders/${orderId}/tasks/${taskId}/documents/doc-1/original` }],
      });
    }
    const result = await world.call('GET', `/orders/${orderId}/tasks/ann/documents/doc-1/result`);
    expect(result.status).toBe(404);
    expect(result.body).toMatchObject({ code: 'RESULT_NOT_AVAILABLE', detail: expect.stringMatching(/CREATED/) });
  });

  it('serves the original as uploaded', async () => {
    const answer = await world.call('GET', `/orders/${orderId}/tasks/bob/documents/doc-1/original`);
    expect(Buffer.from(answer.bytes).equals(Buffer.from(original))).toBe(true);
  });

  it('will not let the second signer sign (or reject) before the first', async () => {
    await expect(world.sim.signTask(orderId, 'bob')).rejects.toThrow(/depends on ann/);
    await expect(world.sim.rejectTask(orderId, 'bob')).rejects.toThrow(/depends on ann/);
  });

  it('the first signature: COMPLETED with a resultUri, a notice to the return address, then the second invitation', async () => {
    const sent = await world.sim.signTask(orderId, 'ann');
    expect(sent.map((n) => [n.trigger, n.taskId, n.to])).toEqual([['COMPLETED', 'ann', RETURN_ADDRESS], ['CREATED', 'bob', 'bob.stone@example.com']]);
    const status = await world.call('GET', `/orders/${orderId}/tasks/ann/status`);
    expect(status.body).toMatchObject({ taskStatus: 'COMPLETED', documents: [{ id: 'doc-1', resultUri: `${world.sim.url}/orders/${orderId}/tasks/ann/documents/doc-1/result` }] });
    const notice = await smtp.waitFor((m) => to(RETURN_ADDRESS)(m) && m.parsed?.subject === 'Signed: tok42 task ann');
    expect(notice.parsed?.from?.value[0]?.address).toBe('noreply@signicat.com');
    expect(notice.parsed?.text?.trim()).toBe(`Order ${orderId} (tok42) task ann is signed.`);
    await smtp.waitFor(to('bob.stone@example.com'));
  });

  it('serves the first signed copy: the upload plus a page naming the signer', async () => {
    const result = await world.call('GET', `/orders/${orderId}/tasks/ann/documents/doc-1/result`);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('application/pdf');
    const pages = (await PDFDocument.load(result.bytes)).getPageCount();
    expect(pages).toBe((await PDFDocument.load(original)).getPageCount() + 1);
    const text = await pageTexts(result.bytes);
    expect(text).toContain('This agreement is signed through Signicat.');
    expect(text).toContain('Signed by ann.lee@example.com via Signicat (simulated)');
  });

  it('the second signature completes the order: its notice and the signing-order notification', async () => {
    const sent = await world.sim.signTask(orderId, 'bob', { signer: 'Bob Stone' });
    expect(sent.map((n) => [n.trigger, n.notificationId])).toEqual([['COMPLETED', 'bob-done'], ['ORDER_COMPLETED', 'all-done']]);
    const orderMail = await smtp.waitFor((m) => m.parsed?.subject === `Order ${orderId} complete`);
    // Signing-order notifications know only ${orderId} and ${clientRef}.
    expect(orderMail.parsed?.text?.trim()).toBe('All signed for tok42: ${taskUrl}');
    expect(await pageTexts((await world.call('GET', `/orders/${orderId}/tasks/bob/documents/doc-1/result`)).bytes)).toContain('Signed by Bob Stone via Signicat (simulated)');
  });

  it('lists each task\'s events', async () => {
    const events = await world.call('GET', `/orders/${orderId}/tasks/ann/events`);
    expect((events.body as unknown as Array<{ eventType: string }>).map((e) => e.eventType)).toEqual(['TASK_CREATED', 'NOTIFICATION_SENT', 'DOCUMENT_SIGNED', 'TASK_COMPLETED', 'NOTIFICATION_SENT']);
    expect(events.body[0]).toMatchObject({ eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('answers the same through the old platform base (/sign)', async () => {
    const status = await world.call('GET', `/orders/${orderId}/tasks/bob/status`, { base: world.sim.legacyUrl });
    expect(status.body).toMatchObject({ taskStatus: 'COMPLETED', documents: [{ resultUri: `${world.sim.legacyUrl}/orders/${orderId}/tasks/bob/documents/doc-1/result` }] });
  });

  it('refuses to sign a task twice, and a wrong method on a known path is 405', async () => {
    await expect(world.sim.signTask(orderId, 'ann')).rejects.toThrow(/COMPLETED/);
    const answer = await world.call('PUT', `/orders/${orderId}`, { json: {} });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, DELETE');
  });
});
