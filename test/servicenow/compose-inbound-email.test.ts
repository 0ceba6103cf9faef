// The mail that carries the signed PDF to the instance threads to the request mail only by a
// Message-ID that fits a header line (RFC 5322: 998 characters): a requester's 1,500-character
// one made a line a strict relay may refuse — and the signed PDF would never reach the record.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { composeInboundEmail } from '../../src/servicenow/compose-inbound-email.ts';

const servicenow = configSchema.shape.servicenow.parse({
  instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' }, delivery: 'email', inbound_address: 'acme@service-now.com',
});
const mail = (requestMessageId: string | null) => composeInboundEmail({
  requestId: 'r_0123456789ab', recordNumber: 'RITM0010001', watermark: null, requestMessageId, note: 'Signed.',
  documents: [{ fileName: 'contract-signed.pdf', path: '/nonexistent.pdf', sizeBytes: 10 }], from: 'signrelay <sign@corp.example>', servicenow,
});

describe('the inbound email delivery mail', () => {
  it('threads to a request mail\'s Message-ID that fits a header line, and leaves out one that does not', () => {
    expect(mail('<m1@corp.example>')).toMatchObject({ inReplyTo: '<m1@corp.example>', references: ['<m1@corp.example>'] });
    for (const id of [`<${'a'.repeat(1_500)}@corp.example>`, '<a@x> <b@y>', '<a@x>\r\nBcc: victim@example.com', null]) {
      expect(mail(id)).toMatchObject({ inReplyTo: undefined, references: [] });
    }
  });

  it('is refused for more signed documents than the instance keeps attachments of one mail (glide.email.inbound.max_attachment_count)', () => {
    const documents = (n: number) => Array.from({ length: n }, (_, i) => ({ fileName: `c${i}-signed.pdf`, path: '/nonexistent.pdf', sizeBytes: 10 }));
    const compose = (n: number) => composeInboundEmail({ requestId: 'r_0123456789ab', recordNumber: 'RITM0010001', watermark: null, requestMessageId: null, note: 'Signed.', documents: documents(n), from: 'sign@corp.example', servicenow });
    expect(compose(30).attachments).toHaveLength(30);
    expect(() => compose(31)).toThrow('request r_0123456789ab has 31 signed documents; the instance keeps at most 30 attachments of a mail (servicenow.max_email_attachment_count): use delivery: rest for this route');
  });
});
