// The http(s) URL settings: the ServiceNow instance, the provider's API, OAuth and token
// endpoints, a mail token endpoint. A URL with a login in it (http://admin:pw@host) used to
// load: fetch then refused to build the request, and its error — quoted as "could not reach
// …, check the network" — carried the URL, password and all, to the terminal and the log.
// It is refused at load instead, saying where the login belongs, and never repeating it.
//
// A service signrelay calls is called over https: an http:// address sends the password, the
// client secret, the tokens and the documents in clear text across the network. Plain http is
// for a service on this host only (the simulators, a local relay), named by its loopback
// address or `localhost` — which the hosts file answers; `x.localhost` could be asked of DNS.
import { isIP } from 'node:net';
import { z } from 'zod';
import { isLoopbackHost } from '../loopback.ts';

/** An http(s) URL setting: `expected` is the message for anything else, `loginGoesTo` where a login belongs instead. */
export function httpUrl(expected: string, loginGoesTo: string) {
  return z.url({ protocol: /^https?$/, error: expected }).superRefine(noLoginIn(loginGoesTo));
}

/** The URL of a service signrelay calls with its credentials: an http(s) URL, and https unless the service is on this host. */
export function serviceUrl(expected: string, loginGoesTo: string) {
  return httpUrl(expected, loginGoesTo).superRefine(noClearText);
}

/**
 * Refuses a base URL with a query or a fragment, or that names a page of the instance's UI
 * (`/now/nav/…`, `…/navpage.do`): the browser's address pasted in. Every call is made by
 * appending its path, so `…/navpage.do?x=1/api/now/table/…` went to the UI, and the errors
 * pointed at proxies and firewalls (ServiceNow review L1). A plain path stays: a gateway may
 * serve the API under one.
 */
export function noPageAddress(example: string) {
  return (text: string, ctx: z.RefinementCtx) => {
    const url = URL.parse(text);
    if (!url) return;
    const page = url.search !== '' || url.hash !== '' || /\.do$/i.test(url.pathname) || /^\/now(\/|$)/i.test(url.pathname);
    if (page) ctx.addIssue({ code: 'custom', message: `this is the address of a page, not of the instance: write its address alone, like ${example} (${url.origin})` });
  };
}

/** Refuses http:// to another host; the message says what to write instead. */
export function noClearText(text: string, ctx: z.RefinementCtx): void {
  const url = URL.parse(text);
  if (!url || url.protocol !== 'http:') return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isLoopbackHost(host) && (isIP(host) !== 0 || host.toLowerCase() === 'localhost')) return;
  ctx.addIssue({
    code: 'custom',
    message: `http:// would send the credentials and documents in clear text across the network: write https://${url.host}${url.pathname === '/' ? '' : url.pathname} ` +
      '(plain http only for a service on this host: 127.0.0.1, ::1 or localhost; a test service with a self-signed certificate: https with tls_verify: false)',
  });
}

/** Refuses a URL with a user or password in it; the message names neither (a configuration error never repeats a secret). */
export function noLoginIn(loginGoesTo: string) {
  return (text: string, ctx: z.RefinementCtx) => {
    const url = URL.parse(text);
    if (!url || (url.username === '' && url.password === '')) return;
    ctx.addIssue({ code: 'custom', message: `remove "${url.password ? 'user:password' : 'user'}@" from the URL; ${loginGoesTo}` });
  };
}
