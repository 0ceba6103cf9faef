// Large bodies through fetch without holding them whole, against a real HTTP server on
// loopback: a file sent as it is read, with its length told up front and whole again on a
// retry, alone or as the one file of a form; an answer taken as it arrives, its failure classified, the rest cancelled when
// the consumer stops.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answerChunks, multipartBody, payloadBody } from '../../src/http/streamed-bodies.ts';

let server: Server | undefined;
const dirs: string[] = [];
afterEach(async () => {
  const closing = new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server?.closeAllConnections();
  await closing;
  server = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

const bytes = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => (i * 7) % 256));

describe('payloadBody', () => {
  it('sends a file as it reads it, its length told (not chunked), and whole again for a second call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-payload-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'signed.pdf'), bytes);
    const received: Array<{ length: string | undefined; chunked: boolean; body: Buffer }> = [];
    const url = await serve((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        received.push({ length: req.headers['content-length'], chunked: req.headers['transfer-encoding'] === 'chunked', body: Buffer.concat(parts) });
        res.end('ok');
      });
    });
    const file = { path: join(dir, 'signed.pdf'), size: bytes.length };
    for (let call = 0; call < 2; call++) {
      const { body, length, duplex } = payloadBody(file);
      expect(length).toBe(bytes.length);
      const answer = await fetch(url, { method: 'POST', body, ...(duplex ? { duplex } : {}), headers: { 'Content-Length': String(length) } });
      expect(await answer.text()).toBe('ok');
    }
    expect(received.map((r) => ({ ...r, body: r.body.equals(bytes) }))).toEqual([
      { length: String(bytes.length), chunked: false, body: true },
      { length: String(bytes.length), chunked: false, body: true },
    ]);
  });
});

describe('multipartBody', () => {
  it('is what a form parser reads as the one file, from bytes or from disk, whatever its name holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-multipart-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'stamped.pdf'), bytes);
    const received: Array<{ length: number; declared: string | undefined; names: string[]; file: { name: string; type: string; same: boolean } }> = [];
    const url = await serve((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => void (async () => {
        const body = Buffer.concat(parts);
        const form = await new Request('http://parser.invalid/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body }).formData();
        const file = form.get('file') as File;
        received.push({
          length: body.length, declared: req.headers['content-length'], names: [...form.keys()],
          file: { name: file.name, type: file.type, same: Buffer.from(await file.arrayBuffer()).equals(bytes) },
        });
        res.end('ok');
      })().catch((err: unknown) => res.writeHead(400).end(String(err))));
    });
    const hostile = 'Vertrag "Müller"\r\nContent-Type: text/html\r\n\r\nx.pdf';
    for (const payload of [bytes, { path: join(dir, 'stamped.pdf'), size: bytes.length }]) {
      const multipart = multipartBody({ field: 'file', fileName: hostile, contentType: 'application/pdf', payload });
      const answer = await fetch(url, { method: 'POST', body: multipart.body, duplex: multipart.duplex, headers: { 'Content-Type': multipart.contentType, 'Content-Length': String(multipart.length) } });
      expect(await answer.text()).toBe('ok');
    }
    // The parser undoes the escapes: the name arrives as it was, and it ended no header line.
    const expected = { names: ['file'], file: { name: hostile, type: 'application/pdf', same: true } };
    expect(received).toEqual([
      { length: expect.any(Number), declared: String(received[0]!.length), ...expected },
      { length: received[0]!.length, declared: String(received[0]!.length), ...expected },
    ]);
  });
});

describe('answerChunks', () => {
  it('yields the body as it arrives', async () => {
    const url = await serve((_req, res) => res.end(bytes));
    const parts: Uint8Array[] = [];
    for await (const chunk of answerChunks((await fetch(url)).body, (err) => err as Error)) parts.push(chunk);
    expect(parts.length).toBeGreaterThan(1);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
  });

  it('throws a body that breaks off as `classify` makes it', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': bytes.length });
      res.write(bytes.subarray(0, 100_000), () => res.socket?.destroy());
    });
    const classified = new Error('classified');
    const seen: unknown[] = [];
    const reading = (async () => {
      for await (const _chunk of answerChunks((await fetch(url)).body, (err) => (seen.push(err), classified)));
    })();
    await expect(reading).rejects.toBe(classified);
    expect(seen).toHaveLength(1);
  });

  it('cancels the rest of the body when its consumer stops: the server sees the connection close', async () => {
    let closed: () => void;
    const serverSawClose = new Promise<void>((resolve) => { closed = resolve; });
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': 1024 * 1024 * 1024 });
      const block = Buffer.alloc(64 * 1024, 1);
      const pump = () => { while (res.write(block)); };
      res.on('drain', pump);
      res.on('close', () => closed());
      pump();
    });
    const stop = new Error('the check failed');
    const reading = (async () => {
      for await (const _chunk of answerChunks((await fetch(url)).body, (err) => err as Error)) throw stop;
    })();
    await expect(reading).rejects.toBe(stop);
    await serverSawClose;
  });
});
