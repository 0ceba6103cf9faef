// intake.authentication in the request decision: a mail that fails is rejected without a
// reply (its From may be forged), beside the allow-list; a route can override the
// requirement; an unknown route and an oversize mail are held to it too; `explain` shows it.
import { describe, expect, it } from 'vitest';
import { explainJson } from '../../src/commands/explain.ts';
import { decideFromSource, decideOversize } from '../../src/intake/decide-request.ts';
import { parseRequestMail } from '../../src/intake/parse-request.ts';
import type { IntakePolicy } from '../../src/intake/types.ts';
import { buildRaw, NOW, requestMail, samplePdf, testPolicy } from './intake-helpers.ts';

const base = testPolicy();
const policy: IntakePolicy = {
  ...base,
  authentication: { require: ['dmarc'], trustedAuthservIds: ['mx.corp.example'] },
  routes: { ...base.routes, legal: { ...base.routes.legal!, require_authentication: [] }, hr: { ...base.routes.hr!, require_authentication: ['dkim', 'spf'] } },
};
const PASS = 'mx.corp.example; dkim=pass header.d=corp.example; spf=pass smtp.mailfrom=corp.example; dmarc=pass header.from=corp.example';
const FAIL = 'mx.corp.example; dkim=none; spf=fail smtp.mailfrom=corp.example; dmarc=fail header.from=corp.example';
const FORGED = 'mx.attacker.example; dmarc=pass header.from=corp.example';

const mailWith = (authResults: string[], options: Parameters<typeof requestMail>[1] = {}) =>
  requestMail('Signer: Bob Stone <bob.stone@example.com>', { headers: authResults.map((value) => ({ key: 'Authentication-Results', value })), ...options });

describe('a request mail under intake.authentication', () => {
  it('is accepted when the trusted MTA reports an aligned pass, and says so', async () => {
    const decision = parseRequestMail(await mailWith([FORGED, PASS]), policy, NOW);
    expect(decision).toMatchObject({ action: 'request', authentication: { passed: true, ignored: ['mx.attacker.example'] } });
  });

  it.each([
    ['fails', [FAIL], 'dmarc=fail header.from=corp.example; From domain corp.example'],
    ['carries only a header the sender wrote', [FORGED], 'no dmarc result from mx.corp.example; From domain corp.example (ignored Authentication-Results of untrusted authserv-id mx.attacker.example)'],
    ['carries none', [], 'no dmarc result from mx.corp.example; From domain corp.example'],
  ])('is rejected without a reply when it %s', async (_name, headers, detail) => {
    const decision = parseRequestMail(await mailWith(headers), policy, NOW);
    expect(decision).toMatchObject({ action: 'reject', reply: false, authentication: { passed: false } });
    expect(decision.reason).toBe(`ann.lee@corp.example is not authenticated as intake.authentication.require (dmarc) requires: ${detail}; filed without a reply, since the From may be forged`);
  });

  it('follows a route\'s own requirement, which replaces the global one', async () => {
    const legal = parseRequestMail(await mailWith([], { to: 'sign+legal@corp.example', from: 'Counsel <counsel@lawfirm.example>' }), policy, NOW);
    expect(legal).toMatchObject({ action: 'request', authentication: undefined });
    const hrPassing = parseRequestMail(await mailWith(['mx.corp.example; dkim=pass header.d=corp.example; spf=pass smtp.mailfrom=corp.example'], { to: 'sign+hr@corp.example' }), policy, NOW);
    expect(hrPassing).toMatchObject({ action: 'request', authentication: { passed: true } });
    const hr = parseRequestMail(await mailWith([PASS.replace('spf=pass', 'spf=softfail')], { to: 'sign+hr@corp.example' }), policy, NOW);
    expect(hr).toMatchObject({ action: 'reject', reply: false });
    expect(hr.reason).toMatch(/^ann\.lee@corp\.example is not authenticated as routes\.hr\.require_authentication \(dkim, spf\) requires: spf=softfail smtp\.mailfrom=corp\.example;/);
  });

  it('leaves the allow-list first: a sender no route allows is refused for that', async () => {
    const decision = parseRequestMail(await mailWith([FAIL], { to: 'sign+hr@corp.example', from: 'Mallory <mallory@evil.example>' }), policy, NOW);
    expect(decision).toMatchObject({ action: 'reject', reply: false });
    expect('authentication' in decision).toBe(false);
    expect(decision.reason).toMatch(/may not send requests to route "hr"/);
  });

  it('answers an unknown route only when the mail passes the global requirement', async () => {
    const forged = parseRequestMail(await mailWith([FAIL], { to: 'sign+nosuch@corp.example' }), policy, NOW);
    expect(forged).toMatchObject({ action: 'reject', reply: false, authentication: { passed: false } });
    const genuine = parseRequestMail(await mailWith([PASS], { to: 'sign+nosuch@corp.example' }), policy, NOW);
    expect(genuine).toMatchObject({ action: 'reject', reply: true });
    expect(genuine.reason).toMatch(/there is no route "nosuch"/);
  });

  it('checks nothing when nothing is required', async () => {
    expect(parseRequestMail(await mailWith([FAIL]), base, NOW)).toMatchObject({ action: 'request', authentication: undefined });
  });

  it('keeps the authentication reason for an oversize mail, decided from its headers', async () => {
    const raw = await buildRaw({ text: 'Signer: Bob Stone <bob.stone@example.com>', headers: { 'Authentication-Results': FAIL }, attachments: [{ filename: 'c.pdf', content: await samplePdf() }] });
    const { decision } = await decideOversize(raw, 99 * 1024 * 1024, policy, NOW);
    expect(decision).toMatchObject({ action: 'reject', reply: false, authentication: { passed: false } });
    expect(decision.reason).toMatch(/is not authenticated as intake\.authentication\.require/);
  });

  it('is shown by explain exactly as decided', async () => {
    const raw = await buildRaw({ text: 'Signer: Bob Stone <bob.stone@example.com>', headers: { 'Authentication-Results': FAIL }, attachments: [{ filename: 'c.pdf', content: await samplePdf() }] });
    const { decision } = await decideFromSource(raw, policy, NOW);
    const json = explainJson(decision);
    expect(json).toMatchObject({ action: 'reject', reply: false, reason: decision.reason, request: null });
    expect(json.authentication).toEqual({
      passed: false, ignored: [],
      methods: [{ method: 'dmarc', passed: false, detail: 'dmarc=fail header.from=corp.example' }],
    });
  });
});
