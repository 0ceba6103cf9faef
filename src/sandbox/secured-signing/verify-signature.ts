// The simulator's check of the API-signature headers, written independently of the
// client's auth-headers.ts so the simulator is an oracle for it rather than its echo.
// Enforces what the documentation promises: key, integer date within the allowed skew,
// a nonce of at most 32 characters never seen before, the HMAC, and the Referer's host.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignatureRules {
  apiKey: string;
  apiSecret: string;
  referer: string;
  clockSkewSeconds: number;
}

export interface AuthRefusal {
  errorCode: string;
  message: string;
}

/** Nonces seen within the skew window; older ones could not pass the date check anyway. */
export class NonceLedger {
  private readonly seen = new Map<string, number>();

  has(nonce: string): boolean {
    return this.seen.has(nonce);
  }

  add(nonce: string, nowSeconds: number, windowSeconds: number): void {
    for (const [n, at] of this.seen) if (at < nowSeconds - 2 * windowSeconds) this.seen.delete(n);
    this.seen.set(nonce, nowSeconds);
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null;
  }
}

export function checkSignature(
  headers: (name: string) => string | undefined,
  rules: SignatureRules,
  nonces: NonceLedger,
  nowMs: number,
): AuthRefusal | null {
  const apiKey = headers('x-custom-api-key');
  if (!apiKey) return { errorCode: 'Unauthorized', message: 'X-CUSTOM-API-KEY header missing; please check your api key' };
  if (apiKey !== rules.apiKey) return { errorCode: 'Unauthorized', message: 'Invalid API key; please check your api key' };

  const date = headers('x-custom-date') ?? '';
  if (!/^\d+$/.test(date)) return { errorCode: 'Unauthorized', message: 'X-CUSTOM-DATE must be a Unix timestamp in seconds' };
  const nowSeconds = Math.floor(nowMs / 1000);
  if (Math.abs(nowSeconds - Number(date)) > rules.clockSkewSeconds) {
    return { errorCode: 'Unauthorized', message: 'Request date is out of the allowed range; check the clock' };
  }

  const nonce = headers('x-custom-nonce') ?? '';
  if (nonce === '') return { errorCode: 'Unauthorized', message: 'X-CUSTOM-NONCE header missing' };
  if (nonce.length > 32) return { errorCode: 'Unauthorized', message: 'X-CUSTOM-NONCE must be no more than 32 characters' };

  const given = Buffer.from(headers('x-custom-signature') ?? '', 'utf8');
  const expected = Buffer.from(createHmac('sha256', rules.apiSecret).update([apiKey, date, nonce].join('\n')).digest('base64'), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { errorCode: 'Unauthorized', message: 'Invalid signature; please check your api key and secret' };
  }
  // Checked after the signature so a forged request cannot burn someone else's nonce.
  if (nonces.has(nonce)) return { errorCode: 'Unauthorized', message: 'Nonce has already been used' };

  const referer = headers('referer');
  if (!referer) return { errorCode: 'Unauthorized', message: 'Referer header missing; set it to the domain registered with the API key' };
  if (hostOf(referer) !== hostOf(rules.referer)) {
    return { errorCode: 'Unauthorized', message: 'Referer does not match the domain registered with the API key' };
  }
  nonces.add(nonce, nowSeconds, rules.clockSkewSeconds);
  return null;
}
