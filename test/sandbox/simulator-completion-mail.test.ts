// complete() mails the signed PDF to the completion recipient named in the tags, over
// SMTP, to a server started here (smtp-server on a free port).
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecuredSigningClient } from '../../src/providers/secured-signing/client.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { API_KEY, API_SECRET, REFERER, memoryTokenStore, providerConfig, sendOf, sentDoc, taggedPdf } from './fixtures.ts';
import { bytesOf } from '../support/chunks.ts';

interface Received { rcptTo: string[]; raw: Buffer }
const received: Received[] = [];
let smtp: SMTPServer;
let sim: SecuredSigningSimulator;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ rcptTo: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: false, smtp: { host: '127.0.0.1', port } });
});

afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('complete()', () => {
  it('mails the signed PDF to the [!Recipient…] address', async () => {
    const client = createSecuredSigningClient({ config: providerConfig(sim, { oauth: false }), tokenStore: memoryTokenStore() });
    const { reference } = await client.upload({ fileName: 'contract-tok123.pdf', bytes: await taggedPdf(), clientReference: 'tok123-1' });
    await client.send(sendOf([reference]));

    const mails = await sim.complete(reference);
    expect(mails).toEqual([expect.objectContaining({ reference, to: 'returns+tok123@corp.example', subject: 'contract-tok123.pdf has been signed' })]);
    expect(received).toHaveLength(1);
    expect(received[0]!.rcptTo).toEqual(['returns+tok123@corp.example']);

    const mail = await simpleParser(received[0]!.raw);
    expect(mail.from?.value[0]?.address).toBe('noreply@securedsigning.com');
    expect(mail.subject).toBe('contract-tok123.pdf has been signed');
    expect(mail.attachments).toHaveLength(1);
    const attachment = mail.attachments[0]!;
    expect(attachment.filename).toBe('contract-tok123.pdf');
    expect(attachment.contentType).toBe('application/pdf');
    expect(Buffer.from(attachment.content).equals(await bytesOf(client.download(sentDoc(reference))))).toBe(true);
    expect(sim.mails).toHaveLength(1);
  });
});
