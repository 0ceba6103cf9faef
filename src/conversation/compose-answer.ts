// The one answer to a reply command, pure: what was done or why nothing was, the request it
// is about, and — when nothing was done — the commands again. Threaded to the reply, marked
// as an automatic reply (RFC 3834) and as ours, with the request's reply address as Reply-To
// so the conversation can go on. The answer's sentence is ours with inert values in it
// (record-text.ts); the reply's subject is quoted bounded, links defused (compose-reply.ts).
import type { SendMailOptions } from 'nodemailer';
import { quotedSubject, replySubject } from '../intake/compose-reply.ts';
import { automaticReplyHeaders, automaticSignature } from '../notices/automatic-reply.ts';
import { recordLabel, replyCommandsHelp } from '../notices/compose-acknowledgement.ts';
import { threadTo } from '../outside-text.ts';
import type { ProviderTraits } from '../providers/provider.ts';
import { recordValue } from '../servicenow/record-text.ts';
import type { RequestRow } from '../store/requests.ts';

export interface AnsweredReply {
  subject: string | null;
  messageId: string | null;
  references: string[];
}

export interface AnswerAddresses {
  from: string;
  to: string;
  /** The request's reply address (sign+TOKEN@…). */
  replyTo: string;
  messageId: string;
}

export function composeAnswer(reply: AnsweredReply, said: string, request: RequestRow, provider: Pick<ProviderTraits, 'displayName' | 'capabilities'>, options: AnswerAddresses & { withHelp: boolean; recordNotes: boolean }): SendMailOptions {
  const { inReplyTo, references } = threadTo(reply.messageId, reply.references);
  const text = [
    'Hello,',
    '',
    said,
    '',
    `Request ${request.id}, record ${recordLabel(request)}, due ${recordValue(request.dueDate)}.`,
    ...(options.withHelp ? ['', ...replyCommandsHelp(provider, options.recordNotes)] : []),
    '',
    ...automaticSignature(),
  ].join('\n');
  return {
    from: options.from,
    to: options.to,
    replyTo: options.replyTo,
    subject: replySubject(quotedSubject(reply.subject ?? '')),
    messageId: options.messageId,
    ...(inReplyTo ? { inReplyTo } : {}),
    ...(references.length > 0 ? { references } : {}),
    headers: automaticReplyHeaders('answer'),
    text,
  };
}
