// Large bodies through fetch without holding them whole, against a real HTTP server on
// loopback: a file sent as it is read, with its length told up front and whole again on a
// retry, alone or as the one file of a form; an answer taken as it arrives, its failure classified, the rest cancelled when
// the consumer stops.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answerChunks, multipartBody, payloadBody, throwIfAltered, type FileOnDisk, type RequestBody } from '../../src/http/streamed-bodies.ts';

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

describe('a file that is not what its name says (audit review L3: the stamped copy in blobs/ changed on disk)', () => {
  const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  /** A server that records how much of each body came, and whether it came whole. */
  async function counting(): Promise<{ url: string; bodies: Array<{ declared: number; got: number; whole: boolean }> }> {
    const bodies: Array<{ declared: number; got: number; whole: boolean }> = [];
    const url = await serve((req, res) => {
      const body = { declared: Number(req.headers['content-length']), got: 0, whole: false };
      bodies.push(body);
      req.on('data', (c: Buffer) => { body.got += c.length; });
      req.on('end', () => { body.whole = true; res.end('stored'); });
      req.on('error', () => undefined);
    });
    return { url, bodies };
  }

  const send = (url: string, made: RequestBody & { contentType?: string }) => fetch(url, {
    method: 'POST', body: made.body, ...(made.duplex ? { duplex: made.duplex } : {}),
    headers: { 'Content-Length': String(made.length), ...(made.contentType ? { 'Content-Type': made.contentType } : {}) },
  });

  for (const change of ['bytes changed in place', 'bytes added at the end', 'a small file, of one chunk'] as const) {
    it(`never sends it whole, and the call fails with the file's own error — ${change}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'signrelay-altered-'));
      dirs.push(dir);
      const path = join(dir, 'stamped.pdf');
      const original = change === 'a small file, of one chunk' ? bytes.subarray(0, 5000) : bytes;
      const changed = Buffer.from(original);
      changed[changed.length - 10]! ^= 0xff;
      writeFileSync(path, change === 'bytes changed in place' || change === 'a small file, of one chunk' ? changed : original);
      if (change === 'bytes added at the end') appendFileSync(path, '\n% not the stamped copy\n');
      const altered = new Error('the stored file was changed');
      const found: Array<{ sha256: string; bytes: number }> = [];
      const { url, bodies } = await counting();
      for (const make of ['raw', 'multipart'] as const) {
        // The size is taken as blobs.file() takes it: from the file as it is now.
        const file: FileOnDisk = {
          path, size: original.length + (change === 'bytes added at the end' ? 24 : 0),
          expected: { sha256: sha256(original), altered: (f) => (found.push(f), altered) },
        };
        const made = make === 'raw' ? payloadBody(file) : multipartBody({ field: 'file', fileName: 'x.pdf', contentType: 'application/pdf', payload: file });
        const call = send(url, made);
        await expect(call).rejects.toThrow();
        expect(made.failure()).toBe(altered);
        expect(() => throwIfAltered(made)).toThrow(altered);
        made.close();
      }
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      // A raw body of one chunk may not reach the server at all: nothing of it went out.
      expect(bodies.length).toBeGreaterThanOrEqual(1);
      for (const body of bodies) {
        expect(body.whole).toBe(false);
        expect(body.got).toBeLessThan(body.declared);
      }
      const onDisk = change === 'bytes added at the end' ? Buffer.concat([original, Buffer.from('\n% not the stamped copy\n')]) : changed;
      expect(found).toEqual([{ sha256: sha256(onDisk), bytes: onDisk.length }, { sha256: sha256(onDisk), bytes: onDisk.length }]);
    });
  }

  it('sends the file whole when it is what it must be, and no failure is told', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-intact-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'stamped.pdf'), bytes);
    const { url, bodies } = await counting();
    const file: FileOnDisk = { path: join(dir, 'stamped.pdf'), size: bytes.length, expected: { sha256: sha256(bytes), altered: () => new Error('not expected') } };
    for (const made of [payloadBody(file), multipartBody({ field: 'file', fileName: 'x.pdf', contentType: 'application/pdf', payload: file })]) {
      expect(await (await send(url, made)).text()).toBe('stored');
      expect(made.failure()).toBeUndefined();
      made.close();
    }
    expect(bodies.map((b) => b.whole && b.got === b.declared)).toEqual([true, true]);
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
