// A reply command whose provider call was carried out but whose answer was lost (the
// connection dropped after Secured Signing acted): the call is not made again by the job's
// retry — a missing reminder is better than two — and the requester is told the outcome is
// not known. Through the whole daemon (Dovecot, SMTP, the simulators).
import { describe, expect, it } from 'vitest';
import { getDocuments, getRequest } from '../../src/store/requests.ts';
import { acknowledgementOf, answersTo, answerTo, reply, sendFor, useConversationWorld } from './conversation-world.ts';
import { dayFromNow } from './record-world.ts';

describe('secured-signing: a reply command whose answer is lost', () => {
  const getWorld = useConversationWorld('secured-signing');

  it('remind: the reminder goes out once, and the answer says whether it went is not known', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'RITM0010201');
    const ack = await acknowledgementOf(world, request);
    const reference = getDocuments(world.daemon!.db, request.id)[0]!.providerRef!;
    world.simulator.failNext('/Document/SendReminder', { kind: 'drop', times: 3 });
    const { messageId } = await reply(world, ack, { text: 'remind' });
    const text = (await answerTo(world, messageId)).parsed!.text!;
    expect(text).toContain('Whether Secured Signing sent the reminder is not known');
    expect(text).toContain('it is not sent twice');
    await world.daemon!.jobs.idle();
    expect(world.simulator.documents.get(reference)!.reminders).toHaveLength(1);
    expect(world.simulator.calls.filter((c) => c.path.endsWith('/Document/SendReminder'))).toHaveLength(1);
    expect(answersTo(world, messageId)).toHaveLength(1);
  });

  it('extend: the due date is asked once, and signrelay keeps its due date as the move is not known', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'RITM0010202');
    const ack = await acknowledgementOf(world, request);
    const later = dayFromNow(40);
    world.simulator.failNext('/Document/Extend', { kind: 'drop', times: 3 });
    const { messageId } = await reply(world, ack, { text: `extend ${later}` });
    const text = (await answerTo(world, messageId)).parsed!.text!;
    expect(text).toContain(`Whether Secured Signing moved the due date to ${later} is not known`);
    await world.daemon!.jobs.idle();
    expect(world.simulator.calls.filter((c) => c.path.endsWith('/Document/Extend'))).toHaveLength(1);
    expect(getRequest(world.daemon!.db, request.id)!.dueDate).toBe(request.dueDate);
  });
});
