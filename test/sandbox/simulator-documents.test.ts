// The simulator's document endpoints refuse what the real service refuses, find smart
// tags in the PDF text, and move a document through its lifecycle. Requests are made with
// the production client's signature headers (their correctness is tested separately).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { signatureHeaders } from '../../src/providers/secured-signing/auth-headers.ts';
import { startSecuredSigningSimulator, type SecuredSigningSimulator } from '../../src/sandbox/secured-signing/server.ts';
import { parseSmartTags } from '../../src/sandbox/secured-signing/smart-tags.ts';
import { API_KEY, API_SECRET, REFERER, pdfWithLines, taggedPdf, untaggedPdf } from './fixtures.ts';

let sim: SecuredSigningSimulator;
beforeAll(async () => {
  sim = await startSecuredSigningSimulator({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, oauth: false });
});
afterAll(() => sim.close());

type Body = Record<string, unknown> & { ResponseStatus?: { ErrorCode?: string; Message?: string } };

async function api(method: string, path: string, init: { json?: unknown; form?: FormData } = {}): Promise<{ status: number; body: Body; bytes: Uint8Array; headers: Headers }> {
  const headers: Record<string, string> = { ...signatureHeaders({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: Date.now() }), Accept: 'application/json' };
  if (init.json !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${sim.url}${path}`, { method, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.form });
  const bytes = new Uint8Array(await response.arrayBuffer());
  let body: Body = {};
  try {
    body = JSON.parse(new TextDecoder().decode(bytes)) as Body;
  } catch { /* a download */ }
  return { status: response.status, body, bytes, headers: response.headers };
}

function fileForm(bytes: Uint8Array, name = 'contract.pdf', field = 'file'): FormData {
  const form = new FormData();
  form.append(field, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), name);
  return form;
}

async function uploaded(bytes?: Uint8Array): Promise<string> {
  const { status, body } = await api('POST', '/Document/Uploader/client-ref-1', { form: fileForm(bytes ?? await taggedPdf()) });
  expect(status).toBe(200);
  return body.Reference as string;
}

const due = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

describe('smart tags', () => {
  it('reads a tag as written strictly by default, and leniently (the worst case, for the security tests) when asked', () => {
    const written = ['[ ! sign . 1 , Ann , Lee , ann@example.com ]', '[!SIGN.2,Bob,Stone,bob@example.com]', '[!Sign.3,Cy,Young,\ncy@example.com]', '[!Recipient.C,Eve,Evil,\neve@evil.example]', '[!Recipient.Z,Zed,Nobody,zed@evil.example]'].join(' x ');
    expect(parseSmartTags(written)).toEqual({ sign: [], recipients: [] });
    const lenient = parseSmartTags(written, 'lenient');
    expect(lenient.sign.map((t) => t.email)).toEqual(['ann@example.com', 'bob@example.com', 'cy@example.com']);
    expect(lenient.recipients.map((t) => t.email)).toEqual(['eve@evil.example', 'zed@evil.example']);
    // Strictly, only a completion (C) or notification (N) recipient is one.
    expect(parseSmartTags('[!Recipient.Z,Zed,Nobody,zed@x.example] [!Recipient.N,Nan,Note,nan@x.example]').recipients.map((t) => t.letter)).toEqual(['N']);
  });

  it('parses sign and recipient tags, including Sign.N.F', () => {
    const tags = parseSmartTags('x [!Sign.2,Bob,Stone,bob@example.com] y [!Sign.1.F,Ann,Lee,ann@example.com]\n[!Recipient.C,signrelay,Returns,returns+t1@corp.example] [!Witness.1,a,b,c@d.e]');
    expect(tags.sign.map((t) => [t.order, t.email])).toEqual([[2, 'bob@example.com'], [1, 'ann@example.com']]);
    expect(tags.recipients).toMatchObject([{ letter: 'C', email: 'returns+t1@corp.example' }]);
  });
});

describe('upload', () => {
  it('returns a NotStart Document and reads the tags from the PDF text', async () => {
    const { status, body } = await api('POST', '/Document/Uploader/client-ref-1', { form: fileForm(await taggedPdf()) });
    expect(status).toBe(200);
    expect(body).toMatchObject({ Name: 'contract.pdf', Status: 'NotStart', ClientReference: 'client-ref-1', Signers: [] });
    const doc = sim.documents.get(body.Reference as string)!;
    expect(doc.tags.sign.map((t) => t.email)).toEqual(['ann.lee@example.com', 'bob.stone@example.com']);
    expect(doc.tags.recipients.map((t) => t.email)).toEqual(['returns+tok123@corp.example']);
    expect(sim.calls.at(-1)).toMatchObject({ status: 200, file: { name: 'contract.pdf' } });
  });

  it('refuses a file in another field', async () => {
    const { status, body } = await api('POST', '/Document/Uploader', { form: fileForm(await taggedPdf(), 'c.pdf', 'document') });
    expect(status).toBe(400);
    expect(body.ResponseStatus?.Message).toContain("'file'");
  });

  it('refuses a type it does not accept', async () => {
    expect((await api('POST', '/Document/Uploader', { form: fileForm(new Uint8Array([77, 90]), 'tool.exe') })).status).toBe(400);
  });

  it('refuses a corrupt PDF', async () => {
    expect((await api('POST', '/Document/Uploader', { form: fileForm(new TextEncoder().encode('not a pdf at all'), 'c.pdf') })).status).toBe(400);
  });
});

describe('SmartTag/Send', () => {
  it('requires DueDate', async () => {
    const ref = await uploaded();
    const { status, body } = await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [ref], GMT: '0' } });
    expect(status).toBe(400);
    expect(body.ResponseStatus?.Message).toContain('DueDate');
  });

  it('refuses a due date in the past', async () => {
    const ref = await uploaded();
    expect((await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [ref], DueDate: '2001-01-01T00:00:00Z', GMT: '0' } })).status).toBe(400);
  });

  it('answers 404 "please check reference" for an unknown reference', async () => {
    const { status, body } = await api('POST', '/SmartTag/Send', { json: { DocumentReferences: ['nope'], DueDate: due(), GMT: '0' } });
    expect(status).toBe(404);
    expect(body.ResponseStatus?.Message).toContain('please check reference');
  });

  it('refuses a document without a [!Sign. tag', async () => {
    const ref = await uploaded(await untaggedPdf());
    const { status } = await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [ref], DueDate: due(), GMT: '0' } });
    expect(status).toBe(400);
    expect(sim.documents.get(ref)!.sent).toBe(false);
  });

  it('sends once: marks the document, takes signers from the tags, refuses a second send', async () => {
    const ref = await uploaded();
    const first = await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [ref], DueDate: due(), GMT: '0', PackageName: 'RITM1' } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual([expect.objectContaining({ Reference: ref, Status: 'InProgress' })]);
    expect(sim.documents.get(ref)!.signers.map((s) => `${s.FirstName} ${s.LastName} <${s.Email}>`)).toEqual(['Ann Lee <ann.lee@example.com>', 'Bob Stone <bob.stone@example.com>']);
    const again = await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [ref], DueDate: due(), GMT: '0' } });
    expect(again.status).toBe(400);
    expect(again.body.ResponseStatus?.Message).toContain('already been sent');
  });

  it('lets Signers override the tag details in order, and refuses a count that does not fit', async () => {
    const ref = await uploaded(await pdfWithLines(['[!Sign.1,Jurgen,Muller,jm@example.com]']));
    const wrong = await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [ref], DueDate: due(), GMT: '0', Signers: [{ Email: 'a@x.example' }, { Email: 'b@x.example' }] } });
    expect(wrong.status).toBe(400);
    const ok = await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [ref], DueDate: due(), GMT: '0', Signers: [{ FirstName: 'Jürgen', LastName: 'Müller', Email: 'jm@example.com' }] } });
    expect(ok.status).toBe(200);
    expect(sim.documents.get(ref)!.signers[0]).toMatchObject({ FirstName: 'Jürgen', LastName: 'Müller' });
  });

  it('refuses a body that is not JSON', async () => {
    const headers = { ...signatureHeaders({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: Date.now() }), 'Content-Type': 'application/x-www-form-urlencoded' };
    expect((await fetch(`${sim.url}/SmartTag/Send`, { method: 'POST', headers, body: 'DueDate=x' })).status).toBe(400);
  });
});

describe('status, download and lifecycle', () => {
  it('moves NotStart → InProgress → "1 of 2 Signed" → Complete, and the download changes', async () => {
    const original = await taggedPdf();
    const ref = await uploaded(original);
    expect((await api('GET', `/Document/Status/${ref}`)).body.Status).toBe('NotStart');
    await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [ref], DueDate: due(), GMT: '0' } });
    expect((await api('GET', `/Document/Status/${ref}`)).body.Status).toBe('InProgress');
    sim.signNext(ref);
    expect((await api('GET', `/Document/Status/${ref}`)).body.Status).toBe('1 of 2 Signed');
    const before = await api('GET', `/Download/GetDocumentData/${ref}`);
    expect(Buffer.from(before.bytes).equals(Buffer.from(original))).toBe(true);
    await sim.complete(ref);
    const status = await api('GET', `/Document/Status/${ref}`);
    expect(status.body).toMatchObject({ Status: 'Complete', Signers: [expect.objectContaining({ HasSigned: true }), expect.objectContaining({ HasSigned: true })] });
    const after = await api('GET', `/Download/GetDocumentData/${ref}`);
    expect(after.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(after.bytes).equals(Buffer.from(original))).toBe(false);
    expect((await extractPdfText(after.bytes)).at(-1)).toContain('Signed by Bob Stone <bob.stone@example.com>');
  });

  it('one signer at a time: each shows in the status as it signs, the last completes, and nobody signs a finished document', async () => {
    const ref = await uploaded();
    await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [ref], DueDate: due(), GMT: '0' } });
    expect(await sim.signOne(ref)).toEqual([]);
    expect((await api('GET', `/Document/Status/${ref}`)).body).toMatchObject({
      Status: '1 of 2 Signed', Signers: [expect.objectContaining({ Email: 'ann.lee@example.com', HasSigned: true }), expect.objectContaining({ Email: 'bob.stone@example.com', HasSigned: false })],
    });
    await sim.signOne(ref);
    expect((await api('GET', `/Document/Status/${ref}`)).body).toMatchObject({ Status: 'Complete', Signers: [expect.objectContaining({ HasSigned: true }), expect.objectContaining({ HasSigned: true })] });
    await expect(sim.signOne(ref)).rejects.toThrow(/is Complete: nobody can sign it/);
    const declined = await uploaded();
    await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [declined], DueDate: due(), GMT: '0' } });
    sim.decline(declined, 'no');
    expect(() => sim.signNext(declined)).toThrow(/is Declined/);
  });

  it('decline and expire set the status', async () => {
    const a = await uploaded();
    const b = await uploaded();
    await api('POST', '/SmartTag/Send', { json: { DocumentReferences: [a, b], DueDate: due(), GMT: '0' } });
    sim.decline(a, 'Wrong salary');
    sim.expire(b);
    expect((await api('GET', `/Document/Status/${a}`)).body).toMatchObject({ Status: 'Declined', Signers: [expect.objectContaining({ DeclinedReason: 'Wrong salary' }), expect.anything()] });
    expect((await api('GET', `/Document/Status/${b}`)).body.Status).toBe('Expired');
  });

  it('answers 404 for unknown documents and routes', async () => {
    expect((await api('GET', '/Document/Status/nope')).status).toBe(404);
    expect((await api('GET', '/Download/GetDocumentData/nope')).status).toBe(404);
    expect((await api('GET', '/No/Such/Thing')).status).toBe(404);
  });
});

describe('fault injection', () => {
  it('fails the next call(s) on a path with the given status and Retry-After, then recovers', async () => {
    sim.failNext('/Account/Info', { status: 503, retryAfter: 7, times: 2 });
    const first = await api('GET', '/Account/Info');
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('7');
    expect((await api('GET', '/Account/Info')).status).toBe(503);
    expect((await api('GET', '/Account/Info')).status).toBe(200);
  });

  it('cuts JSON short while the malformed switch is on', async () => {
    sim.setMalformedJson(true);
    try {
      const response = await fetch(`${sim.url}/Account/Info`, { headers: signatureHeaders({ apiKey: API_KEY, apiSecret: API_SECRET, referer: REFERER, now: Date.now() }) });
      expect(response.status).toBe(200);
      await expect(response.json()).rejects.toThrow();
    } finally {
      sim.setMalformedJson(false);
    }
  });
});
