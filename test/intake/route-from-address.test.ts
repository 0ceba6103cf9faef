// Routes from the plus-address, and who may use them.
import { describe, expect, it } from 'vitest';
import type { SendMailOptions } from 'nodemailer';
import { parseRequestMail } from '../../src/intake/parse-request.ts';
import { routeAddress, routeFromAddress } from '../../src/intake/route-from-address.ts';
import { isSenderAllowed } from '../../src/message/sender-allowed.ts';
import { buildMail, NOW, requestMail, testPolicy } from './intake-helpers.ts';

const REQUEST = 'sign@corp.example';

const routeRows: Array<[label: string, options: SendMailOptions, route: string, address: string | null]> = [
  ['the plain request address', { to: 'sign@corp.example' }, 'default', 'sign@corp.example'],
  ['a plus-address in To', { to: 'HR <sign+hr@corp.example>' }, 'hr', 'sign+hr@corp.example'],
  ['any case', { to: 'SIGN+HR@CORP.EXAMPLE' }, 'hr', 'sign+hr@corp.example'],
  ['among other recipients', { to: ['ann@corp.example', '"Sign, HR" <sign+hr@corp.example>'] }, 'hr', 'sign+hr@corp.example'],
  ['in Cc', { to: 'bob@corp.example', cc: 'sign+legal@corp.example' }, 'legal', 'sign+legal@corp.example'],
  ['Delivered-To before To', { to: 'sign@corp.example', headers: { 'Delivered-To': 'sign+hr@corp.example' } }, 'hr', 'sign+hr@corp.example'],
  ['X-Original-To (Postfix)', { to: 'team@corp.example', headers: { 'X-Original-To': 'sign+legal@corp.example' } }, 'legal', 'sign+legal@corp.example'],
  ['an empty tag', { to: 'sign+@corp.example' }, 'default', 'sign+@corp.example'],
  ['another domain does not count', { to: 'sign+hr@other.example' }, 'default', null],
  ['a similar local part does not count', { to: 'signer+hr@corp.example' }, 'default', null],
  ['Bcc (no recipient field names us)', { to: 'team@corp.example' }, 'default', null],
];

describe('routeFromAddress', () => {
  it.each(routeRows)('%s', async (_label, options, route, address) => {
    expect(routeFromAddress(await buildMail(options), REQUEST)).toEqual({ route, address });
  });

  it('names route addresses', () => {
    expect(routeAddress(REQUEST, 'default')).toBe('sign@corp.example');
    expect(routeAddress(REQUEST, 'hr')).toBe('sign+hr@corp.example');
  });
});

describe('unknown routes', () => {
  it('rejects with a reply that names the known routes', async () => {
    const decision = parseRequestMail(await requestMail('', { to: 'sign+finance@corp.example' }), testPolicy(), NOW);
    expect(decision).toMatchObject({ action: 'reject', reply: true });
    expect(decision.reason).toBe('there is no route "finance" (you wrote to sign+finance@corp.example): send the request to one of sign@corp.example, sign+hr@corp.example, sign+legal@corp.example');
  });

  it('does not answer a sender that no route accepts', async () => {
    const policy = testPolicy();
    policy.routes = { default: { ...policy.routes['default']!, allowed_senders: ['*@corp.example'] } };
    const mail = await requestMail('', { from: 'spam@bad.example', to: 'sign+x@corp.example' });
    expect(parseRequestMail(mail, policy, NOW)).toMatchObject({ action: 'reject', reply: false });
  });
});

describe('allowed senders', () => {
  const rows: Array<[sender: string, patterns: string[], allowed: boolean]> = [
    ['anyone@anywhere.example', [], true],
    ['ann.lee@corp.example', ['ann.lee@corp.example'], true],
    ['Ann.Lee@Corp.Example', ['ann.lee@corp.example'], true],
    ['ann.lee@corp.example', ['*@corp.example'], true],
    ['ann.lee@CORP.example', ['*@Corp.Example'], true],
    ['ann.lee@sub.corp.example', ['*@corp.example'], false],
    ['ann.lee@corp.example.evil', ['*@corp.example'], false],
    ['bob@corp.example', ['ann.lee@corp.example'], false],
  ];
  it.each(rows)('%s with %j → %s', (sender, patterns, allowed) => {
    expect(isSenderAllowed(sender, patterns)).toBe(allowed);
  });

  it('rejects a sender the route does not allow, without a reply, saying who and which route', async () => {
    const mail = await requestMail('Signer: Ann Lee <ann.lee@corp.example>', { from: 'mallory@partner.example', to: 'sign+hr@corp.example' });
    const decision = parseRequestMail(mail, testPolicy(), NOW);
    expect(decision).toMatchObject({ action: 'reject', reply: false });
    expect(decision.reason).toMatch(/^mallory@partner\.example may not send requests to route "hr": .*routes\.hr\.allowed_senders/);
  });

  it('accepts an allowed sender on a restricted route', async () => {
    const mail = await requestMail('', { from: 'Counsel <counsel@lawfirm.example>', to: 'sign+legal@corp.example', subject: 'NDA' });
    const decision = parseRequestMail(mail, testPolicy(), NOW);
    if (decision.action !== 'request') throw new Error(decision.reason);
    expect(decision.draft).toMatchObject({ route: 'legal', record: null, signersFrom: 'route', due: '2026-12-03' });
  });
});
