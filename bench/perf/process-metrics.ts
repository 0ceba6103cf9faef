// The daemon's own view of its main process's memory, read from its /metrics
// (`signrelay_process_memory_bytes{kind}`): what of the RSS is V8's heap (used and
// reserved) and what lies outside it. The soak shows them beside the RSS read from /proc,
// so growth can be told apart: a reserved heap V8 has not shrunk, buffers, or native memory.
import { createServer } from 'node:net';

export interface HeapFigures {
  heap: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** A loopback port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const KINDS: Record<string, keyof HeapFigures> = { heap: 'heap', heap_total: 'heapTotal', external: 'external', array_buffers: 'arrayBuffers' };

/** The figures, or undefined while the endpoint does not answer. */
export async function readHeapFigures(port: number): Promise<HeapFigures | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return undefined;
    const figures: Partial<HeapFigures> = {};
    for (const match of (await response.text()).matchAll(/^signrelay_process_memory_bytes\{kind="(\w+)"\} (\d+(?:\.\d+)?)$/gm)) {
      const key = KINDS[match[1]!];
      if (key) figures[key] = Number(match[2]);
    }
    return Object.keys(figures).length === Object.keys(KINDS).length ? figures as HeapFigures : undefined;
  } catch {
    return undefined;
  }
}
