// Units of time and how a moment is written for people: one definition for the daemon.

export const DAY_MS = 86_400_000;

/** A moment to the minute, as mails and alerts show it: `2026-12-05 08:42 UTC`. */
export const utcMinute = (at: Date | string) => `${(typeof at === 'string' ? at : at.toISOString()).slice(0, 16).replace('T', ' ')} UTC`;
