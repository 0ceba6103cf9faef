import { expect, it } from 'vitest';
import { logTail } from './log-tail.ts';

const line = (fields: Record<string, unknown>) => `${JSON.stringify({ timestamp: '2026-12-04T17:53:15.503Z', level: 'debug', ...fields })}\n`;

it("keeps each mailbox's last lines apart, so one watcher's chatter does not bury another's last command", () => {
  const chunks = [
    line({ message: 'imapflow', mailbox: 'requests', src: 'c', imapMsg: '9 UID MOVE 4 Processed' }),
    ...Array.from({ length: 50 }, (_, i) => line({ message: 'imapflow', mailbox: 'returns', src: 'c', imapMsg: `${i} NOOP` })),
    line({ message: 'mail deferred', mailbox: 'requests', uid: 4, error: 'closed', secretish: 'not shown' }) + 'not json at all\n',
  ];
  const tail = logTail(chunks, 3);
  expect(tail.split('\n')).toEqual([
    '-- requests',
    '17:53:15.503 imap c 9 UID MOVE 4 Processed',
    '17:53:15.503 mail deferred {"uid":4,"error":"closed"}',
    '-- returns',
    '17:53:15.503 imap c 47 NOOP',
    '17:53:15.503 imap c 48 NOOP',
    '17:53:15.503 imap c 49 NOOP',
    '-- daemon',
    'not json at all',
  ]);
});

it('prints outside text on one line, without the control characters a hostile subject could carry', () => {
  // A protocol line is printed as it came (the other fields go through JSON, escaped).
  const tail = logTail([line({ message: 'imapflow', mailbox: 'requests', src: 's', imapMsg: '* 1 FETCH (ENVELOPE ("\u001b[31mred\u001b[0m\r\nnext"))' })]);
  expect(tail).toBe('-- requests\n17:53:15.503 imap s * 1 FETCH (ENVELOPE (" [31mred [0m next"))');
});
