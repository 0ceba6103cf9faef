// The reply commands' guards, through the whole daemon (Dovecot, the SMTP relay, Secured
// Signing's simulator): a cancel whose first words may say "do not cancel" is refused with an
// answer saying how to write one (conversation review M1).
import { expect, it } from 'vitest';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { acknowledgementOf, answerTo, reply, sendFor, stateOf, useConversationWorld } from './conversation-world.ts';

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
