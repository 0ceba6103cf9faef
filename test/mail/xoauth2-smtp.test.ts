// XOAUTH2 SMTP login: the sender gets its token from the mail-oauth simulator and a real
// smtp-server checks it with the simulator (as Exchange Online or Gmail would: the app's
// SMTP.SendAsApp permission and the mailbox). Every new connection asks for a token; a
// refused one is replaced at once; a refused grant or login comes back explained.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MailOauth2Config, SmtpConfig } from '../../src/config/schema.ts';
import type { SignrelayError } from '../../src/errors.ts';
import { createMailTokenSource, memoryTokenStore } from '../../src/mail/mail-oauth-token.ts';
import { createSmtpSender, type SmtpSender } from '../../src/mail/smtp-sender.ts';
import { startMailOAuthSimulator, type MailOAuthSimulator } from '../../src/sandbox/mail-oauth/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { waitFor } from '../support/wait-for.ts';

const TENANT = 'contoso-smtp';
const SECRET = 'smtp-app-secret-do-not-log-6b2f';

let sim: MailOAuthSimulator;
let sink: SmtpSink;
/** Every XOAUTH2 login the SMTP server saw, and whether the token was good. */
const logins: Array<{ user: string; token: string; accepted: boolean }> = [];
const senders: SmtpSender[] = [];

beforeAll(async () => {
  sim = await startMailOAuthSimulator({
    microsoft: {
      tenant: TENANT,
      apps: [
        { clientId: 'send-app', clientSecret: SECRET, roles: ['SMTP.SendAsApp'], mailboxes: ['sign@corp.example'] },
        { clientId: 'imap-only-app', clientSecret: SECRET, roles: ['IMAP.AccessAsApp'], mailboxes: ['sign@corp.example'] },
      ],
    },
  });
  sink = await startSmtpSink({
    xoauth2(user, token) {
      const accepted = sim.provider.refusal('smtp', user, token) === null;
      logins.push({ user, token, accepted });
      return accepted;
    },
  });
});
afterEach(async () => {
  await Promise.all(senders.splice(0).map((sender) => sender.close()));
  sim.provider.lifetimeSeconds = 3599;
});
afterAll(async () => {
  await sink?.close();
  await sim?.close();
});

function sender(overrides: Partial<MailOauth2Config> = {}) {
  const auth: MailOauth2Config = { type: 'oauth2', provider: 'microsoft', tenant: TENANT, client_id: 'send-app', client_secret: SECRET, token_url: sim.microsoftTokenUrl(TENANT), ...overrides };
  const smtp: SmtpConfig = { host: '127.0.0.1', port: sink.port, tls: false, tls_verify: true, user: 'sign@corp.example', auth, from: 'signrelay <sign@corp.example>' };
  const log = createTestLogger('debug');
  const tokenSource = createMailTokenSource({ auth, settings: ['smtp.auth'], name: 'mail:smtp', store: memoryTokenStore() });
  const created = createSmtpSender(smtp, log.logger, { tokenSource, maxConnections: 1 });
  senders.push(created);
  return { smtp: created, log };
}

const mail = (n: number) => ({ to: 'someone@example.com', subject: `xoauth2 ${n}`, text: `mail ${n}` });

async function failure(promise: Promise<unknown>): Promise<SignrelayError> {
  try {
    await promise;
  } catch (err) {
    return err as SignrelayError;
  }
  throw new Error('expected a failure');
}

describe('XOAUTH2 login to SMTP', () => {
  it('sends after an XOAUTH2 login with an app-only token the server had confirmed', async () => {
    const seen = logins.length;
    const { smtp, log } = sender();
    await smtp.send(mail(1));
    expect(sink.messages.at(-1)?.parsed?.subject).toBe('xoauth2 1');
    expect(logins.slice(seen)).toEqual([{ user: 'sign@corp.example', token: expect.stringMatching(/^EwB/), accepted: true }]);
    expect(log.text()).not.toContain(SECRET);
    for (const token of sim.provider.issued) expect(log.text()).not.toContain(token);
  });

  it('logs in to a new connection with a new token once the old one is due', async () => {
    sim.provider.lifetimeSeconds = 2; // renewed 0.5 s before it expires
    const seen = logins.length;
    const { smtp } = sender();
    await smtp.send(mail(2));
    const first = logins.at(-1)!.token;
    await waitFor(() => sim.provider.refusal('smtp', 'sign@corp.example', first), { what: 'the first token to expire', timeoutMs: 4_000 });
    // The server drops the pooled connection (a restart): the next mail needs a new login.
    await sink.stop();
    await sink.start();
    await smtp.send(mail(3));
    const after = logins.slice(seen);
    expect(after.map((l) => l.accepted)).toEqual([true, true]);
    expect(after[1]!.token).not.toBe(first);
  });

  it('replaces a token the server refuses (revoked early) within the same send', async () => {
    const seen = logins.length;
    const { smtp } = sender();
    await smtp.send(mail(4));
    sim.provider.revokeAccessTokens();
    await sink.stop();
    await sink.start();
    await smtp.send(mail(5));
    expect(sink.messages.at(-1)?.parsed?.subject).toBe('xoauth2 5');
    const after = logins.slice(seen);
    expect(after.map((l) => l.accepted)).toEqual([true, false, true]);
    expect(after[1]!.token).toBe(after[0]!.token);
    expect(after[2]!.token).not.toBe(after[0]!.token);
  });

  it('fails a send whose token grant is refused with the operator error naming smtp.auth', async () => {
    const { smtp, log } = sender({ client_secret: 'wrong-smtp-secret-3a3a' });
    const error = await failure(smtp.send(mail(6)));
    expect(error).toMatchObject({ kind: 'auth', code: 'mail_oauth_refused' });
    expect(error.message).toContain('smtp.auth.client_secret');
    expect(error.message).not.toContain('wrong-smtp-secret-3a3a');
    expect(log.text()).not.toContain('wrong-smtp-secret-3a3a');
  });

  it('explains a login refused for lack of SMTP.SendAsApp with the Exchange Online steps', async () => {
    const { smtp } = sender({ client_id: 'imap-only-app' });
    const error = await failure(smtp.verify());
    expect(error).toMatchObject({ kind: 'auth', code: 'smtp_oauth_refused' });
    expect(error.message).toContain('SMTP.SendAsApp');
    expect(error.message).toContain('Set-CASMailbox -Identity "sign@corp.example" -SmtpClientAuthenticationDisabled $false');
    expect(error.message).not.toContain('smtp.password');
  });
});
