// The http(s) URL settings: the ServiceNow instance, the provider's API, OAuth and token
// endpoints, a mail token endpoint. A URL with a login in it (http://admin:pw@host) used to
// load: fetch then refused to build the request, and its error — quoted as "could not reach
// …, check the network" — carried the URL, password and all, to the terminal and the log.
// It is refused at load instead, saying where the login belongs, and never repeating it.
import { z } from 'zod';

/** An http(s) URL setting: `expected` is the message for anything else, `loginGoesTo` where a login belongs instead. */
export function httpUrl(expected: string, loginGoesTo: string) {
  return z.url({ protocol: /^https?$/, error: expected }).superRefine(noLoginIn(loginGoesTo));
}

/** Refuses a URL with a user or password in it; the message names neither (a configuration error never repeats a secret). */
export function noLoginIn(loginGoesTo: string) {
  return (text: string, ctx: z.RefinementCtx) => {
    const url = URL.parse(text);
    if (!url || (url.username === '' && url.password === '')) return;
    ctx.addIssue({ code: 'custom', message: `remove "${url.password ? 'user:password' : 'user'}@" from the URL; ${loginGoesTo}` });
  };
}
