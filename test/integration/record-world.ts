// The integration world (Dovecot, the SMTP relay, a provider's and the ServiceNow simulator,
// the real daemon) with the record's status field configured, and what the record tests
// read off the ServiceNow simulator: a record's work notes, the status field's value, and
// every PATCH that set it.
import { afterAll, beforeAll } from 'vitest';
import { waitUntil } from '../support/wait-for-event.ts';
import { configSchema, type Config } from '../../src/config/schema.ts';
import type { RecordedCall } from '../../src/sandbox/servicenow/server.ts';
import type { SimulatedRequest } from '../../src/sandbox/simulated-provider.ts';
import type { SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { getDocuments, getRequest, type RequestRow } from '../../src/store/requests.ts';
import { buildMail, reportOnFailure, startWorld, type World, type WorldOptions } from './world.ts';

export const STATUS_FIELD = 'u_signature_status';

export interface RecordWorldOptions extends WorldOptions {
  /** Settings laid over `servicenow` (status_field is set unless given). */
  servicenow?: Partial<Config['servicenow']>;
}

/** A world for the test file, its daemon started on the changed configuration; returns its accessor. */
export function useRecordWorld(options: RecordWorldOptions = {}): () => World {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld({ completionMails: false, ...options });
    world.config = configSchema.parse({ ...world.config, servicenow: { ...world.config.servicenow, status_field: STATUS_FIELD, ...options.servicenow } });
    world.startDaemon();
  }, 60_000);
  reportOnFailure(() => world);
  afterAll(async () => {
    await world?.close();
  });
  return () => world!;
}

export const recordOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!;
export const notesOf = (world: World, number: string) => recordOf(world, number).journal.filter((j) => j.field === 'work_notes').map((j) => j.value);
export const statusOf = (world: World, number: string) => recordOf(world, number).fields[STATUS_FIELD];

/** PATCHes of the record that carried the status field and reached the instance (a reset one did not), in order. */
export function statusPatches(world: World, number: string): RecordedCall[] {
  const { sysId } = recordOf(world, number);
  return world.servicenow.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(`/${sysId}`) && c.fault !== 'reset'
    && typeof c.body === 'object' && c.body !== null && STATUS_FIELD in c.body);
}
export const statusValues = (world: World, number: string) => statusPatches(world, number).map((c) => (c.body as Record<string, string>)[STATUS_FIELD]);

/** A day `days` from today, as a `Due:` line takes it. */
export function dayFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** The request as the provider simulator knows it (what signrelay stored when it sent it). */
export function simulated(world: World, request: Pick<RequestRow, 'id'>): SimulatedRequest {
  return { providerOrderId: getRequest(world.daemon!.db, request.id)!.providerOrderId, references: getDocuments(world.daemon!.db, request.id).map((d) => d.providerRef!) };
}

/**
 * The provider's notice to the request's return address: Signicat mails its own; Secured
 * Signing's simulator does not mail here (completionMails: false), so the test sends it.
 */
export async function providerNotice(world: World, token: string, subject: string): Promise<void> {
  if (world.signing.name !== 'secured-signing') return;
  await world.dovecot.deliver(`returns+${token}@corp.example`, await buildMail({
    from: 'Secured Signing <noreply@securedsigning.com>', to: `returns+${token}@corp.example`, subject, text: subject,
  }));
}

/** The Signicat simulator itself, in a Signicat world (undefined in another provider's). */
export function signicatOf(world: World): SignicatSimulator | undefined {
  return (world.signing as { signicat?: SignicatSimulator }).signicat;
}

/** Every signer signs, the provider's notice comes, and the request is delivered. */
export async function signAndDeliver(world: World, request: Pick<RequestRow, 'id' | 'token'>): Promise<void> {
  await world.signing.signAll(simulated(world, request));
  await providerNotice(world, request.token, 'contract has been signed');
  await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'the request delivered', describe: () => getRequest(world.daemon!.db, request.id) });
}
