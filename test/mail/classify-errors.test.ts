// Error classification tables: error shapes as imapflow 2.1.2 and nodemailer actually
// produce them (recorded against Dovecot and smtp-server) → kind, code and the setting the
// message names.
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { classifyImapError } from '../../src/mail/classify-imap-error.ts';
import { classifySmtpError } from '../../src/mail/classify-smtp-error.ts';

const imapContext = { mailbox: 'requests', host: 'imap.corp.example', port: 993, user: 'sign' };
const err = (fields: Record<string, unknown>, message = 'failed') => Object.assign(new Error(message), fields);

describe('classifyImapError', () => {
  it.each([
    ['login refused', err({ authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED', responseText: 'Authentication failed.' }, 'Command failed'), 'auth', 'imap_auth_failed', 'mailboxes.requests.password'],
    ['expired password', err({ serverResponseCode: 'EXPIRED', responseText: 'Password expired' }), 'auth', 'imap_auth_failed', 'mailboxes.requests.user'],
    ['refused connection', err({ code: 'ECONNREFUSED' }, 'connect ECONNREFUSED'), 'transient', 'imap_unavailable', 'tries again with backoff; if this lasts, check that the server is running, and mailboxes.requests.host, mailboxes.requests.port and mailboxes.requests.tls'],
    ['greeting timeout', err({ code: 'GREETING_TIMEOUT' }), 'transient', 'imap_unavailable', 'imap.corp.example:993'],
    ['greeting timeout, as from a TLS port spoken to plainly', err({ code: 'GREETING_TIMEOUT' }), 'transient', 'imap_unavailable', 'sends no greeting to a plain connection: then set mailboxes.requests.tls: true'],
    ['connection lost', err({ code: 'NoConnection' }, 'Connection not available'), 'transient', 'imap_unavailable', 'NoConnection'],
    ['self-signed certificate', err({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'self-signed certificate'), 'config', 'imap_tls_verify', 'mailboxes.requests.tls_verify'],
    ['private CA', err({ code: 'SELF_SIGNED_CERT_IN_CHAIN' }, 'self-signed certificate in certificate chain'), 'config', 'imap_tls_verify', 'NODE_EXTRA_CA_CERTS=/path/to/ca.pem'],
    ['certificate name mismatch', err({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'config', 'imap_tls_verify', 'tls_verify: false'],
    ['certificate for another name', err({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, "Hostname/IP does not match certificate's altnames"), 'config', 'imap_tls_verify', 'Set mailboxes.requests.host to a name the certificate is issued for'],
    ['TLS on a plain port', err({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }, 'wrong version number'), 'config', 'imap_tls_mismatch', 'mailboxes.requests.port'],
    ['unknown host', err({ code: 'ENOTFOUND' }), 'config', 'imap_host_unknown', 'mailboxes.requests.host'],
    ['login needs TLS', err({ serverResponseCode: 'PRIVACYREQUIRED' }), 'config', 'imap_tls_required', 'mailboxes.requests.tls'],
    ['missing folder', err({ mailboxMissing: true, serverResponseCode: 'NONEXISTENT' }), 'config', 'imap_folder_missing', '"INBOX"'],
    // Dovecot's mail_max_userip_connections (RFC 5530 LIMIT); Gmail says it in words. imapflow marks both authenticationFailed.
    ['connection limit (LIMIT)', err({ authenticationFailed: true, serverResponseCode: 'LIMIT', responseText: 'Maximum number of connections from user+IP exceeded (mail_max_userip_connections=3)' }, 'Command failed'), 'transient', 'imap_connection_limit', "the account's connection limit on that server is reached"],
    ['connection limit (Gmail)', err({ authenticationFailed: true, serverResponseCode: 'ALERT', responseText: 'Too many simultaneous connections. (Failure)' }, 'Command failed'), 'transient', 'imap_connection_limit', "Close the clients the mailbox does not need, or raise the server's limit for the account"],
    ['a NO without a code to SELECT of a folder that is not the watched one', err({ responseStatus: 'NO', responseText: "Mailbox doesn't exist: INBOX", executedCommand: '4 SELECT INBOX' }, 'Command failed'), 'transient', 'imap_error', "Mailbox doesn't exist"],
    ['anything else', new Error('odd'), 'transient', 'imap_error', 'odd'],
  ])('%s → %s', (_name, error, kind, code, mentions) => {
    const classified = classifyImapError(error, { ...imapContext, folder: 'INBOX' });
    expect(classified).toBeInstanceOf(SignrelayError);
    expect(classified).toMatchObject({ kind, code });
    expect(classified.message).toContain(mentions);
    expect(classified.cause).toBe(error);
  });

  it('names the settings a shared login comes from: the return mailbox on the request account', () => {
    const refused = err({ authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED', responseText: 'Authentication failed.' }, 'Command failed');
    const shared = classifyImapError(refused, { ...imapContext, mailbox: 'returns', loginSettings: { user: 'mailboxes.requests.user', password: 'mailboxes.requests.password' } });
    expect(shared.message).toContain('Put the account\'s current login and password in mailboxes.requests.user and mailboxes.requests.password and restart');
    expect(classifyImapError(refused, { ...imapContext, mailbox: 'returns' }).message).toContain('in mailboxes.returns.user and mailboxes.returns.password');
  });

  it('names the setting of the watched folder when that is the one missing', () => {
    const missing = err({ mailboxMissing: true, serverResponseCode: 'NONEXISTENT' });
    const classified = classifyImapError(missing, { ...imapContext, folder: 'Sign/In', folderSetting: 'mailboxes.requests.folder' });
    expect(classified).toMatchObject({ kind: 'config', code: 'imap_folder_missing' });
    expect(classified.message).toBe('The IMAP folder "Sign/In" does not exist for sign on imap.corp.example:993. ' +
      'Create it on the server, or set mailboxes.requests.folder to a folder that exists (e.g. INBOX).');
  });

  it('says how many connections signrelay holds when the login is refused for the limit: not the password', () => {
    const limit = err({ authenticationFailed: true, serverResponseCode: 'LIMIT', responseText: 'Maximum number of connections from user+IP exceeded (mail_max_userip_connections=3)' }, 'Command failed');
    const classified = classifyImapError(limit, { ...imapContext, folder: 'INBOX', folderSetting: 'mailboxes.requests.folder' });
    expect(classified).toMatchObject({ kind: 'transient', code: 'imap_connection_limit' });
    expect(classified.message).toContain('(server said: Maximum number of connections from user+IP exceeded (mail_max_userip_connections=3))');
    expect(classified.message).toContain('signrelay keeps one connection open per watched mailbox — two on one account when the return mailbox shares the request account — ' +
      'and `signrelay check`, or a reload that changes the mail settings, opens one more while it runs');
    expect(classified.message).not.toContain('password');
  });

  it('takes a NO without a code to the SELECT or EXAMINE of the watched folder for the folder setting: a \\Noselect parent', () => {
    for (const command of ['7 SELECT Signing', '8 EXAMINE Signing']) {
      const refused = err({ responseStatus: 'NO', responseText: "Mailbox doesn't exist: Signing", executedCommand: command }, 'Command failed');
      const classified = classifyImapError(refused, { ...imapContext, folder: 'Signing', folderSetting: 'mailboxes.requests.folder' });
      expect(classified).toMatchObject({ kind: 'config', code: 'imap_folder_missing' });
      expect(classified.message).toBe('The IMAP folder "Signing" cannot be opened for sign on imap.corp.example:993 (server said: Mailbox doesn\'t exist: Signing): ' +
        'it does not exist, or is only a parent of other folders. Create it on the server, or set mailboxes.requests.folder to a folder that exists (e.g. INBOX).');
    }
    // Another NO (a right missing, [NOPERM]) keeps its own words.
    const noPermission = err({ responseStatus: 'NO', serverResponseCode: 'NOPERM', responseText: 'Permission denied', executedCommand: '7 SELECT Signing' }, 'Command failed');
    expect(classifyImapError(noPermission, { ...imapContext, folder: 'Signing', folderSetting: 'mailboxes.requests.folder' })).toMatchObject({ code: 'imap_error' });
  });

  it("keeps Node's own hint out of a certificate error: the fix it names is ours", () => {
    const classified = classifyImapError(err({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      'self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca'), imapContext);
    expect(classified.message).toContain('(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate)');
    expect(classified.message).not.toContain('--use-system-ca');
  });

  it('passes a SignrelayError through and carries a throttle hint', () => {
    const own = new SignrelayError('config', 'x', 'y');
    expect(classifyImapError(own, imapContext)).toBe(own);
    expect(classifyImapError(err({ code: 'ETHROTTLE', throttleReset: 2_500 }), imapContext).retryAfterSeconds).toBe(3);
  });
});

describe('classifySmtpError', () => {
  const context = { host: 'smtp.corp.example', port: 587, user: 'relay', password: 'hunter2-secret' };
  it.each([
    ['all recipients refused (550)', err({ code: 'EENVELOPE', responseCode: 550, response: '550 No such user' }), 'permanent', 'smtp_rejected', '550 No such user'],
    ['recipient deferred (451)', err({ code: 'EENVELOPE', responseCode: 451, response: '451 Try later' }), 'transient', 'smtp_deferred', '451'],
    ['login refused (535)', err({ code: 'EAUTH', responseCode: 535, response: '535 Authentication credentials invalid' }), 'auth', 'smtp_auth_failed', 'smtp.password'],
    // Exchange Online with SMTP AUTH switched off for the mailbox: a refused login, not a port without one.
    ['login method refused (504 5.7.4)', err({ code: 'EAUTH', responseCode: 504, response: '504 5.7.4 Unrecognized authentication type' }), 'auth', 'smtp_auth_failed', 'smtp.password'],
    ['server down', err({ code: 'ESOCKET', command: 'CONN' }, 'connect ECONNREFUSED 127.0.0.1:1'), 'transient', 'smtp_unavailable', 'ECONNREFUSED'],
    ['server down: the settings to check', err({ code: 'ESOCKET', command: 'CONN' }, 'connect ECONNREFUSED 127.0.0.1:1'), 'transient', 'smtp_unavailable', 'smtp.host and smtp.port'],
    ['timeout', err({ code: 'ETIMEDOUT' }, 'Greeting never received'), 'transient', 'smtp_unavailable', 'Greeting'],
    ['no greeting, as from a TLS port spoken to plainly', err({ code: 'ETIMEDOUT' }, 'Greeting never received'), 'transient', 'smtp_unavailable', '(usually 465) sends no greeting to a plain connection: then set smtp.tls: true.'],
    ['no route to the server', err({ code: 'ESOCKET', command: 'CONN', originalCode: 'EHOSTUNREACH' }, 'connect EHOSTUNREACH 10.0.0.9:587'), 'transient', 'smtp_unavailable', 'could not be reached'],
    ['connect timeout', err({ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'CONNECT_TIMEOUT' }, 'Connection timeout'), 'transient', 'smtp_unavailable', 'could not be reached'],
    ['closed after the message (no answer)', err({ code: 'ECONNECTION', command: 'CONN' }, 'Connection closed unexpectedly'), 'transient', 'smtp_dropped', 'may have gone out'],
    ['closed before the greeting, again and again (the pool gave up handing it over)', err({ code: 'ECONNECTION' }, 'Reached maximum number of retries after connection was closed'), 'transient', 'smtp_unavailable', 'could not be reached'],
    ['silent while the message went', err({ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'SOCKET_TIMEOUT' }, 'Timeout'), 'transient', 'smtp_dropped', 'may have gone out'],
    ['reset once open', err({ code: 'ESOCKET', command: 'CONN', originalCode: 'ECONNRESET' }, 'read ECONNRESET'), 'transient', 'smtp_dropped', 'ECONNRESET'],
    ['self-signed certificate', err({ code: 'ESOCKET', command: 'CONN', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca'), 'config', 'smtp_tls_verify', 'smtp.tls_verify'],
    ['self-signed certificate: the CA fix', err({ code: 'ESOCKET', command: 'CONN', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'self-signed certificate'), 'config', 'smtp_tls_verify', 'NODE_EXTRA_CA_CERTS=/path/to/ca.pem'],
    ['certificate for another host', err({ code: 'ESOCKET', command: 'CONN', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' }, "Hostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list: "), 'config', 'smtp_tls_verify', 'Set smtp.host to a name the certificate is issued for'],
    ['untrusted chain (code only)', err({ code: 'ESOCKET', originalCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'TLS failed'), 'config', 'smtp_tls_verify', 'tls_verify: false'],
    ['TLS to a plain port', err({ code: 'ESOCKET' }, 'ssl3_get_record:wrong version number'), 'config', 'smtp_tls_mismatch', 'smtp.port'],
    ['unknown host', err({ code: 'EDNS' }, 'getaddrinfo ENOTFOUND smtp.corp.example'), 'config', 'smtp_host_unknown', 'smtp.host'],
    ['message cannot be built', err({ code: 'EMESSAGE' }, 'ENOENT attachment'), 'permanent', 'smtp_bad_message', 'ENOENT'],
    // This stop's reviews: where an answer comes decides what it means.
    ['4xx after the final dot', err({ code: 'EMESSAGE', command: 'DATA', responseCode: 451, response: '451 4.3.0 Error: queue file write error' }), 'transient', 'smtp_deferred', 'try again later'],
    ['421 at the greeting', err({ code: 'EPROTOCOL', command: 'CONN', responseCode: 421, response: '421 4.3.2 Service not available' }), 'transient', 'smtp_unavailable', 'not taking mail now'],
    ['421 answered to the login: the server closing, not a wrong password', err({ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 421, response: '421 4.7.0 Too many connections' }), 'transient', 'smtp_unavailable', 'not taking mail now'],
    ['STARTTLS not available now (454), with a login', err({ code: 'ETLS', command: 'STARTTLS', responseCode: 454, response: '454 4.7.0 TLS not available due to local problem' }), 'transient', 'smtp_unavailable', 'not taking mail now'],
    ['STARTTLS refused (502), with a login', err({ code: 'ETLS', command: 'STARTTLS', responseCode: 502, response: '502 5.5.1 Unrecognized command' }), 'config', 'smtp_starttls_missing', 'sends its login only over an encrypted connection'],
    ['554 at the greeting: this host refused', err({ code: 'EPROTOCOL', command: 'CONN', responseCode: 554, response: '554 5.7.1 Service unavailable; Client host [10.0.0.9] blocked' }), 'config', 'smtp_refused_connection', 'accepts mail from this host'],
    ['the sender refused at MAIL FROM', err({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553, response: '553 5.7.1 Sender address rejected' }), 'config', 'smtp_sender_refused', 'smtp.from'],
  ])('%s → %s', (_name, error, kind, code, mentions) => {
    const classified = classifySmtpError(error, context);
    expect(classified).toMatchObject({ kind, code });
    expect(classified.message).toContain(mentions);
  });

  it('a STARTTLS refusal without a login is not about a login', () => {
    const refused = classifySmtpError(err({ code: 'ETLS', command: 'STARTTLS', responseCode: 502, response: '502 5.5.1 Unrecognized command' }), { host: 'relay.corp.example', port: 25 });
    expect(refused).toMatchObject({ kind: 'config', code: 'smtp_tls_mismatch' });
    expect(refused.message).not.toMatch(/login/);
  });

  it("gives our advice for an untrusted certificate, not Node's", () => {
    const classified = classifySmtpError(err({ code: 'ESOCKET', command: 'CONN', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      'self-signed certificate; if the root CA is installed locally, try running Node.js with --use-system-ca'), context);
    expect(classified.message).toBe('The certificate of the SMTP server smtp.corp.example:587 could not be verified ' +
      '(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate). If it comes from your own certificate authority, trust that CA: ' +
      'start signrelay with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; or, only for a server you control, set smtp.tls_verify: false; ' +
      'then restart signrelay. Mail waits until then.');
  });

  it('says which failures leave the mail\'s outcome unknown: only a session that ended once open', () => {
    expect(classifySmtpError(err({ code: 'ECONNECTION', command: 'CONN' }, 'Connection closed unexpectedly'), context).outcomeUnknown).toBe(true);
    expect(classifySmtpError(err({ code: 'ESOCKET', command: 'CONN' }, 'connect ECONNREFUSED 127.0.0.1:1'), context).outcomeUnknown).toBe(false);
    expect(classifySmtpError(err({ code: 'EENVELOPE', responseCode: 451, response: '451 Try later' }), context).outcomeUnknown).toBe(false);
  });

  it('never repeats the password, even if the server echoes it', () => {
    const classified = classifySmtpError(err({ code: 'EAUTH', responseCode: 535, response: '535 bad password hunter2-secret' }), context);
    expect(classified.message).not.toContain('hunter2-secret');
    expect(classified.message).toContain('[redacted]');
  });
});
