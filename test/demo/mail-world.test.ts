// The demo's embedded mail world: SMTP in, local users' mail readable over IMAP with the
// headers a delivery agent writes (in the INBOX, or in a folder given for an address),
// everything else caught in the outbox.
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailWorld, type MailWorld } from '../../src/sandbox/mail-world.ts';
import { waitFor } from '../support/wait-for.ts';

const PASSWORD = 'mail-world-test-pass';
let world: MailWorld;

beforeAll(async () => {
  world = await startMailWorld({ users: { sign: PASSWORD } });
});

afterAll(async () => {
  await world?.close();
});

async function send(to: string, subject: string, from = 'Helen Officer <helen.officer@corp.example>', target: MailWorld = world): Promise<void> {
  const transport = nodemailer.createTransport({ host: target.smtp.host, port: target.smtp.port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ from, to, subject, text: 'Hello.' });
  } finally {
    transport.close();
  }
}

async function folderSources(folder = 'INBOX', target: MailWorld = world): Promise<string[]> {
  const client = new ImapFlow({ host: target.imap.host, port: target.imap.port, secure: false, auth: { user: 'sign', pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    const lock = await client.getMailboxLock(folder);
    try {
      const exists = client.mailbox ? client.mailbox.exists : 0;
      if (exists === 0) return [];
      const messages = await client.fetchAll('1:*', { source: true });
      return messages.map((m) => m.source!.toString('utf8'));
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

describe('startMailWorld', () => {
  it('delivers mail for sign+hr@ into the IMAP INBOX with Delivered-To and Return-Path', async () => {
    await send('sign+hr@corp.example', 'Offer letter HRC0001234');
    const sources = await folderSources();
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatch(/^Return-Path: <helen\.officer@corp\.example>\r\nDelivered-To: sign\+hr@corp\.example\r\n/);
    expect(sources[0]).toContain('Subject: Offer letter HRC0001234');
    expect(world.deliveries.map((d) => d.to)).toEqual(['sign+hr@corp.example']);
    expect(world.outbox.messages).toHaveLength(0);
  });

  it('keeps mail for anyone else in the outbox, also local-domain addresses that are not IMAP users', async () => {
    const waiting = world.outbox.waitFor((m) => m.envelope.rcptTo.includes('returns+abc123@corp.example'));
    await send('ann.lee@example.com', 'Re: Contract');
    await send('returns+abc123@corp.example', 'Completed: contract.pdf');
    const completion = await waiting;
    expect(completion.parsed.subject).toBe('Completed: contract.pdf');
    expect(world.outbox.messages.map((m) => m.envelope.rcptTo)).toEqual([['ann.lee@example.com'], ['returns+abc123@corp.example']]);
    expect(world.outbox.messages[0]!.envelope.mailFrom).toBe('helen.officer@corp.example');
    // Nothing new reached the request mailbox.
    expect(await folderSources()).toHaveLength(1);
  });

  it('fails a wait that nothing satisfies, saying what the outbox holds', async () => {
    await expect(world.outbox.waitFor((m) => m.envelope.rcptTo.includes('nobody@example.com'), 100))
      .rejects.toThrow(/within 100 ms \(it holds 2: ann\.lee@example\.com: Re: Contract/);
  });
});

describe('startMailWorld with folders', () => {
  let filing: MailWorld;

  beforeAll(async () => {
    filing = await startMailWorld({ users: { sign: PASSWORD }, folders: { returns: 'Returns' } });
  });

  afterAll(async () => {
    await filing?.close();
  });

  it('files mail for returns+TOKEN@ into the Returns folder of the same store, with Delivered-To kept', async () => {
    await send('returns+abc123@corp.example', 'Completed: contract.pdf', 'Secured Signing <noreply@securedsigning.com>', filing);
    const returns = await folderSources('Returns', filing);
    expect(returns).toHaveLength(1);
    expect(returns[0]).toMatch(/^Return-Path: <noreply@securedsigning\.com>\r\nDelivered-To: returns\+abc123@corp\.example\r\n/);
    expect(filing.deliveries.map((d) => [d.to, d.from, d.folder, d.uid])).toEqual([['returns+abc123@corp.example', 'noreply@securedsigning.com', 'Returns', 1]]);
    expect(await folderSources('INBOX', filing)).toHaveLength(0);
    expect(filing.outbox.messages).toHaveLength(0);
  });

  it('tells which folder a client is idling on', async () => {
    expect(filing.imapIdleSince('Returns')).toBeNull();
    const client = new ImapFlow({ host: filing.imap.host, port: filing.imap.port, secure: false, auth: { user: 'sign', pass: PASSWORD }, logger: false });
    await client.connect();
    try {
      await client.mailboxOpen('Returns');
      const idling = client.idle();
      await waitFor(() => filing.imapIdleSince('Returns'), { what: 'the server to see the client in IDLE on Returns' });
      expect(filing.imapIdleSince('Returns')).toBeInstanceOf(Date);
      expect(filing.imapIdleSince('INBOX')).toBeNull();
      expect(filing.imapIdleSince()).toEqual(filing.imapIdleSince('Returns'));
      await client.noop(); // ends IDLE
      await idling;
      expect(filing.imapIdleSince('Returns')).toBeNull();
    } finally {
      await client.logout();
    }
  });

  it('refuses a folder address that is also an IMAP user', async () => {
    await expect(startMailWorld({ users: { sign: PASSWORD }, folders: { sign: 'Other' } })).rejects.toThrow(/sign is an IMAP user already/);
  });
});
