// Whether a host name or address is this machine's loopback — one rule for every place that
// asks: a mail login that may go without STARTTLS (mail/plain-login.ts), the unauthenticated
// metrics endpoint's listen address (config/listen-address.ts), `authorize`'s redirect
// listener (commands/authorize.ts). Pure.
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 (and its IPv4-mapped form), `localhost` and its subdomains; brackets and a final dot aside. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
}
