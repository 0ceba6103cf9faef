// The reply commands' guards, through the whole daemon (Dovecot, the SMTP relay, Secured
// Signing's simulator): a cancel whose first words may say "do not cancel" is refused with an
// answer saying how to write one (conversation review M1); a colleague's new request written
// from a forwarded acknowledgement (its References name it) is taken as a request, not filed
// as a reply he may not make (M4).
import { expect, it } from 'vitest';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { listRequests } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { acknowledgementOf, answerTo, reply, sendFor, stateOf, useConversationWorld } from './conversation-world.ts';
import { buildMail, contractPdf } from './world.ts';

const getWorld = useConversationWorld('secured-signing');

it('"Cancel: no need, Bob signed already." changes nothing and is answered with how to write a cancel; "cancel: wrong version" then withdraws it', async () => {
  const world = getWorld();
  const request = await sendFor(world, 'RITM0010011');
  const ack = await acknowledgementOf(world, request);
  const negated = await reply(world, ack, { text: 'Cancel: no need, Bob signed already.\n\nThanks, Helen' });
  const refusal = (await answerTo(world, negated.messageId)).parsed!.text!;
  expect(refusal).toContain('may say not to cancel');
  expect(refusal).toContain('cancel: HR no longer needs it');
  expect(refusal).toContain('Nothing was changed.');
  expect(stateOf(world, request.id)).toBe('sent');
  expect(jobsForRequest(world.daemon!.db, request.id).filter((j) => j.kind === 'cancel')).toHaveLength(0);
  const meant = await reply(world, ack, { text: 'cancel: wrong version' });
  expect((await answerTo(world, meant.messageId)).parsed!.text).toContain(`Request ${request.id} is withdrawn`);
  expect(stateOf(world, request.id)).toBe('cancelled');
});

it('a colleague\'s new request (allowed sender, a PDF) whose References name an acknowledgement is a request: sent, and he is acknowledged', async () => {
  const world = getWorld();
  const request = await sendFor(world, 'RITM0010012');
  const ack = await acknowledgementOf(world, request);
  const messageId = `<tom.${Date.now()}@corp.example>`;
  // Gmail and Thunderbird keep the forwarded mail's thread in References.
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    from: 'Tom Manager <tom.manager@corp.example>', to: 'sign@corp.example', subject: 'Fwd: Sent for signature: Contract for RITM0010013', messageId,
    headers: { References: `${request.messageId} ${ack.parsed!.messageId!}` },
    text: 'Signer 1: Ann Lee <ann.lee@example.com>\n\n---------- Forwarded message ---------\nFrom: signrelay <sign@corp.example>\nSubject: Sent for signature\n\nHello,',
    attachments: [{ filename: 'appendix.pdf', content: await contractPdf('Appendix') }],
  }));
  const toms = await waitFor(() => listRequests(world.daemon!.db).find((r) => r.messageId === messageId && r.state === 'sent'), { timeoutMs: 20_000, what: 'Tom\'s request sent' });
  expect(toms.requester).toBe('tom.manager@corp.example');
  const tomsAck = await acknowledgementOf(world, toms);
  expect(tomsAck.envelope.rcptTo.map((r) => r.address)).toEqual(['tom.manager@corp.example']);
  expect(stateOf(world, request.id)).toBe('sent');
});
