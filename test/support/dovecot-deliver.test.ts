// The test Dovecot's deliver() fails when Dovecot refuses the mail. LMTP answers a recipient it
// took at RCPT after the mail's DATA (over quota: 552), and nodemailer reports that refusal
// in `rejected` and resolves: a test of a full mailbox believed a refused mail had arrived
// (quota review L2). A recipient refused at RCPT (no such user) already failed the delivery.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDovecot, type DovecotHandle } from './dovecot.ts';

let dovecot: DovecotHandle;
beforeAll(async () => {
  dovecot = await startDovecot({
    users: { sign: 'deliver-pass-5120' },
    extraConfig: 'mail_plugins = $mail_plugins quota\nplugin {\n  quota = count:User quota\n  quota_rule = *:storage=8K\n  quota_vsizes = yes\n}',
  });
});
afterAll(async () => dovecot?.stop());

it('resolves for a mail Dovecot stored, and rejects, with Dovecot\'s answer, one it refused after its data', async () => {
  await dovecot.deliver('sign@corp.example', 'Subject: kept\r\nMessage-ID: <kept@x>\r\n\r\nbody\r\n');
  expect((await dovecot.list('sign', 'INBOX')).map((m) => m.messageId)).toEqual(['<kept@x>']);
  const large = `Subject: over quota\r\nMessage-ID: <large@x>\r\n\r\n${`${'y'.repeat(76)}\r\n`.repeat(200)}`; // 15 KB
  await expect(dovecot.deliver('sign@corp.example', large)).rejects.toThrow(/^Dovecot refused the delivery to sign@corp\.example: 552 .*[Qq]uota/);
  expect((await dovecot.list('sign', 'INBOX')).map((m) => m.messageId)).toEqual(['<kept@x>']);
  await expect(dovecot.deliver('nobody-here@corp.example', 'Subject: refused\r\n\r\nbody\r\n')).rejects.toThrow(/550/);
});
