// Which Authentication-Results count and what passes: only the trusted authserv-id, the
// topmost trusted header per method, and only results aligned with the From domain.
import { describe, expect, it } from 'vitest';
import { checkAuthentication, describeFailure, isAligned, type AuthMethod } from '../../src/message/check-authentication.ts';

const TRUSTED = ['mx.corp.example'];
const OPENDKIM_PASS = 'mx.corp.example; dkim=pass (2048-bit key; unprotected) header.d=corp.example header.i=@corp.example header.b="AbCd"';
const OPENDMARC_PASS = 'mx.corp.example; dmarc=pass (p=reject dis=none) header.from=corp.example';

function check(headers: string[], require: AuthMethod[], from = 'corp.example') {
  return checkAuthentication(headers, from, { require, trustedAuthservIds: TRUSTED });
}

describe('checkAuthentication', () => {
  it.each([
    ['dmarc pass from the trusted MTA', [OPENDMARC_PASS], ['dmarc'], true, 'dmarc=pass header.from=corp.example'],
    ['the authserv-id in another case', ['MX.CORP.EXAMPLE; dmarc=pass header.from=corp.example'], ['dmarc'], true, 'dmarc=pass header.from=corp.example'],
    ['dmarc fail', ['mx.corp.example; dmarc=fail (p=reject) header.from=corp.example'], ['dmarc'], false, 'dmarc=fail header.from=corp.example'],
    ['dmarc pass for another From domain', ['mx.corp.example; dmarc=pass header.from=evil.example'], ['dmarc'], false, 'dmarc=pass header.from=evil.example, not aligned with the From domain'],
    ['dmarc pass naming no domain', ['mx.corp.example; dmarc=pass'], ['dmarc'], false, 'dmarc=pass, not aligned with the From domain'],
    ['only an untrusted header says pass', ['mx.evil.example; dmarc=pass header.from=corp.example'], ['dmarc'], false, 'no dmarc result from mx.corp.example'],
    ['a Microsoft 365 header (no authserv-id) says pass', ['spf=pass smtp.mailfrom=corp.example; dmarc=pass action=none header.from=corp.example'], ['dmarc'], false, 'no dmarc result from mx.corp.example'],
    ['a forged trusted header below the real one', ['mx.corp.example; dmarc=fail header.from=corp.example', 'mx.corp.example; dmarc=pass header.from=corp.example'], ['dmarc'], false, 'dmarc=fail header.from=corp.example'],
    ['a forged untrusted header above the real one', ['mx.evil.example; dmarc=pass header.from=corp.example', OPENDMARC_PASS], ['dmarc'], true, 'dmarc=pass header.from=corp.example'],
    ['dkim signed by the From domain', [OPENDKIM_PASS], ['dkim'], true, 'dkim=pass header.d=corp.example'],
    ['dkim by a parent of the From domain', ['mx.corp.example; dkim=pass header.d=corp.example'], ['dkim'], true, 'dkim=pass header.d=corp.example', 'mail.corp.example'],
    ['dkim by a subdomain of the From domain', ['mx.corp.example; dkim=pass header.d=mail.corp.example'], ['dkim'], true, 'dkim=pass header.d=mail.corp.example'],
    ['dkim by a sibling subdomain', ['mx.corp.example; dkim=pass header.d=hr.corp.example'], ['dkim'], false, 'dkim=pass header.d=hr.corp.example, not aligned with the From domain', 'it.corp.example'],
    ['dkim signed by someone else (an ESP, a list)', ['mx.corp.example; dkim=pass header.d=mailer.example'], ['dkim'], false, 'dkim=pass header.d=mailer.example, not aligned with the From domain'],
    ['a signing domain in capitals with a trailing dot', ['mx.corp.example; dkim=pass header.d=Corp.Example.'], ['dkim'], true, 'dkim=pass header.d=Corp.Example.'],
    ['dkim with header.i only (Google)', ['mx.corp.example; dkim=pass header.i=@corp.example header.s=google'], ['dkim'], true, 'dkim=pass header.i=@corp.example'],
    ['two signatures: a broken one and an aligned one', ['mx.corp.example; dkim=fail header.d=list.example; dkim=pass header.d=corp.example'], ['dkim'], true, 'dkim=pass header.d=corp.example'],
    ['dkim by a bare top-level domain', ['mx.corp.example; dkim=pass header.d=example'], ['dkim'], false, 'dkim=pass header.d=example, not aligned with the From domain'],
    ['spf for the From domain', ['mx.corp.example; spf=pass smtp.mailfrom=bounce@corp.example'], ['spf'], true, 'spf=pass smtp.mailfrom=bounce@corp.example'],
    ['spf for another envelope domain', ['mx.corp.example; spf=pass smtp.mailfrom=attacker@evil.example'], ['spf'], false, 'spf=pass smtp.mailfrom=attacker@evil.example, not aligned with the From domain'],
    ['spf softfail', ['mx.corp.example; spf=softfail smtp.mailfrom=corp.example'], ['spf'], false, 'spf=softfail smtp.mailfrom=corp.example'],
    ['no header at all', [], ['dmarc'], false, 'no dmarc result from mx.corp.example'],
  ] as Array<[string, string[], AuthMethod[], boolean, string, string?]>)('%s', (_name, headers, require, passed, detail, from) => {
    const verdict = check(headers, require, from);
    expect(verdict.passed).toBe(passed);
    expect(verdict.methods[0]!.detail).toBe(detail);
  });

  it('needs every required method, each from the topmost trusted header that reports it (Postfix: one header per milter)', () => {
    const spf = 'mx.corp.example; spf=pass smtp.mailfrom=corp.example';
    expect(check([OPENDMARC_PASS, OPENDKIM_PASS, spf], ['dmarc', 'dkim', 'spf'])).toMatchObject({ passed: true, ignored: [] });
    const verdict = check([OPENDMARC_PASS, 'mx.corp.example; spf=fail smtp.mailfrom=corp.example', 'mx.evil.example; spf=pass smtp.mailfrom=corp.example'], ['dmarc', 'spf']);
    expect(verdict).toMatchObject({ passed: false, ignored: ['mx.evil.example'] });
    expect(verdict.methods.map((m) => m.passed)).toEqual([true, false]);
    expect(describeFailure(verdict, 'corp.example')).toBe('spf=fail smtp.mailfrom=corp.example; From domain corp.example (ignored Authentication-Results of untrusted authserv-id mx.evil.example)');
  });

  it('keeps, for each method that passed, the domain it passed for and the authserv-id that said so (the audit trail keeps them: audit review M1)', () => {
    const spf = 'MX.CORP.EXAMPLE; spf=pass smtp.mailfrom=bounce@Mail.Corp.Example.';
    const verdict = check([OPENDKIM_PASS, spf, 'mx.corp.example; dmarc=fail header.from=corp.example'], ['dkim', 'spf', 'dmarc']);
    expect(verdict.methods).toEqual([
      { method: 'dkim', passed: true, detail: 'dkim=pass header.d=corp.example', domain: 'corp.example', authservId: 'mx.corp.example' },
      { method: 'spf', passed: true, detail: 'spf=pass smtp.mailfrom=bounce@Mail.Corp.Example.', domain: 'mail.corp.example', authservId: 'mx.corp.example' },
      { method: 'dmarc', passed: false, detail: 'dmarc=fail header.from=corp.example' },
    ]);
  });

  it('keeps the reason short however many and however long the forged headers are', () => {
    const forged = Array.from({ length: 500 }, (_, i) => `mx${i}.evil.example; dmarc=pass header.from=corp.example`);
    const long = `mx.corp.example; dmarc=fail header.from=${'x'.repeat(5000)}.example`;
    const verdict = check([long, ...forged], ['dmarc']);
    expect(verdict.ignored).toHaveLength(500);
    expect(describeFailure(verdict, 'corp.example')).toBe(
      `dmarc=fail header.from=${'x'.repeat(64)}…; From domain corp.example (ignored Authentication-Results of untrusted authserv-id mx0.evil.example, mx1.evil.example, mx2.evil.example and 497 more)`);
  });

  it('lists a header without an authserv-id as "(none)" among the ignored', () => {
    expect(check(['dkim=pass header.d=corp.example', 'dkim=pass header.d=corp.example'], ['dkim']).ignored).toEqual(['(none)', '(none)']);
  });
});

describe('isAligned', () => {
  it.each([
    ['corp.example', 'corp.example', true],
    ['corp.example', 'CORP.example', true],
    ['corp.example', 'a.b.corp.example', true],
    ['a.b.corp.example', 'corp.example', true],
    ['notcorp.example', 'corp.example', false],
    ['corp.example.evil', 'corp.example', false],
    [null, 'corp.example', false],
  ] as Array<[string | null, string, boolean]>)('%s ~ %s → %s', (domain, from, expected) => {
    expect(isAligned(domain, from)).toBe(expected);
  });
});
