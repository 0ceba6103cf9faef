// Test material for the Secured Signing client and simulator tests: PDFs drawn inline
// with pdf-lib (tags as real text, so the simulator's pdfjs reading finds them), a
// provider configuration pointing at a simulator, a token store in memory, and a clock.
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { SecuredSigningConfig } from '../../src/config/schema.ts';
import type { StoredToken, TokenStore } from '../../src/providers/secured-signing/oauth.ts';
import type { SendInput, SentDocument } from '../../src/providers/provider.ts';

export const API_KEY = 'sim-api-key-0001';
export const API_SECRET = 'sim-secret-never-show-9b7e41';
export const REFERER = 'https://corp.example/signrelay';

export async function pdfWithLines(lines: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  page.drawText('Contractor agreement', { x: 60, y: 780, size: 16, font });
  lines.forEach((line, i) => page.drawText(line, { x: 60, y: 740 - i * 18, size: 10, font }));
  return doc.save();
}

export const TAG_LINES = [
  '[!Sign.1,Ann,Lee,ann.lee@example.com]',
  '[!Sign.2,Bob,Stone,bob.stone@example.com]',
  '[!Recipient.C,signrelay,Returns,returns+tok123@corp.example]',
];

export function taggedPdf(): Promise<Uint8Array> {
  return pdfWithLines(TAG_LINES);
}

export function untaggedPdf(): Promise<Uint8Array> {
  return pdfWithLines(['No tags on this page.']);
}

export function providerConfig(sim: { url: string; oauthUrl: string }, overrides: Partial<SecuredSigningConfig> = {}): SecuredSigningConfig {
  return {
    type: 'secured-signing', environment: sim.url, oauth_url: sim.oauthUrl, api_key: API_KEY, api_secret: API_SECRET,
    oauth: true, referer: REFERER, recipient_letter: 'C', timeout_seconds: 10, tls_verify: true, ...overrides,
  };
}

export interface MemoryTokenStore extends TokenStore {
  token: StoredToken | null;
  saves: StoredToken[];
}

export function memoryTokenStore(initial: StoredToken | null = null): MemoryTokenStore {
  const store: MemoryTokenStore = {
    token: initial,
    saves: [],
    load: () => store.token,
    save: (t) => {
      store.token = t;
      store.saves.push(t);
    },
  };
  return store;
}

/** A clock tests move by hand; starts at real time so ISO due dates look sane. */
export function manualClock(start = Date.now()): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/** A document as a provider's status/download/remind/cancel take it (provider.ts SentDocument). */
export function sentDoc(reference: string): SentDocument {
  return { reference, kept: null, orderId: null };
}

/** A send of these documents with nothing else to say: no signers (the tags decide), due tomorrow. */
export function sendOf(documentReferences: string[], extra: Partial<SendInput> = {}): SendInput {
  return {
    documentReferences, dueAt: new Date(Date.now() + 86_400_000), packageName: 'p', signers: [],
    token: 'k7q2mzx4bd5fh6jn3wpa', returnAddress: 'returns+k7q2mzx4bd5fh6jn3wpa@corp.example', route: {}, ...extra,
  };
}
