// XOAUTH2 for the SMTP sender (smtp.auth type oauth2): nodemailer's OAuth2 auth with a
// provisioning callback backed by a token source. Every new SMTP connection asks for a
// token; nodemailer reuses one only until our renewal time, and when the server refuses
// a token it asks once more with `renew` — then the source replaces that very token. A
// failure to get a token reaches the caller as the token source's own error (nodemailer
// would otherwise overwrite its code with EAUTH), a refused login as an explanation of the
// provider's admin steps.
import { hostAndPort } from '../loopback.ts';
import type { SmtpConfig } from '../config/schema.ts';
import { SignrelayError, isSignrelayError } from '../errors.ts';
import { classifySmtpError, type SmtpErrorContext } from './classify-smtp-error.ts';
import { loginRefused } from './mail-oauth-messages.ts';
import type { MailTokenSource } from './mail-oauth-token.ts';

type Provision = (user: string, renew: boolean, callback: (err: Error | null, accessToken?: string, expires?: number) => void) => void;

/** Carries a token source's failure through nodemailer untouched. */
class TokenUnavailable extends Error {
  readonly failure: SignrelayError;
  constructor(failure: SignrelayError) {
    super(failure.message);
    this.failure = failure;
  }
}

export interface SmtpOauth {
  /** nodemailer's `auth` option. */
  auth: { type: 'OAuth2'; user: string; provisionCallback: Provision };
  /** classifySmtpError for this sender: token failures as they are, refused logins explained. */
  classify(err: unknown, context: SmtpErrorContext): SignrelayError;
}

export function smtpOauth(smtp: SmtpConfig, source: MailTokenSource): SmtpOauth {
  let given: string | undefined;
  const provisionCallback: Provision = (_user, renew, callback) => {
    source.accessToken({ rejected: renew ? given : undefined }).then((token) => {
      given = token.value;
      callback(null, token.value, token.renewAt);
    }, (err: unknown) => {
      const failure = isSignrelayError(err) ? err : new SignrelayError('transient', 'mail_oauth_failed', String(err), { cause: err });
      callback(new TokenUnavailable(failure));
    });
  };
  return {
    auth: { type: 'OAuth2', user: smtp.user ?? '', provisionCallback },
    classify(err, context) {
      if (err instanceof TokenUnavailable) return err.failure;
      const error = classifySmtpError(err, context);
      if (error.code !== 'smtp_auth_failed') return error;
      return loginRefused(source, { protocol: 'SMTP', server: hostAndPort(context.host, context.port), user: smtp.user ?? '' }, err);
    },
  };
}
