// Signicat's document archive as the simulator keeps it: a signed result (a task document
// with sendResultToArchive, or a packaging task with sendToArchive) is stored under an
// archiveId of its own and outlives the order that made it — the reference says deleting
// an order leaves archived documents alone. GET/DELETE /archive-documents/{archiveId}.
import { signicatId } from './ids.ts';
import { notFound } from './problems.ts';

export interface ArchivedDocument {
  id: string;
  bytes: Uint8Array;
  orderId: string;
  archivedAt: number;
}

export class Archive {
  readonly byId = new Map<string, ArchivedDocument>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  put(orderId: string, bytes: Uint8Array): string {
    const id = signicatId(this.now());
    this.byId.set(id, { id, bytes, orderId, archivedAt: this.now() });
    return id;
  }

  get(id: string): ArchivedDocument {
    const doc = this.byId.get(id);
    if (!doc) throw notFound(`Archived document ${id}`);
    return doc;
  }

  remove(id: string): void {
    this.get(id);
    this.byId.delete(id);
  }
}
