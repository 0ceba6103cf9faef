// The `sent` work note: the signers, the provider, the due date and reference — and who asked
// for the signing and how intake authenticated them (audit review M1: no note named the
// requester, and the verdict was kept nowhere). Every outside value inert. Pure.
import { describe, expect, it } from 'vitest';
import { sentNote } from '../../src/notices/record-notes.ts';
import type { RequestMail } from '../../src/store/request-mail-event.ts';

const request = {
  id: 'r_0123456789ab', provider: 'secured-signing', providerOrderId: null, dueDate: '2026-12-20', requester: 'helen.officer@corp.example',
  signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' }],
};
const documents = [{ providerRef: 'REF1' }];
const SENT = 'Sent for signature to Ann Lee <ann.lee@example.com> via Secured Signing, due 2026-12-20, reference REF1.';
const mail = (over: Partial<RequestMail>): RequestMail => ({ received: 'request', messageId: '<m@corp.example>', from: 'helen.officer@corp.example', authenticated: 'not required', ...over });

describe('sentNote', () => {
  it.each([
    ['authenticated by DKIM', mail({ authenticated: [{ method: 'dkim', domain: 'corp.example', authservId: 'mx.corp.example' }], required: 'intake.authentication.require' }),
      ' Requested by helen.officer@corp.example, authenticated by DKIM pass for corp.example (authserv-id mx.corp.example).'],
    ['two methods', mail({ authenticated: [{ method: 'dmarc', domain: 'corp.example', authservId: 'mx1.corp.example' }, { method: 'spf', domain: 'mail.corp.example', authservId: 'mx2.corp.example' }] }),
      ' Requested by helen.officer@corp.example, authenticated by DMARC pass for corp.example (authserv-id mx1.corp.example) and SPF pass for mail.corp.example (authserv-id mx2.corp.example).'],
    ['nothing required', mail({}), ' Requested by helen.officer@corp.example (not authenticated: none was required).'],
    ['the requester is the Reply-To: the From is named too', mail({ from: 'assistant@corp.example', authenticated: [{ method: 'dkim', domain: 'corp.example', authservId: 'mx.corp.example' }] }),
      ' Requested by helen.officer@corp.example, by a mail from assistant@corp.example, authenticated by DKIM pass for corp.example (authserv-id mx.corp.example).'],
    ['a request older than its mail\'s event', undefined, ' Requested by helen.officer@corp.example.'],
  ] as Array<[string, RequestMail | undefined, string]>)('%s', (_name, requestMail, said) => {
    expect(sentNote(request, documents, requestMail)).toBe(`${SENT}${said}`);
  });

  it('makes the header\'s words inert: no markup, no mention, no link', () => {
    const forged = mail({ authenticated: [{ method: 'dkim', domain: '[code]<b>x</b>[/code] @Admin https://evil.example', authservId: 'mx.corp.example' }] });
    const note = sentNote(request, documents, forged);
    expect(note).not.toMatch(/[[\]<>]b|https:\/\/|\[code\]| @Admin/);
    expect(note).toContain('Requested by helen.officer@corp.example, authenticated by DKIM pass for (code)(b)x(/b)(/code)');
  });
});
