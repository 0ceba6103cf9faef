// The pure parts of the Signicat provider: the order signrelay creates, and a document's
// status from its tasks' (and package's) statuses.
import { describe, expect, it } from 'vitest';
import { orderBody } from '../../src/providers/signicat/order-body.ts';
import { documentStatusOf } from '../../src/providers/signicat/order-status.ts';

const SETTINGS = {
  signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' as const }], language: 'en' as const, days_until_deletion: 30,
  packaging: 'none' as const, send_result_to_archive: false, notification_sender: undefined,
};
const NOW = Date.parse('2026-12-02T10:00:00Z');
const input = (signers: Array<{ firstName: string; lastName: string; email: string; mobile?: string }>, extra = {}) => ({
  documentReferences: ['d1', 'd2'], dueAt: new Date('2026-12-24T23:59:59Z'), signers, packageName: 'RITM0010001 (signrelay r_1)',
  token: 'tok', returnAddress: 'returns+tok@corp.example', route: {}, ...extra,
});

describe('orderBody', () => {
  it('lives whole days from the order\'s creation, and never past the due day\'s end: it ends on the due day', () => {
    const one = [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@x.example' }];
    for (const [sent, days, closes] of [
      ['2026-12-10T22:00:00Z', 14, '2026-12-24T22:00:00.000Z'],
      ['2026-12-02T10:00:00Z', 22, '2026-12-24T10:00:00.000Z'],
      ['2026-12-24T00:00:01Z', 0 + 1, '2026-12-25T00:00:01.000Z'], // under a day left: the least Signicat takes (dueForSend moves such a due date)
      ['2026-12-23T23:59:59Z', 1, '2026-12-24T23:59:59.000Z'],
    ] as const) {
      const { body, closesAt } = orderBody(input(one), SETTINGS, Date.parse(sent));
      expect((body.tasks as Array<{ daysToLive: number }>)[0]!.daysToLive, sent).toBe(days);
      expect(closesAt.toISOString(), sent).toBe(closes);
    }
  });

  it('one signer: one task signing both documents, no packaging, invitation and notices', () => {
    const { body, documents } = orderBody(input([{ firstName: 'Ann', lastName: 'Lee', email: 'ann@x.example' }]), SETTINGS, NOW);
    expect(body.packagingTasks).toBeUndefined();
    const [task] = body.tasks as Array<Record<string, any>>;
    expect(task).toMatchObject({ id: 'signer-1', daysToLive: 22, language: 'en', signatureMethods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }] });
    expect(task!.documents.map((d: any) => [d.id, d.documentRef])).toEqual([['doc-1', 'd1'], ['doc-2', 'd2']]);
    expect(task!.notifications.map((n: any) => [n.id, n.type, n.recipient, n.schedule.map((s: any) => s.triggerStatus)])).toEqual([
      ['invite-1', 'EMAIL', 'ann@x.example', ['CREATED']],
      ['order-created', 'EMAIL', 'returns+tok@corp.example', ['CREATED']],
      ['task-ended-1', 'EMAIL', 'returns+tok@corp.example', ['REJECTED', 'EXPIRED']],
    ]);
    expect(task!.notifications[0].message).toContain('${taskUrl}');
    expect(documents).toEqual([{ documentId: 'doc-1', tasks: [{ id: 'signer-1', signer: 'ann@x.example' }] }, { documentId: 'doc-2', tasks: [{ id: 'signer-1', signer: 'ann@x.example' }] }]);
  });

  it('two signers: the second depends on the first, one PAdES package per document, SMS for a mobile number', () => {
    const { body, documents } = orderBody(input([{ firstName: 'Ann', lastName: 'Lee', email: 'ann@x.example', mobile: '+4791234567' }, { firstName: 'Bob', lastName: 'Stone', email: 'bob@x.example' }]), SETTINGS, NOW);
    const tasks = body.tasks as Array<Record<string, any>>;
    expect(tasks.map((t) => t.dependsOnTasks ?? [])).toEqual([[], ['signer-1']]);
    expect(tasks[0]!.notifications.filter((n: any) => n.type === 'SMS')).toEqual([expect.objectContaining({ recipient: '+4791234567' })]);
    expect(tasks[1]!.notifications.some((n: any) => n.id === 'order-created')).toBe(false);
    expect(body.packagingTasks).toEqual([
      { id: 'package-1', method: 'pades', sendToArchive: false, documents: [{ taskId: 'signer-1', documentIds: ['doc-1'] }, { taskId: 'signer-2', documentIds: ['doc-1'] }] },
      { id: 'package-2', method: 'pades', sendToArchive: false, documents: [{ taskId: 'signer-1', documentIds: ['doc-2'] }, { taskId: 'signer-2', documentIds: ['doc-2'] }] },
    ]);
    expect(documents.map((d) => d.packagingTaskId)).toEqual(['package-1', 'package-2']);
  });

  it('sends the signers\' mails from provider.notification_sender, signrelay\'s notices from Signicat\'s own sender (Signicat review M2)', () => {
    const { body } = orderBody(input([{ firstName: 'Ann', lastName: 'Lee', email: 'ann@x.example' }]), { ...SETTINGS, notification_sender: 'esign@corp.example' }, NOW);
    const [task] = body.tasks as Array<Record<string, any>>;
    expect(task!.notifications.map((n: any) => [n.id, n.sender ?? null])).toEqual([
      ['invite-1', 'esign@corp.example'], ['order-created', null], ['task-ended-1', null],
    ]);
    expect((body.notifications as Array<Record<string, unknown>>).map((n) => n.sender ?? null)).toEqual([null]);
  });

  it('carries the route\'s reminder as the invitation again, delayed to reminder_days_before the due day (Signicat review M3)', () => {
    const signers = [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@x.example' }, { firstName: 'Bob', lastName: 'Stone', email: 'bob@x.example' }];
    const schedules = (reminderDaysBefore: number | undefined, now = NOW) => (orderBody(input(signers, { route: { reminderDaysBefore } }), SETTINGS, now).body.tasks as Array<Record<string, any>>)
      .map((t) => t.notifications.find((n: any) => n.id.startsWith('invite-')).schedule);
    // 22 days to live, reminded 2 days before: the first signer after 20 days, while the task
    // still waits; the second, invited only when the first signed, after 10 days of waiting —
    // counted from that invitation, 20 days would end after the task (signers review M1).
    expect(schedules(2)).toEqual([
      [{ triggerStatus: 'CREATED' }, { triggerStatus: 'CREATED', delay: { days: 20 } }],
      [{ triggerStatus: 'CREATED' }, { triggerStatus: 'CREATED', delay: { days: 10 } }],
    ]);
    expect(schedules(0)[0]).toEqual([{ triggerStatus: 'CREATED' }]);
    expect(schedules(undefined)[0]).toEqual([{ triggerStatus: 'CREATED' }]);
    // Less time to live than the reminder's days: no reminder (it would come with the invitation).
    expect(schedules(2, Date.parse('2026-12-23T10:00:00Z'))[0]).toEqual([{ triggerStatus: 'CREATED' }]);
  });

  it('a route\'s methods and language win; outside text cannot plant a placeholder or a line', () => {
    const { body } = orderBody(input([{ firstName: 'Ann ${taskUrl}', lastName: 'Lee\nPS: ${signCodeUrl}', email: 'ann@x.example' }], {
      packageName: 'Offer ${orderId}\r\nBcc: x', route: { language: 'nb', signatureMethods: [{ name: 'sbid-sign', type: 'SIGNED_STATEMENT' }] },
    }), SETTINGS, NOW);
    const [task] = body.tasks as Array<Record<string, any>>;
    expect(task).toMatchObject({ language: 'nb', signatureMethods: [{ name: 'sbid-sign', type: 'SIGNED_STATEMENT' }] });
    const invite = task!.notifications[0];
    expect(invite.header).toBe('Please sign: Offer $ {orderId} Bcc: x');
    expect(invite.message.match(/\$\{/g)).toEqual(['${']);
    expect(invite.message).toContain('Hello Ann $ {taskUrl} Lee PS: $ {signCodeUrl},');
  });
});

describe('documentStatusOf', () => {
  const tasks = (...statuses: string[]) => statuses.map((status, i) => ({ taskId: `signer-${i + 1}`, signer: `s${i + 1}@x.example`, status }));
  it.each([
    [tasks('CREATED', 'CREATED'), null, 'in-progress', '0 of 2 tasks COMPLETED'],
    [tasks('COMPLETED', 'CREATED'), null, 'in-progress', '1 of 2 tasks COMPLETED'],
    [tasks('COMPLETED', 'COMPLETED'), 'CREATED', 'completed', 'signed; packaging CREATED'],
    [tasks('COMPLETED', 'COMPLETED'), 'COMPLETED', 'completed', 'COMPLETED'],
    [tasks('COMPLETED'), null, 'completed', 'COMPLETED'],
    [tasks('COMPLETED', 'COMPLETED'), 'FAILED', 'completed', 'signed, but the PAdES packaging FAILED'],
    [tasks('COMPLETED', 'REJECTED'), null, 'declined', 'REJECTED by s2@x.example'],
    [tasks('EXPIRED', 'CREATED'), null, 'expired', 'EXPIRED'],
    [tasks('COMPLETED', 'DELETED'), null, 'withdrawn', 'DELETED'],
  ] as const)('%j with package %s is %s', (states, packaging, phase, raw) => {
    expect(documentStatusOf('d1', states, packaging)).toMatchObject({ phase, raw, sent: true });
  });
});
