// Reading a bounce of signrelay's mail (src/message/read-bounce.ts): which mail it returns and
// what the mail system said, in the shapes the common mail systems send — RFC 3464 reports from
// Postfix, Exim, Exchange/Office 365 and Gmail, and a qmail-style text that only quotes the
// original's header — and what is not a bounce: a person's mail quoting ours.
import { describe, expect, it } from 'vitest';
import { readBounce, readDeliveryStatus } from '../../src/message/read-bounce.ts';
import { readPackedMail } from '../../src/message/read-request-mail.ts';

const ORIGINAL = '<signrelay.delivery.0f1e2d3c4b5a6978@corp.example>';
const originalHeader = (kind = 'delivery') => [
  'Return-Path: <sign@corp.example>', 'From: signrelay <sign@corp.example>', 'To: instance@service-now.com',
  'Subject: re: RITM0010005 signed', `Message-ID: ${ORIGINAL}`, 'Date: Sat, 05 Dec 2026 21:00:00 +0000', `X-Signrelay: ${kind}`,
];

function report(head: string[], parts: Array<{ type: string; body: string[] }>): Promise<Awaited<ReturnType<typeof readPackedMail>>> {
  const lines = [...head, 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"', ''];
  for (const part of parts) lines.push('--BOUND', `Content-Type: ${part.type}`, '', ...part.body, '');
  lines.push('--BOUND--', '');
  return readPackedMail(Buffer.from(lines.join('\r\n')));
}

const postfix = () => report(
  ['Return-Path: <>', 'From: MAILER-DAEMON@relay.corp.example (Mail Delivery System)', 'To: sign@corp.example', 'Subject: Undelivered Mail Returned to Sender', 'Auto-Submitted: auto-replied'],
  [
    { type: 'text/plain; charset=us-ascii', body: ['This is the mail system at host relay.corp.example.', '', "I'm sorry to have to inform you that your message could not", 'be delivered to one or more recipients.', '', '<instance@service-now.com>: host mx.service-now.com[1.2.3.4] said: 552 5.3.4', '    Message size exceeds fixed limit (in reply to end of DATA command)'] },
    { type: 'message/delivery-status', body: ['Reporting-MTA: dns; relay.corp.example', 'X-Postfix-Queue-ID: 4F2C1A0', 'Arrival-Date: Sat,  5 Dec 2026 21:00:01 +0000 (UTC)', '', 'Final-Recipient: rfc822; instance@service-now.com', 'Original-Recipient: rfc822;instance@service-now.com', 'Action: failed', 'Status: 5.3.4', 'Remote-MTA: dns; mx.service-now.com', 'Diagnostic-Code: smtp; 552 5.3.4 Message size exceeds fixed', '    limit'] },
    // Postfix returns only the header of a message over bounce_size_limit.
    { type: 'text/rfc822-headers', body: originalHeader() },
  ],
);

const exim = () => report(
  ['Return-path: <>', 'From: Mail Delivery System <Mailer-Daemon@mx.corp.example>', 'To: sign@corp.example', 'Subject: Mail delivery failed: returning message to sender', 'Auto-Submitted: auto-replied'],
  [
    { type: 'text/plain; charset=us-ascii', body: ['This message was created automatically by mail delivery software.', '', 'A message that you sent could not be delivered to one or more of its', 'recipients. This is a permanent error. The following address(es) failed:', '', '  signrelay-admins@corp.example', '    mailbox is full: retry timeout exceeded'] },
    { type: 'message/delivery-status', body: ['Reporting-MTA: dns; mx.corp.example', '', 'Action: failed', 'Final-Recipient: rfc822;signrelay-admins@corp.example', 'Status: 5.0.0'] },
    // Exim returns the message itself, cut at bounce_return_size_limit.
    { type: 'message/rfc822', body: [...originalHeader('alert'), '', 'An alert', '------ This is a copy of the body, truncated ------'] },
  ],
);

const office365 = () => report(
  ['From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.onmicrosoft.com>', 'To: sign@corp.example', 'Subject: Undeliverable: Sent for signature: Contract for RITM0010005', 'Auto-Submitted: auto-replied', 'X-MS-Exchange-Message-Is-Ndr:'],
  [
    { type: 'text/plain; charset="us-ascii"', body: ["Your message to ann.lee@example.com couldn't be delivered.", 'ann.lee wasn\'t found at example.com.', '', 'Remote Server returned \'550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup\''] },
    { type: 'message/delivery-status', body: ['Reporting-MTA: dns;AM0PR02MB1234.eurprd02.prod.outlook.com', 'Received-From-MTA: dns;relay.corp.example', 'Arrival-Date: Sat, 5 Dec 2026 21:00:02 +0000', '', 'Final-Recipient: rfc822;ann.lee@example.com', 'Action: failed', 'Status: 5.1.10', 'Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'] },
    // Exchange attaches the whole original; the daemon reads only its header (mail-outline.ts `report`).
    { type: 'message/rfc822', body: [...originalHeader('acknowledgement').map((l) => l.replace(ORIGINAL, '<signrelay.acknowledgement.aa11bb22cc33dd44@corp.example>')), '', 'Sent for signature.'] },
  ],
);

const gmail = () => report(
  ['From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>', 'To: sign@corp.example', 'Subject: Delivery Status Notification (Failure)', 'Auto-Submitted: auto-replied', `References: ${ORIGINAL}`, `In-Reply-To: ${ORIGINAL}`],
  [
    { type: 'text/plain; charset="UTF-8"', body: ["Address not found", '', "Your message wasn't delivered to requester@gmail.com because the address couldn't be found, or is unable to receive mail.", '', 'Learn more here: https://support.google.com/mail/?p=NoSuchUser'] },
    { type: 'message/delivery-status', body: ['Reporting-MTA: dns; googlemail.com', 'Received-From-MTA: dns; relay.corp.example', '', 'Final-Recipient: rfc822; requester@gmail.com', 'Action: failed', 'Status: 5.1.1', 'Remote-MTA: dns; gmail-smtp-in.l.google.com. (142.250.1.26, the server for the domain gmail.com.)', 'Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist. https://support.google.com/mail/?p=NoSuchUser'] },
    { type: 'text/rfc822-headers', body: originalHeader('reply') },
  ],
);

describe('reading a bounce', () => {
  it('Postfix: the returned header names the original; the recipient, Status and the remote server\'s words (folded) are read', async () => {
    const bounce = readBounce(await postfix());
    expect(bounce).toMatchObject({
      form: 'report', sender: 'null return path', originalIds: [ORIGINAL], signrelayKind: 'delivery', verdict: 'failed',
      recipients: [{ recipient: 'instance@service-now.com', action: 'failed', status: '5.3.4', diagnostic: '552 5.3.4 Message size exceeds fixed limit' }],
    });
    expect(bounce!.reason).toBe('instance@service-now.com: Status 5.3.4: 552 5.3.4 Message size exceeds fixed limit');
  });

  it('Exim: the original comes back as a message/rfc822 part; its header names it', async () => {
    expect(readBounce(await exim())).toMatchObject({
      sender: 'null return path', originalIds: [ORIGINAL], signrelayKind: 'alert', verdict: 'failed',
      recipients: [{ recipient: 'signrelay-admins@corp.example', status: '5.0.0' }],
    });
  });

  it('Office 365: no null return path in the stored header, but Exchange\'s system mailbox is the sender', async () => {
    expect(readBounce(await office365())).toMatchObject({
      sender: 'MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.onmicrosoft.com', signrelayKind: 'acknowledgement', verdict: 'failed',
      originalIds: ['<signrelay.acknowledgement.aa11bb22cc33dd44@corp.example>'],
      reason: 'ann.lee@example.com: Status 5.1.10: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
    });
  });

  it('Gmail: the original from the returned header, not from In-Reply-To (any mail can say that)', async () => {
    const bounce = readBounce(await gmail());
    expect(bounce).toMatchObject({ sender: 'mailer-daemon@googlemail.com', originalIds: [ORIGINAL], signrelayKind: 'reply', verdict: 'failed' });
    expect(bounce!.reason).toContain('requester@gmail.com: Status 5.1.1: 550-5.1.1 The email account');
  });

  it('a delay warning is no failure', async () => {
    const mail = await report(['Return-Path: <>', 'From: MAILER-DAEMON@relay.corp.example', 'Subject: Delayed Mail (still being retried)'], [
      { type: 'message/delivery-status', body: ['Reporting-MTA: dns; relay.corp.example', '', 'Final-Recipient: rfc822; instance@service-now.com', 'Action: delayed', 'Status: 4.4.1', 'Diagnostic-Code: X-Postfix; connect to mx.service-now.com: Connection timed out'] },
      { type: 'text/rfc822-headers', body: originalHeader() },
    ]);
    expect(readBounce(mail)).toMatchObject({ verdict: 'delayed', reason: 'instance@service-now.com: Status 4.4.1: connect to mx.service-now.com: Connection timed out' });
  });

  it('qmail: no report, the original\'s header quoted in the text; the mail system\'s own words are the reason', async () => {
    const mail = await readPackedMail(Buffer.from([
      'Return-Path: <>', 'From: MAILER-DAEMON@mx.example.net', 'To: sign@corp.example', 'Subject: failure notice', '',
      'Hi. This is the qmail-send program at mx.example.net.', "I'm afraid I wasn't able to deliver your message to the following addresses.", '',
      '<ann.lee@example.net>:', 'Sorry, no mailbox here by that name. (#5.1.1)', '', '--- Below this line is a copy of the message.', '',
      ...originalHeader('notice'), '', 'Signed.', '',
    ].join('\r\n')));
    const bounce = readBounce(mail);
    expect(bounce).toMatchObject({ form: 'quoted', originalIds: [ORIGINAL], signrelayKind: 'notice', verdict: 'failed', recipients: [] });
    expect(bounce!.reason).toMatch(/^Hi\. This is the qmail-send program .* Sorry, no mailbox here by that name\. \(#5\.1\.1\) --- Below this line is a copy of the message\.$/);
  });

  it('a person\'s mail quoting ours is no bounce — a report, our Message-ID and all — unless a mail system sent it', async () => {
    const forwarded = await report(['From: Mallory <mallory@example.com>', 'Return-Path: <mallory@example.com>', 'To: sign@corp.example', 'Subject: Undelivered Mail Returned to Sender'], [
      { type: 'message/delivery-status', body: ['Reporting-MTA: dns; example.com', '', 'Final-Recipient: rfc822; instance@service-now.com', 'Action: failed', 'Status: 5.0.0'] },
      { type: 'text/rfc822-headers', body: originalHeader() },
    ]);
    expect(readBounce(forwarded)).toBeNull();
  });

  it('a bounce that names no original by Message-ID is none signrelay can match', async () => {
    const mail = await report(['Return-Path: <>', 'From: MAILER-DAEMON@relay.corp.example'], [
      { type: 'message/delivery-status', body: ['Reporting-MTA: dns; relay', '', 'Final-Recipient: rfc822; x@y', 'Action: failed', 'Status: 5.0.0'] },
    ]);
    expect(readBounce(mail)).toBeNull();
  });

  it('reads RFC 3464 fields per recipient, whatever their case and folding', () => {
    expect(readDeliveryStatus('reporting-mta: dns; a\r\n\r\nfinal-recipient: RFC822; a@b\r\nACTION: Failed (bad)\r\nstatus: 5.1.1 (no such user)\r\n\r\nFinal-Recipient: rfc822; c@d\r\nAction: delivered\r\nStatus: 2.0.0\r\n')).toEqual([
      { recipient: 'a@b', action: 'failed', status: '5.1.1', diagnostic: null },
      { recipient: 'c@d', action: 'delivered', status: '2.0.0', diagnostic: null },
    ]);
  });
});
