// The configuration schema: the single source of truth for what signrelay.yaml may hold,
// its defaults and the wording of validation errors. Keys mirror the YAML (snake_case) so
// an error path printed to the operator is exactly the path they edit.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { availableParallelism } from 'node:os';
import { addressOfFrom, asciiAddress } from '../ascii-address.ts';
import { z } from 'zod';
import { AUTH_METHODS } from './auth-methods.ts';
import { parseSigner } from '../signer.ts';
import { parseListenAddress } from './listen-address.ts';
import { httpUrl, noClearText, noLoginIn, noPageAddress, serviceUrl } from './http-url.ts';

const positiveInt = () => z.int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const port = () => z.int({ error: 'expected a port number (1-65535)' }).min(1).max(65535, { error: 'expected a port number (1-65535)' });
/** Seconds an HTTP call may take: capped, as a hung call holds one of the job runner's few slots (and a huge value would overflow the timer). */
const httpTimeout = () => positiveInt().max(600, { error: 'expected at most 600 seconds: a call hanging longer holds up the jobs behind it' }).default(60);
const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

/**
 * A mail server's host: a name or an address, alone. A scheme or a port written into it, or a
 * space, loaded and failed only at the first connection ("does not resolve").
 */
const hostName = (what: string) => nonEmpty(what).superRefine((host, ctx) => {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare.replace(/%.*$/, '')) !== 0) return;
  // A name in Unicode (mail.bücher.example) is checked in the form it is looked up in (xn--…).
  const ascii = /^[\x21-\x7e]*$/.test(host) ? host : domainToASCII(host) || host;
  const problem = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? `write the host alone, without ${host.slice(0, host.indexOf('//') + 2)} (tls says how to connect)`
    : /^[^:]+:\d+$/.test(host) ? `write the host alone, and its port (${host.replace(/^[^:]+:/, '')}) in the port setting beside it`
      : !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i.test(ascii) ? `expected ${what}, not ${JSON.stringify(host)}`
        : undefined;
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** An email address: deliberately simple, the mail server has the last word. */
const EMAIL_RE = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]+$/;
const email = () => z.string({ error: 'expected an email address' }).regex(EMAIL_RE, { error: 'expected an email address like name@corp.example' });

/**
 * An allow-list entry: an address, or `*@domain` — all that sender-allowed.ts matches. Any
 * other entry matched no one, and every mail it was meant to let in was filed without a
 * reply; it is refused here with what was probably meant.
 */
const senderPattern = () => nonEmpty('an address or *@domain').superRefine((entry, ctx) => {
  const text = entry.trim();
  // What sender-allowed.ts can match, by the same rule (ascii-address.ts): single-label domains too.
  if (!text.startsWith('*') && asciiAddress(text) !== null) return;
  if (text.startsWith('*@') && asciiAddress(`x${text.slice(1)}`) !== null) return;
  const bracketed = /<([^<>]+)>/.exec(text)?.[1];
  const domain = /^(?:\*\.|\*)?@?([^\s@<>*]+\.[^\s@<>*]+)$/.exec(text)?.[1];
  const meant = bracketed && EMAIL_RE.test(bracketed) ? ` — did you mean "${bracketed}" (the address alone)?`
    : domain ? ` — did you mean "*@${domain}"?` : '';
  ctx.addIssue({ code: 'custom', message: `"${entry}" is neither an address nor *@domain, so it matches no sender${meant}` });
});

/** `First Last <email>` as in request mails; parsed later by the intake parser. */
const signerLine = () => nonEmpty('a signer like "First Last <first.last@corp.example>"')
  .refine((text) => !('error' in parseSigner(text)), { error: 'expected a signer like "First Last <first.last@corp.example>"' });

/**
 * How signrelay logs in to a mail account (IMAP or SMTP): with the account's `password`
 * (the default), or with XOAUTH2 and an access token it obtains itself — Microsoft 365
 * app-only (client credentials of an app registration in `tenant`) or Google (the
 * mailbox user's `refresh_token`). Tokens are kept in the database and renewed before
 * they expire.
 */
const mailOauth2 = z.strictObject({
  type: z.literal('oauth2'),
  provider: z.enum(['microsoft', 'google'], { error: 'expected microsoft or google' }),
  /** Microsoft: the directory (tenant) id or a verified domain of the tenant. */
  tenant: nonEmpty('the Microsoft Entra tenant id or domain').optional(),
  client_id: nonEmpty('the OAuth client (application) id'),
  client_secret: nonEmpty('the OAuth client secret'),
  /** Google: the mailbox user's refresh token (scope https://mail.google.com/). */
  refresh_token: nonEmpty('the refresh token').optional(),
  /** Microsoft: default https://outlook.office365.com/.default (a sovereign cloud has its own). */
  scope: nonEmpty('an OAuth scope').optional(),
  /** The token endpoint, when not the provider's public one (a sovereign cloud, a test simulator). */
  token_url: serviceUrl('expected the http(s) URL of the token endpoint', 'signrelay logs in there with client_id and client_secret beside token_url').optional(),
  /** A PEM file of CA certificates trusted for the token endpoint besides the usual ones (a TLS-inspecting proxy). */
  ca_file: nonEmpty('the path of a PEM file').optional(),
}).superRefine((a, ctx) => {
  if (a.provider === 'microsoft' && !a.tenant) ctx.addIssue({ code: 'custom', path: ['tenant'], message: 'provider microsoft needs tenant: the directory (tenant) id of the app registration' });
  if (a.provider === 'google' && !a.refresh_token) ctx.addIssue({ code: 'custom', path: ['refresh_token'], message: 'provider google needs refresh_token: the mailbox user\'s refresh token with the scope https://mail.google.com/' });
  if (a.provider === 'google' && a.tenant) ctx.addIssue({ code: 'custom', path: ['tenant'], message: 'tenant is for provider microsoft: remove it' });
  if (a.provider === 'microsoft' && a.refresh_token) ctx.addIssue({ code: 'custom', path: ['refresh_token'], message: 'provider microsoft uses client credentials, not a refresh token: remove it' });
}, {
  // Beside the other settings' problems, not after they are fixed: every problem at once.
  when: ({ value }) => typeof value === 'object' && value !== null && ['microsoft', 'google'].includes((value as { provider?: unknown }).provider as string),
});

const mailAuth = z.discriminatedUnion('type', [z.strictObject({ type: z.literal('password') }), mailOauth2], {
  error: 'expected {type: password} or {type: oauth2, provider: microsoft|google, …}',
});

/** `password` goes with auth type password (required there, unless `optional`) and never with oauth2. */
function passwordFitsAuth(what: string, optional = false) {
  return (account: { password?: string | undefined; auth?: { type: string } | undefined }, ctx: z.RefinementCtx) => {
    if (account.auth?.type === 'oauth2' && account.password !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'not used with auth type oauth2: remove it' });
    }
    if ((account.auth?.type ?? 'password') === 'password' && account.password === undefined && !optional) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: `expected ${what} (inline, \${ENV_VAR} or {file: PATH}), or auth: {type: oauth2, …}` });
    }
  };
}

const imapAccount = z.strictObject({
  host: hostName('the IMAP server host name'),
  port: port().default(993),
  /** true: implicit TLS (port 993); false: plain connection upgraded with STARTTLS, required before the login unless the server is on this host (mail/plain-login.ts). */
  tls: z.boolean().default(true),
  /** Verify the server certificate. Turn off only for a test server you control. */
  tls_verify: z.boolean().default(true),
  user: nonEmpty('the IMAP login name'),
  /** Required with auth type password (the default). */
  password: nonEmpty('the IMAP password (inline, ${ENV_VAR} or {file: PATH})').optional(),
  auth: mailAuth.default({ type: 'password' }),
});

const requestMailbox = imapAccount.extend({
  folder: nonEmpty('a folder name').default('INBOX'),
  processed_folder: nonEmpty('a folder name').default('Processed'),
  rejected_folder: nonEmpty('a folder name').default('Rejected'),
  /** The request address; `local+route@domain` selects a route. */
  address: email(),
}).superRefine(passwordFitsAuth('the IMAP password'));

/**
 * The return mailbox: where the provider mails completed documents. Its IMAP account is
 * the request mailbox's unless `host`/`user`/`password` are given; `folder` defaults to
 * INBOX (another account) — set it to a folder of the request account (e.g. a server-side
 * rule files `returns+…` there) to share one mailbox.
 */
const returnMailbox = z.strictObject({
  /** Base return address; the token goes after a `+`: returns+TOKEN@corp.example. */
  address: email().refine((address) => !address.slice(0, address.lastIndexOf('@')).includes('+'), {
    error: 'expected the return mailbox\'s own address, without a "+": signrelay adds +TOKEN itself (returns@corp.example gives returns+TOKEN@corp.example)',
  }),
  host: hostName('the IMAP server host name').optional(),
  port: port().optional(),
  tls: z.boolean().optional(),
  tls_verify: z.boolean().optional(),
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** Default: the request account's auth (its password, unless `password` is given here). */
  auth: mailAuth.optional(),
  folder: nonEmpty('a folder name').default('INBOX'),
  processed_folder: nonEmpty('a folder name').default('Completed'),
  unmatched_folder: nonEmpty('a folder name').default('Unmatched'),
}).superRefine((r, ctx) => passwordFitsAuth('the IMAP password', r.auth === undefined)(r, ctx));

const completion = z.strictObject({
  /** Who may send completion mails: addresses or *@domain; default: the provider's own senders. The document is still downloaded from the API. */
  allowed_senders: z.array(senderPattern()).optional(),
  /** false (default): the signed PDF is downloaded from the provider; true: the mail's attachment is used. */
  trust_attachment: z.boolean().default(false),
});

const authMethods = () => z.array(z.enum(AUTH_METHODS, { error: 'expected dmarc, dkim or spf' }));

/**
 * Request mails: an optional requirement that the organisation's own border MTA vouched
 * for the sender (Authentication-Results, RFC 8601). A mail that fails is filed in
 * Rejected without a reply (its From may be forged) and logged as a warning.
 */
const intake = z.strictObject({
  authentication: z.strictObject({
    /** Methods that must all pass, aligned with the From domain: dmarc, dkim, spf. [] = not checked. */
    require: authMethods().default([]),
    /** authserv-ids of your border MTA; Authentication-Results with any other id (or none) are ignored. */
    trusted_authserv_ids: z.array(nonEmpty('an authserv-id, e.g. mx.corp.example')).default([]),
  }).default({ require: [], trusted_authserv_ids: [] }),
});

const servicenowAuth = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('basic'),
    user: nonEmpty('the integration user name'),
    password: nonEmpty('the integration user password'),
  }),
  z.strictObject({
    type: z.literal('oauth'),
    /** password: integration user + OAuth application; client_credentials: Washington DC and later. */
    grant: z.enum(['password', 'client_credentials'], { error: 'expected password or client_credentials' }).default('password'),
    client_id: nonEmpty('the OAuth application client id'),
    client_secret: nonEmpty('the OAuth application client secret'),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
  }).refine((a) => a.grant !== 'password' || (a.user && a.password), { error: 'grant password needs user and password' }),
], { error: 'expected type basic or oauth' });

const servicenow = z.strictObject({
  /** https://<instance>.service-now.com */
  instance_url: serviceUrl('expected the instance URL, e.g. https://acme.service-now.com', 'put the user in servicenow.auth.user and the password in servicenow.auth.password')
    .superRefine(noPageAddress('https://acme.service-now.com')),
  auth: servicenowAuth,
  /** rest: Attachment API (default); email: mail the signed PDF to the instance's inbound address. */
  delivery: z.enum(['rest', 'email'], { error: 'expected rest or email' }).default('rest'),
  /** Work notes on the record (rest mode): sent, reminders, declined/expired/cancelled/failed, signed. */
  work_note: z.boolean().default(true),
  /**
   * A field of the record (e.g. u_signature_status) set to the request's state at each
   * transition: sent, declined, expired, cancelled, failed, signed (rest mode). None: not set.
   */
  status_field: z.string({ error: 'expected a field name like u_signature_status' })
    .regex(/^[a-z][a-z0-9_]*$/, { error: 'expected a field name like u_signature_status (lower-case letters, digits and _)' })
    .refine((name) => !['work_notes', 'comments', 'number'].includes(name) && !name.startsWith('sys_'), { error: 'expected a field of your own, like u_signature_status, not a journal or system field' })
    .optional(),
  /**
   * Attach the provider's evidence of the signing beside the signed PDF (both modes): Secured
   * Signing's signing completion certificate (PDF), Signicat's task events (JSON). Off by
   * default: a second file on every record is a change the record's owners should choose.
   */
  attach_certificate: z.boolean().default(false),
  /** The instance's inbound address (email mode), e.g. acme@service-now.com. */
  inbound_address: email().optional(),
  /**
   * The addresses the instance sends its notifications from (addresses or *@domain): only a
   * request from one of them may carry a watermark. Default: inbound_address.
   */
  senders: z.array(senderPattern()).optional(),
  /** First entry of glide.email.reply_subject_prefix (case-sensitive). */
  reply_prefix: z.string().min(1).default('re:'),
  /** glide.email.inbound.max_total_attachment_size_bytes: larger PDFs cannot go by mail. */
  max_email_attachment_bytes: positiveInt().default(18874368),
  /** glide.email.inbound.max_attachment_count: the instance keeps no more of one mail's attachments. */
  max_email_attachment_count: positiveInt().default(30),
  /** Each HTTP call, answer included; a longer one would hold up every job queued behind it. */
  timeout_seconds: httpTimeout(),
  /**
   * How long after an attachment upload began the instance may still be carrying it out when
   * its answer was lost (a timeout, a stop): the record's attachment list is looked at only
   * after that, so a late upload is found, not made twice. ServiceNow cancels a REST
   * Attachment API transaction after 60 s by default (its transaction quota rules).
   */
  upload_settle_seconds: positiveInt().max(3600, { error: 'expected at most 3600 seconds' }).default(90),
  /** Verify the instance's certificate; false only for a test instance you control (ca_file trusts a private CA instead). */
  tls_verify: z.boolean().default(true),
  /** A PEM file of CA certificates trusted for the instance besides the usual ones (a private CA, a TLS-inspecting proxy). */
  ca_file: nonEmpty('the path of a PEM file').optional(),
}).refine((s) => s.delivery !== 'email' || s.inbound_address, { error: 'delivery email needs inbound_address', path: ['inbound_address'] });

const alerts = z.strictObject({
  /** Operator address for alerts (unmatched mail, undeliverable documents). Empty = log only. */
  to: z.array(email()).default([]),
  /** At most one alert mail per kind within this many minutes. */
  min_interval_minutes: positiveInt().default(15),
});

const credentials = z.strictObject({
  /** A secret first seen longer ago than this is due for rotation: check, status, /metrics and one alert say so (docs/credentials.md). */
  max_age_days: positiveInt().default(90),
});

const smtp = z.strictObject({
  host: hostName('the SMTP server host name'),
  port: port().default(587),
  /** true: implicit TLS (465); false: STARTTLS (587/25), required before a login unless the server is on this host (mail/plain-login.ts). */
  tls: z.boolean().default(false),
  tls_verify: z.boolean().default(true),
  /** Without a user signrelay sends without logging in. */
  user: z.string().optional(),
  password: z.string().optional(),
  auth: mailAuth.default({ type: 'password' }),
  /** From address of replies; must not be the request address's own route. */
  // "signrelay <sign@corp.example>", sign@corp.example, or the old comment form sign@corp.example (signrelay).
  from: nonEmpty('a From address like "signrelay <sign@corp.example>"').refine((from) => asciiAddress(addressOfFrom(from)) !== null, {
    error: 'expected a From address like "signrelay <sign@corp.example>" or sign@corp.example: without one every mail signrelay sends would go out with no From',
  }),
}).superRefine((s, ctx) => {
  // Without a user signrelay sends without logging in; with one it needs the password (or oauth2).
  passwordFitsAuth('the SMTP password: smtp.user is set, so signrelay logs in — or remove smtp.user to send without a login', s.user === undefined)(s, ctx);
  if (s.auth.type === 'oauth2' && !s.user) ctx.addIssue({ code: 'custom', path: ['user'], message: 'auth type oauth2 needs user: the mailbox signrelay sends as' });
});

/** Where the login to Secured Signing belongs, said when a URL setting carries one. */
const SECURED_SIGNING_LOGIN = 'signrelay logs in to Secured Signing with provider.api_key and provider.api_secret';

/** Secured Signing (SECURED-SIGNING.md): smart tags in the document, one reference per document. */
const securedSigningProvider = z.strictObject({
  type: z.literal('secured-signing'),
  /** `sandbox`, `production`, or a base URL ending in /web (the API version is appended). */
  environment: z.union([z.enum(['sandbox', 'production']), z.url({ protocol: /^https?$/, error: 'expected sandbox, production or an http(s) URL' })], {
    error: 'expected sandbox, production or an http(s) URL',
  }).superRefine(noLoginIn(SECURED_SIGNING_LOGIN)).superRefine(noClearText).default('sandbox'),
  /** OAuth2 host override; derived from the API host (api. → www.) when absent. */
  oauth_url: serviceUrl('expected the http(s) URL of the OAuth endpoint', SECURED_SIGNING_LOGIN).optional(),
  api_key: nonEmpty('the Secured Signing API key'),
  api_secret: nonEmpty('the Secured Signing API secret'),
  /** Keys created since 2016 use OAuth2 bearer tokens; false = the "without OAuth" variant. */
  oauth: z.boolean().default(true),
  /** Refresh token from the OAuth2 authorization-code flow; rotated tokens are kept in the database, and a new value here replaces them. */
  refresh_token: z.string().optional(),
  /** The domain or callback URL registered with the API key. */
  referer: httpUrl('expected the URL registered with the API key, e.g. https://corp.example', `it is sent to Secured Signing as the Referer header; ${SECURED_SIGNING_LOGIN}`),
  /** Letter of the completion-recipient tag: [!Recipient.C,…] (C = completion, unconfirmed; N = notification, the seed's example). */
  recipient_letter: z.enum(['C', 'N'], { error: 'expected C (a completion recipient, as signrelay reads the API) or N (a notification recipient, as the seed\'s example writes it)' }).default('C'),
  /** Each HTTP call, answer included; a longer one would hold up every job queued behind it. */
  timeout_seconds: httpTimeout(),
  /** Verify the service's certificate; false only for a test service you control (ca_file trusts a private CA instead). */
  tls_verify: z.boolean().default(true),
  /** A PEM file of CA certificates trusted for the API and OAuth hosts besides the usual ones (a private CA, a TLS-inspecting proxy). */
  ca_file: nonEmpty('the path of a PEM file').optional(),
});

/** How a Signicat signer proves who they are: a method name and its kind (SIGNICAT.md). */
const signatureMethod = z.strictObject({
  name: nonEmpty('a signature method name, e.g. nbid-sign'),
  type: z.enum(['AUTHENTICATION_BASED', 'SIGNED_STATEMENT', 'THIRD_PARTY'], { error: 'expected AUTHENTICATION_BASED, SIGNED_STATEMENT or THIRD_PARTY' }),
});
const signatureMethods = () => z.array(signatureMethod).min(1, { error: 'expected at least one signature method, e.g. [{name: nbid-sign, type: SIGNED_STATEMENT}]' });
/** A language of Signicat's signing interface (the seed's list). */
const signicatLanguage = () => z.enum(['ca', 'da', 'nl', 'en', 'et', 'fo', 'fi', 'fr', 'de', 'kl', 'it', 'nb', 'nn', 'es', 'sv'], {
  error: 'expected a language Signicat offers: ca, da, nl, en, et, fo, fi, fr, de, kl, it, nb, nn, es or sv',
});

const SIGNICAT_LOGIN = 'signrelay logs in to Signicat with provider.client_id and provider.client_secret';

/** Signicat Sign API v1 (SIGNICAT.md, seed 004): an order of tasks, one per signer; no text tags. */
const signicatProvider = z.strictObject({
  type: z.literal('signicat'),
  /** The Sign API base: new platform https://api.signicat.com/enterprise/sign, old https://<env>.signicat.com/sign. */
  base_url: serviceUrl('expected the Sign API base URL, e.g. https://api.signicat.com/enterprise/sign', SIGNICAT_LOGIN).default('https://api.signicat.com/enterprise/sign'),
  /** The OIDC token endpoint: new platform …/auth/open/connect/token, old https://<env>.signicat.com/oidc/token. */
  token_url: serviceUrl('expected the OIDC token URL, e.g. https://api.signicat.com/auth/open/connect/token', SIGNICAT_LOGIN).default('https://api.signicat.com/auth/open/connect/token'),
  client_id: nonEmpty('the Signicat client id'),
  client_secret: nonEmpty('the Signicat client secret'),
  /** How the client authenticates at the token endpoint: form (new platform) or basic (old platform). */
  client_auth: z.enum(['form', 'basic'], { error: 'expected form or basic' }).default('form'),
  scope: nonEmpty('an OAuth scope').default('signicat-api'),
  /** How signers sign, unless a route names its own (routes.NAME.signature_methods). */
  signature_methods: signatureMethods(),
  /** The signing interface's language, unless a route names its own. */
  language: signicatLanguage().default('en'),
  /** Days until Signicat deletes the order after its last task ended (1-30). */
  days_until_deletion: z.int({ error: 'expected a number of days from 1 to 30' }).min(1, { error: 'expected a number of days from 1 to 30' }).max(30, { error: 'expected a number of days from 1 to 30' }).default(30),
  /** pades: one PAdES package per document (always used when a request has several signers); none: each task's result. */
  packaging: z.enum(['none', 'pades'], { error: 'expected none or pades' }).default('none'),
  /** Keep the signed result in Signicat's archive and download it from there. */
  send_result_to_archive: z.boolean().default(false),
  /** The sender of the notification mails Signicat sends (the signers' invitations, the completion notice to signrelay). */
  notification_sender: email().optional(),
  /**
   * A send whose answer was lost waits this long for the order's creation notice before it is
   * taken as not done and sent again (only time signrelay was up and reading the return mailbox counts).
   */
  send_notice_wait_seconds: positiveInt().max(86_400, { error: 'expected at most 86400 seconds (a day)' }).default(900),
  /** Each HTTP call, answer included. */
  timeout_seconds: httpTimeout(),
  tls_verify: z.boolean().default(true),
  ca_file: nonEmpty('the path of a PEM file').optional(),
});

/** The e-signature provider; `type` chooses it, and each type has only its own settings. Without `type`: secured-signing. */
const provider = z.preprocess(
  (value) => (value !== null && typeof value === 'object' && !Array.isArray(value) && !('type' in value) ? { ...value, type: 'secured-signing' } : value),
  z.discriminatedUnion('type', [securedSigningProvider, signicatProvider], { error: 'expected type secured-signing or signicat' }),
);

const route = z.strictObject({
  /** ServiceNow table for record numbers without a known prefix. */
  table: z.string().optional(),
  /** Signers when the mail names none, in signing order. */
  signers: z.array(signerLine()).default([]),
  due_days: positiveInt().max(3650, { error: 'expected at most 3650 days (ten years)' }).default(14),
  /** Who may send requests: addresses or `*@domain` patterns. Empty = anyone. */
  allowed_senders: z.array(senderPattern()).default([]),
  /** Overrides intake.authentication.require for this route ([] = not checked). */
  require_authentication: authMethods().optional(),
  /** Who besides the requester may act on a request by replying to its acknowledgement: addresses or `*@domain`. Empty = the requester only. */
  reply_commands_from: z.array(senderPattern()).optional(),
  /** Whether a request must name a ServiceNow record. */
  require_record: z.boolean().default(true),
  /** Overrides servicenow.delivery for this route. */
  delivery: z.enum(['rest', 'email'], { error: 'expected rest or email' }).optional(),
  /** Signicat: how this route's signers sign (overrides provider.signature_methods). */
  signature_methods: signatureMethods().optional(),
  /** Signicat: the signing interface's language for this route (overrides provider.language). */
  language: signicatLanguage().optional(),
  /** Mail the requester when the signed document is on the record. */
  notify_requester: z.boolean().default(false),
  /** Mail the requester an acknowledgement when the request is sent (record, signers, due date, reference, reply commands). */
  acknowledge: z.boolean().default(true),
  /** Days before the due date when the signers who have not signed get one reminder (Document/SendReminder); 0 = none. */
  reminder_days_before: z.int({ error: 'expected a whole number of days (0 = no reminder)' }).min(0, { error: 'expected a whole number of days (0 = no reminder)' }).default(2),
});

const stamping = z.strictObject({
  mode: z.enum(['signature-page', 'overlay'], { error: 'expected signature-page or overlay' }).default('signature-page'),
  overlay: z.strictObject({
    /** 1-based page number; negative counts from the end (-1 = last page). */
    page: z.int({ error: 'expected a page number (1 = first, -1 = last)' }).refine((n) => n !== 0, { error: 'expected a page number (1 = first, -1 = last)' }).default(-1),
    /** Points from the left / bottom edge of the page (72 points = 1 inch). */
    x: z.number().nonnegative().default(72),
    y: z.number().nonnegative().default(72),
    /** Vertical distance between tags, in points. */
    line_height: z.number().positive().default(18),
  }).default({ page: -1, x: 72, y: 72, line_height: 18 }),
  font_size: z.number({ error: 'expected a font size in points' }).min(4).max(48).default(10),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'expected a colour like #000000' }).default('#000000'),
});

/**
 * The size of a mail that carries one PDF of `pdfBytes`: base64 makes 3 bytes 4 characters,
 * in lines of 76 plus CRLF, and the headers, the text and the MIME parts want room besides.
 */
export function mailBytesFor(pdfBytes: number): number {
  return Math.ceil(((pdfBytes * 4) / 3) * (78 / 76)) + MAIL_OVERHEAD_BYTES;
}
const MAIL_OVERHEAD_BYTES = 1024 * 1024;

/** The largest PDF a mail of `mailBytes` can carry: mailBytesFor's inverse. */
export function pdfBytesFor(mailBytes: number): number {
  return Math.max(0, Math.floor(((mailBytes - MAIL_OVERHEAD_BYTES) * 3 * 76) / (4 * 78)));
}

const limits = z.strictObject({
  /** Default: what a mail with one PDF of max_pdf_bytes needs (mailBytesFor), so max_pdf_bytes applies at its stated value. */
  max_mail_bytes: positiveInt().optional(),
  max_pdf_bytes: positiveInt().default(20 * 1024 * 1024),
  max_pages: positiveInt().default(500),
  max_signers: positiveInt().default(20),
  max_documents: positiveInt().default(10),
  /** Rejection replies to one address within an hour; more are not sent (a forged From cannot make signrelay a mail cannon). */
  max_replies_per_hour: positiveInt().default(5),
  /** Rejection replies to all addresses together within an hour: a flood of forged Froms, each new, gets no more. */
  max_replies_per_hour_total: positiveInt().default(50),
  /**
   * Requests taken from one sender's mailbox within 24 hours; more are refused with an answer
   * and an alert: a ServiceNow flow mailing in a loop, or a mailbox in the wrong hands, would
   * otherwise send a document to its signers (and spend the plan's credits) with every mail.
   */
  max_requests_per_sender_per_day: positiveInt().default(100),
}).transform((l) => ({ ...l, max_mail_bytes: l.max_mail_bytes ?? mailBytesFor(l.max_pdf_bytes) }));

const concurrency = z.strictObject({
  /** PDF worker processes kept warm; PDFs are inspected and stamped this many at once. Default: one per core. */
  pdf_workers: positiveInt().max(64).default(availableParallelism()),
  /**
   * Jobs at once — uploads and sends to the provider, downloads, deliveries to ServiceNow,
   * mails — never two of one request; a 429 from the provider holds its calls back.
   */
  jobs: positiveInt().max(64).default(4),
});

const storage = z.strictObject({
  data_dir: nonEmpty('a directory path').default('/var/lib/signrelay'),
});

const schedule = z.strictObject({
  /** Minutes between checks of sent requests with the provider (the sweep behind completion mails). */
  reconcile_minutes: positiveInt().default(15),
  /** A document Complete at the provider with no completion mail this long after it was sent is delivered anyway. */
  completion_grace_minutes: positiveInt().default(30),
  retention: z.strictObject({
    /** The PDFs of finished requests (delivered, declined, expired, cancelled) are deleted after this many days, the audit trail stays; mails refused at intake (rejected) are deleted whole. */
    days: positiveInt().default(90),
  }).default({ days: 90 }),
});

const log = z.strictObject({
  level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  /** json: one JSON object a line (journald); text: readable; auto: text on a terminal. */
  format: z.enum(['json', 'text', 'auto']).default('auto'),
});

const observability = z.strictObject({
  /** HOST:PORT of the /healthz and /metrics endpoint, loopback only; absent: no endpoint. */
  listen: nonEmpty('HOST:PORT, e.g. 127.0.0.1:9464').superRefine((text, ctx) => {
    const parsed = parseListenAddress(text);
    if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
  }).optional(),
});

export const configSchema = z.strictObject({
  mailboxes: z.strictObject({
    requests: requestMailbox,
    returns: returnMailbox,
  }),
  smtp,
  provider,
  intake: intake.default(intake.parse({})),
  completion: completion.default(completion.parse({})),
  servicenow,
  alerts: alerts.default(alerts.parse({})),
  credentials: credentials.default(credentials.parse({})),
  routes: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'route names are lower-case letters, digits, - and _' })
    // The +tag of the request address is read as a request token (20 letters of base32) or a
    // reply secret (32) before it is read as a route (intake/conversation-address.ts).
    .refine((name) => !/^[a-z2-7]{20}$|^[a-z2-7]{32}$/.test(name), { error: 'a route name of 20 or 32 letters a-z and digits 2-7 looks like a request token or a reply secret, and mail to it would be read as one: choose another name' }), route)
    .refine((r) => 'default' in r, { error: 'expected a route named "default"' }),
  /** Record-number prefix → ServiceNow table, e.g. RITM: sc_req_item. */
  records: z.record(z.string().regex(/^[A-Z]{2,8}$/, { error: 'prefixes are 2-8 capital letters' }), nonEmpty('a table name')).default({}),
  stamping: stamping.default(stamping.parse({})),
  limits: limits.default(limits.parse({})),
  concurrency: concurrency.default(concurrency.parse({})),
  storage: storage.default(storage.parse({})),
  schedule: schedule.default(schedule.parse({})),
  log: log.default(log.parse({})),
  observability: observability.default({}),
}).superRefine((c, ctx) => {
  // A route that delivers by mail needs the instance's inbound address as much as the default does.
  if (c.servicenow.inbound_address) return;
  for (const [name, r] of Object.entries(c.routes)) {
    if (r.delivery === 'email') ctx.addIssue({ code: 'custom', path: ['routes', name, 'delivery'], message: 'delivery email needs servicenow.inbound_address (the instance\'s inbound address the signed PDF is mailed to)' });
  }
}).superRefine((c, ctx) => {
  // What needs the border MTA's authserv-id: without one no mail passes an authentication.
  if (c.intake.authentication.trusted_authserv_ids.length > 0) return;
  // Read while other settings may still be wrong (see `when`): a route may be null, a list a string.
  const required = [c.intake.authentication.require, ...Object.values(c.routes).map((r: { require_authentication?: unknown } | null) => r?.require_authentication)];
  if (required.some((methods) => Array.isArray(methods) && methods.length > 0)) {
    ctx.addIssue({ code: 'custom', path: ['intake', 'authentication', 'trusted_authserv_ids'], message: 'name the authserv-id your border MTA writes in Authentication-Results (e.g. mx.corp.example): without one no mail can pass intake.authentication.require or a route\'s require_authentication' });
  }
  if (c.completion.trust_attachment) {
    ctx.addIssue({ code: 'custom', path: ['completion', 'trust_attachment'], message: 'completion.trust_attachment takes a mailed PDF only from mail your border MTA authenticates (DKIM or DMARC for the provider\'s domain): name its authserv-id in intake.authentication.trusted_authserv_ids (e.g. mx.corp.example), or leave trust_attachment off' });
  }
}, {
  // Beside the other settings' problems, not after they are fixed: every problem at once.
  when: ({ value }) => {
    const c = value as { intake?: { authentication?: { trusted_authserv_ids?: unknown; require?: unknown } }; routes?: unknown; completion?: { trust_attachment?: unknown } };
    return Array.isArray(c?.intake?.authentication?.trusted_authserv_ids) && Array.isArray(c.intake.authentication.require)
      && typeof c.routes === 'object' && c.routes !== null && typeof c.completion?.trust_attachment === 'boolean';
  },
});

export type Config = z.infer<typeof configSchema>;
export type RouteConfig = Config['routes'][string];
export type StampingConfig = Config['stamping'];
export type LimitsConfig = Config['limits'];
export type ConcurrencyConfig = Config['concurrency'];
export type ProviderConfig = Config['provider'];
export type SecuredSigningConfig = Extract<ProviderConfig, { type: 'secured-signing' }>;
export type SignicatConfig = Extract<ProviderConfig, { type: 'signicat' }>;
/** An IMAP account; without `auth` it logs in with its password. */
export type ImapAccountConfig = Omit<z.infer<typeof imapAccount>, 'auth'> & { auth?: MailAuthConfig | undefined };
export type MailAuthConfig = z.infer<typeof mailAuth>;
export type MailOauth2Config = z.infer<typeof mailOauth2>;
export type RequestMailboxConfig = Config['mailboxes']['requests'];
/** Without `auth` it logs in with user/password (or not at all without a user). */
export type SmtpConfig = Omit<Config['smtp'], 'auth'> & { auth?: MailAuthConfig | undefined };
export type ServiceNowConfig = Config['servicenow'];
export type ReturnMailboxConfig = Config['mailboxes']['returns'];
export type CompletionConfig = Config['completion'];
export type IntakeConfig = Config['intake'];
export type ScheduleConfig = Config['schedule'];
