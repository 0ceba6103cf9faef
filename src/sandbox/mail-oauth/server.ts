// The mail identity simulator over HTTP (loopback, free port), for tests: the Microsoft
// token endpoint `POST /{tenant}/oauth2/v2.0/token`, Google's `POST /token`, and
// `POST /introspect/{imap|smtp}/{mailbox}` — RFC 7662 introspection as Dovecot's oauth2
// passdb makes it (introspection_mode = post: form `token`, plus the mail server's own
// client_id/client_secret), one URL per mailbox because Dovecot does not send the login
// name. Token endpoints take form bodies only, as the real ones do. The rules are in
// identity-provider.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultQueue, injectFault, listenLocal, mediaType, readBody, sendJson, type FaultSpec } from '../http-util.ts';
import { MailIdentityProvider, type IdentityProviderOptions, type MailService } from './identity-provider.ts';

export interface MailOAuthSimulatorOptions extends IdentityProviderOptions {
  /** The mail server's credentials for introspection (what Dovecot's oauth2 passdb sends). */
  introspectionClient?: { clientId: string; clientSecret: string };
}

export interface MailOAuthSimulator {
  /** http://127.0.0.1:PORT */
  url: string;
  provider: MailIdentityProvider;
  /** The Microsoft token endpoint of `tenant` on this simulator. */
  microsoftTokenUrl(tenant: string): string;
  googleTokenUrl: string;
  /** Where the mail server asks about a token used to log in to `mailbox`. */
  introspectionUrl(service: MailService, mailbox: string): string;
  introspectionClient: { clientId: string; clientSecret: string };
  /** Introspection calls answered, newest last. */
  introspections: Array<{ service: MailService; mailbox: string; active: boolean }>;
  /** The next call(s) whose path starts with `prefix` fail (a status, a hang, a garbled answer). */
  failNext(prefix: string, fault: FaultSpec): void;
  close(): Promise<void>;
}

const MICROSOFT_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;
const INTROSPECT_PATH = /^\/introspect\/(imap|smtp)\/([^/]+)$/;

export async function startMailOAuthSimulator(options: MailOAuthSimulatorOptions): Promise<MailOAuthSimulator> {
  const provider = new MailIdentityProvider(options);
  const introspectionClient = options.introspectionClient ?? { clientId: 'mail-server', clientSecret: 'mail-server-introspection-secret' };
  const introspections: MailOAuthSimulator['introspections'] = [];
  const faults = new FaultQueue();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sim.invalid').pathname;
    const fault = faults.take(path);
    if (fault && injectFault(req, res, fault, (status) => ({ error: 'temporarily_unavailable', error_description: `simulated HTTP ${status}` }))) return;
    const body = await readBody(req, 64 * 1024);
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request', error_description: 'POST only' });
    if (mediaType(req) !== 'application/x-www-form-urlencoded') {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'the body must be application/x-www-form-urlencoded' });
    }
    const form = new URLSearchParams(body.toString('utf8'));
    const microsoft = MICROSOFT_PATH.exec(path);
    if (microsoft) {
      const answer = provider.microsoftToken(decodeURIComponent(microsoft[1]!), form);
      return sendJson(res, answer.status, answer.body, { 'Cache-Control': 'no-store' });
    }
    if (path === '/token') {
      const answer = provider.googleToken(form);
      return sendJson(res, answer.status, answer.body, { 'Cache-Control': 'no-store' });
    }
    const introspect = INTROSPECT_PATH.exec(path);
    if (introspect) {
      if (form.get('client_id') !== introspectionClient.clientId || form.get('client_secret') !== introspectionClient.clientSecret) {
        return sendJson(res, 401, { error: 'invalid_client', error_description: 'the mail server is not allowed to introspect' });
      }
      const service = introspect[1] as MailService;
      const mailbox = decodeURIComponent(introspect[2]!);
      const answer = provider.introspect(service, mailbox, form.get('token') ?? '');
      introspections.push({ service, mailbox, active: answer.active === true });
      return sendJson(res, 200, answer);
    }
    sendJson(res, 404, { error: 'invalid_request', error_description: `no endpoint ${path}` });
  }

  const listening = await listenLocal((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(err) });
    });
  });
  const url = `http://127.0.0.1:${listening.port}`;
  return {
    url,
    provider,
    microsoftTokenUrl: (tenant) => `${url}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`,
    googleTokenUrl: `${url}/token`,
    introspectionUrl: (service, mailbox) => `${url}/introspect/${service}/${encodeURIComponent(mailbox)}`,
    introspectionClient,
    introspections,
    failNext: (prefix, fault) => faults.add(prefix, fault),
    close: () => listening.close(),
  };
}
