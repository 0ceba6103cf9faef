// ServiceNow misbehaving while signed documents are delivered: rate limits and server
// errors are retried (one attachment in the end), a forbidden table fails the request
// with an alert naming the permission, and an expired OAuth token is refreshed.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { loadToken } from '../../src/store/oauth-tokens.ts';
import { getRequest } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { ALERTS_TO, SN_TOKEN_LIFETIME_S, sendRequest, useWorld, type World } from './world.ts';

const getWorld = useWorld({ forbiddenTables: ['incident'], servicenowAuth: 'oauth' });
const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
const recordOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!;

describe('ServiceNow faults during delivery', () => {
  it.each([
    ['429 with Retry-After', { status: 429, retryAfter: 1 }, 'RITM0010001'],
    ['500', { status: 500 }, 'RITM0010002'],
  ])('%s is retried and the document attached once', async (_name, fault, record) => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, record);
    world.servicenow.failNext('/api/now/attachment/file', { ...fault, times: 2 });
    await world.simulator.complete(reference);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 30_000, what: 'the request delivered despite the faults' });
    expect(recordOf(world, record).attachments).toHaveLength(1);
  });

  it('403 on the table fails the request and alerts the operator with the missing permission', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'INC0012345');
    await world.simulator.complete(reference);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'failed', { timeoutMs: 20_000, what: 'the request failed' });
    expect(getRequest(world.daemon!.db, request.id)!.reason).toMatch(/incident/);
    const alert = await world.smtp.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO), 10_000);
    const text = (await simpleParser(alert.raw)).text ?? '';
    expect(text).toMatch(/INC0012345/);
    expect(text).toMatch(/permission|role|ACL/i);
    expect(recordOf(world, 'INC0012345').attachments).toHaveLength(0);
  });

  it('an expired OAuth access token is refreshed and the delivery goes on', async () => {
    const world = getWorld();
    const grantsBefore = world.servicenow.calls.filter((c) => c.path === '/oauth_token.do').length;
    // Access tokens live SN_TOKEN_LIFETIME_S here: wait until the one the earlier deliveries used has expired at the simulator.
    const used = loadToken(world.daemon!.db, 'servicenow');
    expect(used?.obtainedAt).toEqual(expect.any(Number));
    await waitFor(() => Date.now() > used!.obtainedAt! + SN_TOKEN_LIFETIME_S * 1000, { what: 'the access token to expire' });
    const { request, reference } = await sendRequest(world, 'RITM0010003');
    await world.simulator.complete(reference);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    expect(world.servicenow.calls.filter((c) => c.path === '/oauth_token.do').length).toBeGreaterThan(grantsBefore);
    expect(world.logs.join('')).not.toContain('sn-client-secret-do-not-log-77');
  });
});
