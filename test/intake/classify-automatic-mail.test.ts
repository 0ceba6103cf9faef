// RFC 3834 classification: which mails are never touched, which are processed silently.
import { describe, expect, it } from 'vitest';
import type { SendMailOptions } from 'nodemailer';
import { classifyAutomaticMail } from '../../src/intake/classify-automatic-mail.ts';
import { parseRequestMail } from '../../src/intake/parse-request.ts';
import { buildMail, NOW, requestMail, testPolicy } from './intake-helpers.ts';

const policy = testPolicy();
type Row = [label: string, options: SendMailOptions, kind: 'ignore' | 'no-reply' | null, reason?: RegExp];

const rows: Row[] = [
  ['an ordinary mail', {}, null],
  ['Auto-Submitted: no', { headers: { 'Auto-Submitted': 'no' } }, null],
  ['Return-Path <> (null sender)', { headers: { 'Return-Path': '<>' } }, 'ignore', /null return path/],
  ['From MAILER-DAEMON', { from: 'Mail Delivery System <MAILER-DAEMON@mx.partner.example>' }, 'ignore', /mail system \(mailer-daemon@mx\.partner\.example\)/i],
  ['From postmaster', { from: 'postmaster@partner.example' }, 'ignore', /mail system/],
  ['Return-Path MAILER-DAEMON', { headers: { 'Return-Path': '<MAILER-DAEMON>' } }, 'ignore', /mail system/],
  ['Auto-Submitted: auto-replied', { headers: { 'Auto-Submitted': 'auto-replied' } }, 'ignore', /automatic reply/],
  ['Auto-Submitted with parameters', { headers: { 'Auto-Submitted': { prepared: true, value: 'Auto-Replied; owner-email="ann@corp.example" (vacation)' } } }, 'ignore', /auto-replied/],
  ['Auto-Submitted: auto-notified', { headers: { 'Auto-Submitted': 'auto-notified' } }, 'ignore', /automatic reply/],
  ['X-Autoreply', { headers: { 'X-Autoreply': 'yes' } }, 'ignore', /x-autoreply/],
  ['X-Autorespond', { headers: { 'X-Autorespond': 'Out of office' } }, 'ignore', /x-autorespond/],
  ['List-Id', { headers: { 'List-Id': '<legal.lists.corp.example>' } }, 'ignore', /mailing-list/],
  ['List-Post', { headers: { 'List-Post': '<mailto:legal@lists.corp.example>' } }, 'ignore', /mailing-list/],
  ['Precedence: list', { headers: { Precedence: 'list' } }, 'ignore', /Precedence: list/],
  ['Precedence: junk', { headers: { Precedence: 'junk' } }, 'ignore', /Precedence: junk/],
  ['our marker header', { headers: { 'X-Signrelay': 'reply' } }, 'ignore', /own mail/],
  ['From our SMTP address', { from: 'signrelay <SignRelay@corp.example>' }, 'ignore', /own address signrelay@corp\.example/i],
  ['From a return address with a token', { from: 'returns+q7x2@corp.example' }, 'ignore', /own address/],
  ['From the request address itself', { from: 'sign+hr@corp.example' }, 'ignore', /own address/],
  ['a delivery report part', { attachments: [{ content: 'Original-Recipient: rfc822;x@y.example\n', contentType: 'message/disposition-notification' }] }, 'ignore', /message\/disposition-notification/],
  ['Auto-Submitted: auto-generated (ServiceNow)', { headers: { 'Auto-Submitted': 'auto-generated' } }, 'no-reply', /auto-generated/],
  ['Precedence: bulk', { headers: { Precedence: 'bulk' } }, 'no-reply', /bulk/],
  ['X-Auto-Response-Suppress', { headers: { 'X-Auto-Response-Suppress': 'All' } }, 'no-reply', /X-Auto-Response-Suppress/],
  ['List-Unsubscribe without List-Id', { headers: { 'List-Unsubscribe': '<https://news.example/u/1>' } }, 'no-reply', /List-Unsubscribe/],
];

describe('classifyAutomaticMail', () => {
  it.each(rows)('%s', async (_label, options, kind, reason) => {
    const result = classifyAutomaticMail(await buildMail(options), policy.ownAddresses, policy.requestAddress);
    expect(result?.kind ?? null).toBe(kind);
    if (reason) expect(result?.reason).toMatch(reason);
  });

  it('puts a list ahead of bulk: a list mail with Precedence: bulk is ignored', async () => {
    const mail = await buildMail({ headers: { 'List-Id': '<x.lists.example>', Precedence: 'bulk' } });
    expect(classifyAutomaticMail(mail, [], policy.requestAddress)?.kind).toBe('ignore');
  });
});

describe('parseRequestMail on machine mail', () => {
  it('ignores an ignorable mail even when it is a valid request', async () => {
    const mail = await requestMail('Signer: Ann Lee <ann.lee@corp.example>', { headers: { 'Auto-Submitted': 'auto-replied' } });
    expect(parseRequestMail(mail, policy, NOW)).toMatchObject({ action: 'ignore', reply: false });
  });

  it('processes a machine-generated request and marks it as not to be answered', async () => {
    const mail = await requestMail('Signer: Ann Lee <ann.lee@corp.example>', { headers: { 'Auto-Submitted': 'auto-generated' } });
    const decision = parseRequestMail(mail, policy, NOW);
    if (decision.action !== 'request') throw new Error(decision.reason);
    expect(decision.draft.noReplyReason).toMatch(/auto-generated/);
  });

  it('rejects a bad machine-generated request without a reply', async () => {
    const mail = await buildMail({ text: 'Signer: Ann Lee <ann.lee@corp.example>', headers: { Precedence: 'bulk' } });
    expect(parseRequestMail(mail, policy, NOW)).toMatchObject({ action: 'reject', reply: false });
  });
});
