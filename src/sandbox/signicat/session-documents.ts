// Signicat's session data storage (SDS) as the Sign API exposes it at /documents: a raw
// body of type application/pdf or text/plain (the only two the guide allows) in, a
// `{documentId}` out; kept 30 minutes unless an order uses it, then gone (404, and an
// order naming it is refused). Choices (unconfirmed): another media type is 415; an empty
// body 400; a body over the size limit 413; a PDF that pdf-lib cannot open (damaged or
// encrypted) 400 — refused at upload rather than at signing, when it would be too late.
import { PDFDocument } from 'pdf-lib';
import { signicatId } from './ids.ts';
import { notFound, signicatProblem } from './problems.ts';

export const SESSION_LIFETIME_MS = 30 * 60_000;
export const ACCEPTED_TYPES = ['application/pdf', 'text/plain'];

export interface SessionDocument {
  id: string;
  contentType: string;
  bytes: Uint8Array;
  uploadedAt: number;
  /** Set once an order used it: from then on it does not expire. */
  usedAt?: number;
}

export class SessionDocuments {
  readonly byId = new Map<string, SessionDocument>();
  private readonly now: () => number;
  private readonly maxBytes: number;

  constructor(now: () => number, maxBytes: number) {
    this.now = now;
    this.maxBytes = maxBytes;
  }

  async upload(contentType: string, bytes: Uint8Array): Promise<SessionDocument> {
    if (!ACCEPTED_TYPES.includes(contentType)) {
      throw signicatProblem(415, `Content-Type ${contentType || '(none)'} is not supported; upload application/pdf or text/plain`, 'UNSUPPORTED_MEDIA_TYPE');
    }
    if (bytes.length === 0) throw signicatProblem(400, 'The document is empty', 'EMPTY_DOCUMENT');
    if (bytes.length > this.maxBytes) throw signicatProblem(413, `The document is larger than ${this.maxBytes} bytes`, 'DOCUMENT_TOO_LARGE');
    if (contentType === 'application/pdf') {
      // pdf-lib opens nearly anything; a PDF it finds no page in is as useless to sign.
      const pages = await PDFDocument.load(bytes).then((pdf) => pdf.getPageCount()).catch(() => 0);
      if (pages === 0) throw signicatProblem(400, 'The document is not a readable PDF (damaged, encrypted, or without pages)', 'INVALID_DOCUMENT');
    }
    const doc: SessionDocument = { id: signicatId(this.now()), contentType, bytes, uploadedAt: this.now() };
    this.byId.set(doc.id, doc);
    return doc;
  }

  /** The document if it is still there: an unused one is dropped 30 minutes after upload. */
  find(id: string): SessionDocument | undefined {
    const doc = this.byId.get(id);
    if (doc && doc.usedAt === undefined && this.now() - doc.uploadedAt >= SESSION_LIFETIME_MS) this.byId.delete(id);
    return this.byId.get(id);
  }

  get(id: string): SessionDocument {
    const doc = this.find(id);
    if (!doc) throw notFound(`Document ${id}`);
    return doc;
  }

  remove(id: string): void {
    this.get(id);
    this.byId.delete(id);
  }

  markUsed(id: string): void {
    const doc = this.get(id);
    doc.usedAt ??= this.now();
  }
}
