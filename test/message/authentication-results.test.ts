// The Authentication-Results parser against the shapes real MTAs write: Microsoft 365 (no
// authserv-id, `action=`, stray `; hotmail.com;` fragments), Google, Postfix with OpenDKIM,
// OpenDMARC and policyd-spf, Rspamd, and RFC 8601's own examples; folded lines, comments
// with `;` and nesting inside, quoted values, method versions.
import { describe, expect, it } from 'vitest';
import { parseAuthenticationResults } from '../../src/message/authentication-results.ts';

const r = (method: string, result: string, properties: Record<string, string> = {}, reason?: string) =>
  (reason === undefined ? { method, result, properties } : { method, result, reason, properties });

describe('parseAuthenticationResults', () => {
  it.each([
    ['Microsoft 365 (no authserv-id, folded)',
      'spf=pass (sender IP is 40.107.22.101)\r\n smtp.mailfrom=contoso.com; dkim=pass (signature was verified)\r\n header.d=contoso.com;dmarc=pass action=none header.from=contoso.com;compauth=pass\r\n reason=100',
      { authservId: null, results: [
        r('spf', 'pass', { 'smtp.mailfrom': 'contoso.com' }),
        r('dkim', 'pass', { 'header.d': 'contoso.com' }),
        r('dmarc', 'pass', { action: 'none', 'header.from': 'contoso.com' }),
        r('compauth', 'pass', {}, '100'),
      ] }],
    ['Outlook.com with stray "; hotmail.com;" fragments',
      'spf=none (sender IP is 203.0.113.5) smtp.mailfrom=example.net; hotmail.com; dkim=none header.d=example.net;hotmail.com; dmarc=none action=none header.from=example.net;compauth=fail reason=001',
      { authservId: null, results: [
        r('spf', 'none', { 'smtp.mailfrom': 'example.net' }),
        r('dkim', 'none', { 'header.d': 'example.net' }),
        r('dmarc', 'none', { action: 'none', 'header.from': 'example.net' }),
        r('compauth', 'fail', {}, '001'),
      ] }],
    ['Google (header.i only, nested arc comment, base64 with + and /)',
      'mx.google.com;\r\n       dkim=pass header.i=@corp.example header.s=google header.b=Xk2m+9/Q;\r\n       arc=pass (i=1 spf=pass spfdomain=corp.example dkim=pass dkdomain=corp.example dmarc=pass fromdomain=corp.example);\r\n       spf=pass (google.com: domain of ann.lee@corp.example designates 209.85.220.41 as permitted sender) smtp.mailfrom=ann.lee@corp.example;\r\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=corp.example',
      { authservId: 'mx.google.com', results: [
        r('dkim', 'pass', { 'header.i': '@corp.example', 'header.s': 'google', 'header.b': 'Xk2m+9/Q' }),
        r('arc', 'pass'),
        r('spf', 'pass', { 'smtp.mailfrom': 'ann.lee@corp.example' }),
        r('dmarc', 'pass', { 'header.from': 'corp.example' }),
      ] }],
    ['OpenDKIM (a ";" inside a comment, quoted header.b)',
      'mail.corp.example;\n\tdkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com header.a=rsa-sha256 header.s=mail header.b="dGVzdC1i"',
      { authservId: 'mail.corp.example', results: [
        r('dkim', 'pass', { 'header.d': 'example.com', 'header.i': '@example.com', 'header.a': 'rsa-sha256', 'header.s': 'mail', 'header.b': 'dGVzdC1i' }),
      ] }],
    ['OpenDMARC', 'mail.corp.example; dmarc=fail (p=reject dis=none) header.from=example.com',
      { authservId: 'mail.corp.example', results: [r('dmarc', 'fail', { 'header.from': 'example.com' })] }],
    ['policyd-spf (a comment after the property, with ";" and "<>" inside)',
      'mail.corp.example; spf=pass (sender SPF authorized) smtp.mailfrom=example.com (client-ip=192.0.2.1; helo=mail.example.com; envelope-from=ann@example.com; receiver=<UNKNOWN>)',
      { authservId: 'mail.corp.example', results: [r('spf', 'pass', { 'smtp.mailfrom': 'example.com' })] }],
    ['Rspamd (three results, folded with tabs)',
      'MX.Corp.Example;\n\tdkim=pass header.d=corp.example header.s=dkim header.b=AbCd;\n\tdmarc=pass (policy=reject) header.from=corp.example;\n\tspf=pass (mx.corp.example: domain of ann@corp.example designates 192.0.2.10 as permitted sender) smtp.mailfrom=ann@corp.example',
      { authservId: 'mx.corp.example', results: [
        r('dkim', 'pass', { 'header.d': 'corp.example', 'header.s': 'dkim', 'header.b': 'AbCd' }),
        r('dmarc', 'pass', { 'header.from': 'corp.example' }),
        r('spf', 'pass', { 'smtp.mailfrom': 'ann@corp.example' }),
      ] }],
    ['RFC 8601 with a version and an auth result', 'example.org 1; auth=pass (cram-md5) smtp.auth=sender@example.net; spf=pass smtp.mailfrom=example.net',
      { authservId: 'example.org', results: [r('auth', 'pass', { 'smtp.auth': 'sender@example.net' }), r('spf', 'pass', { 'smtp.mailfrom': 'example.net' })] }],
    ['RFC 8601 "none"', 'example.com; none', { authservId: 'example.com', results: [] }],
    ['quoted authserv-id, quoted reason with ";" inside, quoted value',
      '"mx.corp.example"; dkim=pass reason="good sig; trust it" header.d="corp.example"',
      { authservId: 'mx.corp.example', results: [r('dkim', 'pass', { 'header.d': 'corp.example' }, 'good sig; trust it')] }],
    ['a method version and nested comments', 'mx.corp.example; dkim/1=pass (good (really; truly) sig) header.d=corp.example',
      { authservId: 'mx.corp.example', results: [r('dkim', 'pass', { 'header.d': 'corp.example' })] }],
    ['upper-case method and result, "=" inside an unquoted value', 'mx.corp.example; DKIM=PASS header.d=corp.example header.b=ab=cd',
      { authservId: 'mx.corp.example', results: [r('dkim', 'pass', { 'header.d': 'corp.example', 'header.b': 'ab=cd' })] }],
    ['a trailing ";" and empty results', 'mx.corp.example; ; spf=pass smtp.mailfrom=corp.example;',
      { authservId: 'mx.corp.example', results: [r('spf', 'pass', { 'smtp.mailfrom': 'corp.example' })] }],
    ['an unterminated comment swallows the rest', 'mx.corp.example; dkim=pass (oops header.d=corp.example',
      { authservId: 'mx.corp.example', results: [r('dkim', 'pass')] }],
  ])('%s', (_name, value, expected) => {
    expect(parseAuthenticationResults(value)).toEqual(expected);
  });

  it.each([
    ['empty', ''],
    ['words that are no header', 'this is not an authentication result'],
    ['a comment only', '(nothing here)'],
  ])('gives null for %s', (_name, value) => {
    expect(parseAuthenticationResults(value)).toBeNull();
  });
});
