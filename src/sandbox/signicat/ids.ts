// Identifiers the simulated Sign API hands out. Signicat's documented examples of a
// documentId and an archiveId are 58 characters: the day as DDMMYYYY, then 50 lowercase
// letters and digits (`0807201949xfrupvbzx7o07uihsihsx3xllslasvk8qtaojow3792xjucp`).
// Order ids use the same shape — unconfirmed, the SDK types them only as strings.
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomLowerAlnum(length: number): string {
  const bytes = randomBytes(length);
  let text = '';
  // 252 = 7 × 36: bytes above it would bias the alphabet; the few lost are drawn again.
  for (const byte of bytes) if (byte < 252) text += ALPHABET[byte % 36];
  return text.length >= length ? text.slice(0, length) : text + randomLowerAlnum(length - text.length);
}

export function signicatId(now: number): string {
  const day = new Date(now);
  const ddmmyyyy = [day.getUTCDate(), day.getUTCMonth() + 1].map((n) => String(n).padStart(2, '0')).join('') + day.getUTCFullYear();
  return ddmmyyyy + randomLowerAlnum(50);
}
