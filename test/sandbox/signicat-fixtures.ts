// Test material for the Signicat simulator tests: a simulator on a hand-moved clock, an
// API caller that answers status, JSON and bytes, a PDF uploaded to session storage, and
// a valid two-signer order (the second signs after the first, by dependsOnTasks) that
// each validation test breaks in exactly one place.
import { startSignicatSimulator, type SignicatSimulator, type SignicatSimulatorOptions } from '../../src/sandbox/signicat/server.ts';
import { manualClock, pdfWithLines } from './fixtures.ts';

export const CLIENT_ID = 'signrelay-test';
export const CLIENT_SECRET = 'sig-secret-never-show-42';
export const RETURN_ADDRESS = 'returns+tok42@corp.example';

export interface SimWorld {
  sim: SignicatSimulator;
  clock: { now: () => number; advance(ms: number): void };
  call: ApiCaller;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  // Parsed JSON (or {} for bytes): tests read whatever fields they check.
  body: Record<string, any>;
}

export type ApiCaller = (method: string, path: string, init?: { json?: unknown; bytes?: Uint8Array; contentType?: string; token?: string | null; base?: string }) => Promise<ApiAnswer>;

export async function startWorld(options: Partial<SignicatSimulatorOptions> = {}): Promise<SimWorld> {
  const clock = manualClock();
  const sim = await startSignicatSimulator({ clients: { [CLIENT_ID]: { secret: CLIENT_SECRET } }, now: clock.now, ...options });
  const call: ApiCaller = async (method, path, init = {}) => {
    const headers: Record<string, string> = {};
    // A fresh token per call, so tests that move the clock by days still get in.
    const bearer = init.token === undefined ? sim.issueToken(CLIENT_ID) : init.token;
    if (bearer !== null) headers.Authorization = `Bearer ${bearer}`;
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (init.json !== undefined) {
      headers['Content-Type'] = init.contentType ?? 'application/json';
      body = typeof init.json === 'string' ? init.json : JSON.stringify(init.json);
    } else if (init.bytes !== undefined) {
      headers['Content-Type'] = init.contentType ?? 'application/pdf';
      body = init.bytes as Uint8Array<ArrayBuffer>;
    }
    const response = await fetch(`${init.base ?? sim.url}${path}`, { method, headers, body });
    const bytes = new Uint8Array(await response.arrayBuffer());
    let parsed: Record<string, any> = {};
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, any>;
    } catch { /* a download, or an empty answer */ }
    return { status: response.status, headers: response.headers, bytes, body: parsed };
  };
  return { sim, clock, call };
}

export function contractPdf(): Promise<Uint8Array> {
  return pdfWithLines(['This agreement is signed through Signicat.']);
}

/** Uploads a PDF to session storage; returns its documentId. */
export async function uploadPdf(call: ApiCaller, bytes?: Uint8Array): Promise<string> {
  const answer = await call('POST', '/documents', { bytes: bytes ?? await contractPdf() });
  if (answer.status !== 201) throw new Error(`upload answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.documentId as string;
}

function signerTask(id: string, email: string, documentRef: string, dependsOnTasks: string[]): Record<string, unknown> {
  return {
    id,
    language: 'en',
    daysToLive: 14,
    documents: [{ id: 'doc-1', description: 'Contract', action: 'SIGN', source: 'SESSION', documentRef }],
    signatureMethods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }],
    ...(dependsOnTasks.length > 0 ? { dependsOnTasks } : {}),
    notifications: [
      {
        id: `${id}-invite`, type: 'EMAIL', recipient: email, sender: 'sign@corp.example',
        header: 'Please sign ${clientRef}', message: 'Sign here: ${taskUrl}\nCode ${signCode} (${signCodeUrl}), order ${orderId}',
        schedule: [{ triggerStatus: 'CREATED' }],
      },
      {
        id: `${id}-done`, type: 'EMAIL', recipient: RETURN_ADDRESS,
        header: 'Signed: ${clientRef} task ' + id, message: 'Order ${orderId} (${clientRef}) task ' + id + ' is signed.',
        schedule: [{ triggerStatus: 'COMPLETED' }, { triggerStatus: 'REJECTED' }, { triggerStatus: 'EXPIRED' }],
      },
    ],
  };
}

/** Ann signs first, then Bob (task "bob" dependsOnTasks ["ann"]). */
export function twoSignerOrder(documentRef: string): Record<string, any> {
  return {
    clientReference: 'tok42',
    daysUntilDeletion: 7,
    tasks: [signerTask('ann', 'ann.lee@example.com', documentRef, []), signerTask('bob', 'bob.stone@example.com', documentRef, ['ann'])],
  };
}
