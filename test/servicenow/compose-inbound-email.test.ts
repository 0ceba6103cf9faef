// The mail that carries the signed PDF to the instance threads to nothing: when its subject's
// number matches no record the instance goes on to In-Reply-To, and the request mail's
// Message-ID is its sender's to choose — a notification's about another record filed the signed
// PDF there (security review 5). It carries no more attachments than the instance keeps.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { composeInboundEmail } from '../../src/servicenow/compose-inbound-email.ts';

const servicenow = configSchema.shape.servicenow.parse({
  instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' }, delivery: 'email', inbound_address: 'acme@service-now.com',
});
const mail = () => composeInboundEmail({
  requestId: 'r_0123456789ab', recordNumber: 'RITM0010001', watermark: null, note: 'Signed.', messageId: '<signrelay.delivery.0f1e2d3c4b5a6978@corp.example>',
  documents: [{ fileName: 'contract-signed.pdf', path: '/nonexistent.pdf', sizeBytes: 10 }], from: 'signrelay <sign@corp.example>', servicenow,
});

describe('the inbound email delivery mail', () => {
  it('threads to no mail: no In-Reply-To, no References', () => {
    const composed = mail();
    expect(composed.inReplyTo).toBeUndefined();
    expect(composed.references).toBeUndefined();
    expect(composed.subject).toBe('re: RITM0010001 signed');
  });

  it('carries the Message-ID it was given: random, made afresh for each attempt, never the request id a requester can read', () => {
    expect(mail().messageId).toBe('<signrelay.delivery.0f1e2d3c4b5a6978@corp.example>');
  });

  it('is refused for more signed documents than the instance keeps attachments of one mail (glide.email.inbound.max_attachment_count)', () => {
    const documents = (n: number) => Array.from({ length: n }, (_, i) => ({ fileName: `c${i}-signed.pdf`, path: '/nonexistent.pdf', sizeBytes: 10 }));
    const compose = (n: number) => composeInboundEmail({ requestId: 'r_0123456789ab', recordNumber: 'RITM0010001', watermark: null, note: 'Signed.', messageId: '<m@corp.example>', documents: documents(n), from: 'sign@corp.example', servicenow });
    expect(compose(30).attachments).toHaveLength(30);
    expect(() => compose(31)).toThrow('request r_0123456789ab has 31 signed documents; the instance keeps at most 30 attachments of a mail (servicenow.max_email_attachment_count): use delivery: rest for this route');
  });
});
