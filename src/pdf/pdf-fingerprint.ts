// What signed-copy-check.ts compares, read from a PDF with pdf-lib: per page the decoded
// content streams, a digest of each resource (followed through references, deeply), of
// the page's geometry and of its annotations; and the request tokens in the metadata.
// Runs in the PDF worker (verify-signed-copy.ts): a completion mail's PDF is hostile
// input. Digests are of a canonical form — keys sorted, references followed — so the same
// objects written differently (object streams or not, other object numbers) compare equal,
// while a stream's bytes are taken as they are stored.
import { createHash } from 'node:crypto';
import {
  decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRawStream, PDFRef, PDFStream, PDFString,
  type PDFContext, type PDFObject, type PDFPageLeaf,
} from 'pdf-lib';
import { loadPdfDocument } from './pdf-lib-load.ts';
import { TOKEN_INFO_KEY, TOKEN_KEYWORD_PREFIX } from './token-places.ts';
import { isRequestToken, REQUEST_TOKEN_PATTERN } from './request-token.ts';
import type { PageFingerprint, PdfFingerprint } from './signed-copy-check.ts';

/** Objects one page's digests may visit: a page of a real contract needs a few hundred. */
const MAX_OBJECTS_PER_PAGE = 100_000;
/** Keys that lead back up the document (an annotation's page, a node's parent), not into the page. */
const UPWARD_KEYS = new Set(['P', 'Parent']);
const GEOMETRY_KEYS = ['MediaBox', 'CropBox', 'Rotate', 'UserUnit'];
const KEYWORD_TOKEN_RE = new RegExp(`${TOKEN_KEYWORD_PREFIX}(${REQUEST_TOKEN_PATTERN})`, 'gi');

/** Throws on a PDF pdf-lib cannot read (encrypted ones included): such a copy cannot be checked. */
export async function fingerprintPdf(bytes: Uint8Array): Promise<PdfFingerprint> {
  const doc = await loadPdfDocument(bytes, { updateMetadata: false });
  return {
    pages: doc.getPages().map((page) => fingerprintPage(doc.context, page.node)),
    tokens: metadataTokens(doc),
  };
}

function fingerprintPage(context: PDFContext, page: PDFPageLeaf): PageFingerprint {
  const digests = new Digests(context);
  const resources: Record<string, string> = {};
  const dict = page.Resources();
  for (const [category, value] of dict?.entries() ?? []) {
    const inner = context.lookup(value);
    if (inner instanceof PDFDict) {
      for (const [name, resource] of inner.entries()) resources[`${category.decodeText()}/${name.decodeText()}`] = digests.of(resource);
    } else {
      resources[category.decodeText()] = digests.of(value);
    }
  }
  const geometry = GEOMETRY_KEYS.map((key) => `${key}=${digests.canonical(page.getInheritableAttribute(PDFName.of(key)))}`).join(' ');
  return { content: pageContent(context, page), resources, geometry: sha256(geometry), annotations: digests.of(page.get(PDFName.of('Annots'))) };
}

/** The page's content streams decoded and joined as a reader joins them (with a line break between). */
function pageContent(context: PDFContext, page: PDFPageLeaf): Uint8Array {
  const contents = context.lookup(page.get(PDFName.of('Contents')));
  const streams = contents instanceof PDFArray ? contents.asArray().map((item) => context.lookup(item)) : contents ? [contents] : [];
  const parts: Uint8Array[] = [];
  for (const [i, stream] of streams.entries()) {
    if (!(stream instanceof PDFRawStream)) throw new Error('a page\'s content is not a stream');
    if (i > 0) parts.push(LINE_BREAK);
    parts.push(decodePDFRawStream(stream).decode());
  }
  return Buffer.concat(parts);
}

const LINE_BREAK = Uint8Array.of(0x0a);

/** Canonical forms and their digests, with each referenced object done once. */
class Digests {
  readonly #context: PDFContext;
  readonly #done = new Map<string, string>();
  readonly #inProgress = new Set<string>();
  #visited = 0;

  constructor(context: PDFContext) {
    this.#context = context;
  }

  of(object: PDFObject | undefined): string {
    return sha256(this.canonical(object));
  }

  canonical(object: PDFObject | undefined): string {
    if (++this.#visited > MAX_OBJECTS_PER_PAGE) throw new Error(`a page refers to more than ${MAX_OBJECTS_PER_PAGE} objects`);
    if (object === undefined) return 'none';
    if (object instanceof PDFRef) return this.#reference(object);
    if (object instanceof PDFDict) return this.#dict(object);
    if (object instanceof PDFArray) return `[${object.asArray().map((item) => this.canonical(item)).join(' ')}]`;
    if (object instanceof PDFStream) {
      const bytes = object instanceof PDFRawStream ? object.contents : object.getContents();
      return `stream ${this.#dict(object.dict, 'Length')} ${sha256(bytes)}`;
    }
    if (object instanceof PDFString || object instanceof PDFHexString) return `(${object.decodeText()})`;
    return object.toString();
  }

  #reference(ref: PDFRef): string {
    const tag = ref.toString();
    const known = this.#done.get(tag);
    if (known) return known;
    // A cycle (a form whose resources name itself) is part of the shape, not an error.
    if (this.#inProgress.has(tag)) return 'cycle';
    this.#inProgress.add(tag);
    const digest = `@${sha256(this.canonical(this.#context.lookup(ref)))}`;
    this.#inProgress.delete(tag);
    this.#done.set(tag, digest);
    return digest;
  }

  #dict(dict: PDFDict, ...skip: string[]): string {
    const entries = dict.entries()
      .map(([key, value]) => [key.decodeText(), value] as const)
      .filter(([key]) => !UPWARD_KEYS.has(key) && !skip.includes(key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `<<${entries.map(([key, value]) => `/${key} ${this.canonical(value)}`).join(' ')}>>`;
  }
}

/** The request tokens the Info dictionary carries: its own key and the keywords. */
function metadataTokens(doc: PDFDocument): string[] {
  const tokens = new Set<string>();
  const info = doc.context.lookup(doc.context.trailerInfo.Info);
  if (info instanceof PDFDict) {
    const own = info.lookup(PDFName.of(TOKEN_INFO_KEY));
    if (own instanceof PDFString || own instanceof PDFHexString) {
      const token = own.decodeText().trim().toLowerCase();
      if (isRequestToken(token)) tokens.add(token);
    }
  }
  for (const [, token] of (doc.getKeywords() ?? '').matchAll(KEYWORD_TOKEN_RE)) tokens.add(token!.toLowerCase());
  return [...tokens];
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
