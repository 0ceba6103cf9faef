// Whether a login may cross a connection that is not encrypted. With `tls: false` (ports 587,
// 143) signrelay upgrades with STARTTLS; a server that does not offer it — or anyone on the
// path who strips it from the server's answer, the classic downgrade — would otherwise get
// the password in clear text, with `tls_verify` never asked. So STARTTLS is required for a
// login unless the server is on this host (a relay or Dovecot on loopback), where nothing
// crosses a network.
import { isLoopbackHost } from '../loopback.ts';

/** STARTTLS must succeed before the login: a plain connection to a server on another host. */
export function mustStartTls(account: { host: string; tls: boolean }): boolean {
  return !account.tls && !isLoopbackHost(account.host);
}

/** The TLS options a mail client is built with (nodemailer's and imapflow's names): one rule for both, tested as a table. */
export function mailTlsOptions(account: { host: string; tls: boolean; tls_verify: boolean }, login: boolean, requireStartTls?: boolean): {
  secure: boolean; rejectUnauthorized: boolean; startTlsRequired: boolean;
} {
  return {
    secure: account.tls,
    rejectUnauthorized: account.tls_verify,
    startTlsRequired: !account.tls && login && (requireStartTls ?? mustStartTls(account)),
  };
}
