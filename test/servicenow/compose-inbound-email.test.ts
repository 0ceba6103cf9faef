// The mail that carries the signed PDF to the instance threads to nothing: when its subject's
// number matches no record the instance goes on to In-Reply-To, and the request mail's
// Message-ID is its sender's to choose — a notification's about another record filed the signed
// PDF there (security review 5). It carries no more attachments, and no more bytes of them, than
// the instance keeps.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { composeInboundEmail } from '../../src/servicenow/compose-inbound-email.ts';
import { isSignrelayError } from '../../src/errors.ts';

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

  // The instance discards a mail's attachments past glide.email.inbound.max_total_attachment_size_bytes
  // without a word: one mailed anyway left the record without its signed PDF, the request delivered.
  it('is refused, for good, for signed documents over the bytes the instance keeps of one mail (glide.email.inbound.max_total_attachment_size_bytes); exactly that many go', () => {
    const limit = servicenow.max_email_attachment_bytes;
    const documents = (sizes: number[]) => sizes.map((sizeBytes, i) => ({ fileName: `c${i}-signed.pdf`, path: '/nonexistent.pdf', sizeBytes }));
    const compose = (sizes: number[]) => composeInboundEmail({ requestId: 'r_0123456789ab', recordNumber: 'RITM0010001', watermark: null, note: 'Signed.', messageId: '<m@corp.example>', documents: documents(sizes), from: 'sign@corp.example', servicenow });
    expect(compose([limit]).attachments).toHaveLength(1);
    expect(compose([limit - 10, 10]).attachments).toHaveLength(2);
    for (const sizes of [[limit + 1], [limit - 10, 11]]) {
      let refusal: unknown;
      try {
        compose(sizes);
      } catch (err) {
        refusal = err;
      }
      expect(isSignrelayError(refusal) && { kind: refusal.kind, code: refusal.code, message: refusal.message }).toEqual({
        kind: 'permanent', code: 'too_large_for_email',
        message: `the signed documents of request r_0123456789ab are ${limit + 1} bytes; the instance discards mail attachments over ${limit} bytes (servicenow.max_email_attachment_bytes): use delivery: rest for this route`,
      });
    }
  });
});
