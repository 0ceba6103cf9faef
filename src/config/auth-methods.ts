// The mail authentication methods `intake.authentication.require` may name (RFC 8601
// method names): the settings' vocabulary, checked by message/check-authentication.ts.
export const AUTH_METHODS = ['dmarc', 'dkim', 'spf'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
