// What every automatic answer to a person's mail carries — a rejection reply, an
// acknowledgement, the answer to a reply command: the RFC 3834 marking (so nothing answers it
// automatically), Microsoft's request for no auto-responses, and signrelay's own header (so
// intake never takes it for a request), and the same closing lines.

export type AutomaticReplyKind = 'reply' | 'acknowledgement' | 'answer';

export function automaticReplyHeaders(kind: AutomaticReplyKind): Record<string, string> {
  return { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', 'X-Signrelay': kind };
}

/** The signature block that ends the text: `-- `, who wrote it, and the final line end. */
export function automaticSignature(who = 'signrelay (automatic reply)'): string[] {
  return ['-- ', who, ''];
}
