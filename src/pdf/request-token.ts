// The request token: the one random identifier that ties a signature request to the
// completed document coming back (return plus-address, uploaded file name, PDF metadata).
// Its own file because intake, stamping and completion matching all need it, and none of
// them should know how it is made.
import { randomBytes } from 'node:crypto';

/** RFC 4648 base32 alphabet, lower-case: safe in an email local part and in a file name. */
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** 20 base32 characters = 100 random bits: unguessable, still short enough to read aloud. */
export const REQUEST_TOKEN_LENGTH = 20;

/** The token as a regular-expression fragment, for parsers that find it inside other text. */
export const REQUEST_TOKEN_PATTERN = `[a-z2-7]{${REQUEST_TOKEN_LENGTH}}`;

const TOKEN_RE = new RegExp(`^${REQUEST_TOKEN_PATTERN}$`);

export function newRequestToken(): string {
  return randomBase32(REQUEST_TOKEN_LENGTH);
}

/** `length` random base32 characters (5 random bits each), from crypto.randomBytes. */
export function randomBase32(length: number): string {
  // One byte per character; 256 is a multiple of 32, so `byte & 31` is uniform.
  let text = '';
  for (const byte of randomBytes(length)) text += BASE32_ALPHABET[byte & 31];
  return text;
}

/** Exactly a token as `newRequestToken` makes it (lower-case; callers lower-case found text). */
export function isRequestToken(text: string): boolean {
  return TOKEN_RE.test(text);
}
