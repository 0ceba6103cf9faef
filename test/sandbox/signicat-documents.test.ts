// Session data storage as the simulated Sign API keeps it: raw PDF or text uploads only,
// a size limit, read back and delete, and the 30 minutes after which an unused document
// is gone — on the simulator's clock — while one an order used stays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, contractPdf, twoSignerOrder, uploadPdf, type SimWorld } from './signicat-fixtures.ts';

let world: SimWorld;
beforeAll(async () => {
  world = await startWorld({ maxDocumentBytes: 64 * 1024 });
});
afterAll(() => world.sim.close());

const MINUTE = 60_000;

describe('upload', () => {
  it('stores a PDF: 201 {documentId}, read back byte for byte, then deleted', async () => {
    const pdf = await contractPdf();
    const upload = await world.call('POST', '/documents', { bytes: pdf });
    expect(upload.status).toBe(201);
    const id = upload.body.documentId as string;
    expect(id).toMatch(/^\d{8}[a-z0-9]{50}$/);
    expect(upload.headers.get('location')).toBe(`${world.sim.url}/documents/${id}`);

    const read = await world.call('GET', `/documents/${id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(read.bytes).equals(Buffer.from(pdf))).toBe(true);

    expect((await world.call('DELETE', `/documents/${id}`)).status).toBe(204);
    expect((await world.call('GET', `/documents/${id}`)).status).toBe(404);
    expect((await world.call('DELETE', `/documents/${id}`)).status).toBe(404);
  });

  it('takes text/plain', async () => {
    const upload = await world.call('POST', '/documents', { bytes: new TextEncoder().encode('I agree.'), contentType: 'text/plain' });
    expect(upload.status).toBe(201);
    expect(world.sim.documents.get(upload.body.documentId as string)?.contentType).toBe('text/plain');
  });

  const refusals: Array<[string, () => Promise<{ bytes: Uint8Array; contentType: string }>, number]> = [
    ['another media type with 415', async () => ({ bytes: await contractPdf(), contentType: 'application/octet-stream' }), 415],
    ['multipart with 415', async () => ({ bytes: new TextEncoder().encode('--x\r\n'), contentType: 'multipart/form-data; boundary=x' }), 415],
    ['an empty body with 400', async () => ({ bytes: new Uint8Array(), contentType: 'application/pdf' }), 400],
    ['a damaged PDF with 400', async () => ({ bytes: new TextEncoder().encode('%PDF-1.7 nothing else'), contentType: 'application/pdf' }), 400],
    ['a body over the size limit with 413', async () => ({ bytes: new Uint8Array(65 * 1024).fill(32), contentType: 'text/plain' }), 413],
  ];
  it.each(refusals)('refuses %s, in a problem body, and stores nothing', async (_name, make, status) => {
    const before = world.sim.documents.size;
    const { bytes, contentType } = await make();
    const answer = await world.call('POST', '/documents', { bytes, contentType });
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
    expect(world.sim.documents.size).toBe(before);
  });
});

describe('30 minutes in session storage', () => {
  it('drops an unused document after 30 minutes; an order can no longer name it', async () => {
    const id = await uploadPdf(world.call);
    world.clock.advance(30 * MINUTE - 1);
    expect((await world.call('GET', `/documents/${id}`)).status).toBe(200);
    world.clock.advance(1);
    expect((await world.call('GET', `/documents/${id}`)).status).toBe(404);
    const order = await world.call('POST', '/orders', { json: twoSignerOrder(id) });
    expect(order.status).toBe(400);
    expect(order.body.violations).toEqual(expect.arrayContaining([
      { propertyPath: 'tasks[0].documents[0].documentRef', message: expect.stringMatching(/session data storage/) },
      { propertyPath: 'tasks[1].documents[0].documentRef', message: expect.stringMatching(/session data storage/) },
    ]));
  });

  it('keeps a document an order used', async () => {
    const id = await uploadPdf(world.call);
    world.clock.advance(29 * MINUTE);
    expect((await world.call('POST', '/orders', { json: twoSignerOrder(id) })).status).toBe(201);
    world.clock.advance(60 * MINUTE);
    expect((await world.call('GET', `/documents/${id}`)).status).toBe(200);
  });
});
