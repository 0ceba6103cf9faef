// Hand-built PDFs that attack the parsers: written object by object (with a correct
// cross-reference table, so the parsers take them seriously) at test time, because the
// worst of them would be megabytes or gigabytes if committed. Each builder says which
// attack it is; none of them is a valid document a person could send by mistake.
import { createDeflate, constants as zlibConstants, deflateSync } from 'node:zlib';

type PdfObject = string | Buffer;

/** A PDF from its objects (object n is objects[n - 1]; object 1 must be the catalog). */
export function assemblePdf(objects: readonly PdfObject[], trailerExtra = ''): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const chunk = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'), Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(chunk);
    offset += chunk.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${offset}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}

/** A stream object with its dictionary entries and (already encoded) data. */
export function streamObject(dict: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream', 'latin1')]);
}

const PAGE_RESOURCES = '/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>';

/** One page whose content stream is `content` (object 4), with extra objects after it. */
export function onePagePdf(content: Buffer, contentDict = '', extra: PdfObject[] = [], pageExtra = ''): Buffer {
  return assemblePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] ${PAGE_RESOURCES} /Contents 4 0 R ${pageExtra}>>`,
    streamObject(contentDict, content),
    ...extra,
  ]);
}

/** An ordinary one-page PDF saying `text`: the control case for the builders below. */
export function plainPdf(text = 'A plain document.'): Buffer {
  return onePagePdf(Buffer.from(`BT /F1 12 Tf 72 760 Td (${text}) Tj ET`, 'latin1'));
}

/** Arrays nested `depth` deep in the page dictionary: recursive-descent parsers run out of stack. */
export function nestedArraysPdf(depth: number): Buffer {
  return onePagePdf(Buffer.from('BT /F1 12 Tf 72 760 Td (nested) Tj ET'), '', [], `/Nested ${'['.repeat(depth)}${']'.repeat(depth)}`);
}

/** Dictionaries nested `depth` deep. */
export function nestedDictionariesPdf(depth: number): Buffer {
  return onePagePdf(Buffer.from('BT /F1 12 Tf 72 760 Td (nested) Tj ET'), '', [], `/Nested ${'<< /A '.repeat(depth)}1${' >>'.repeat(depth)}`);
}

/** A page tree whose node is its own grandchild: a walker without a visited set never ends. */
export function pageTreeLoopPdf(): Buffer {
  return assemblePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 4 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] ${PAGE_RESOURCES} /Contents 5 0 R >>`,
    streamObject('', Buffer.from('BT /F1 12 Tf 72 760 Td (loop) Tj ET')),
  ]);
}

/** An object stream that claims `count` objects (and a /Size to match): a parser that believes it allocates for all of them. */
export function hugeObjectCountPdf(count: number): Buffer {
  const header = Buffer.from('10 0 ', 'latin1');
  const objstm = streamObject(`/Type /ObjStm /N ${count} /First ${header.length}`, Buffer.concat([header, Buffer.from('<< /A 1 >>')]));
  return assemblePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] ${PAGE_RESOURCES} /Contents 4 0 R >>`,
    streamObject('', Buffer.from('BT /F1 12 Tf 72 760 Td (objects) Tj ET')),
    objstm,
  ]);
}

/** A content stream of `inflatedBytes` spaces, deflated (ratio ~1000:1). Generated in a stream: no big buffer is ever held. */
export async function deflatedZeros(inflatedBytes: number, byte = 0x20): Promise<Buffer> {
  const deflate = createDeflate({ level: 9, strategy: zlibConstants.Z_RLE });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const block = Buffer.alloc(1 << 20, byte);
  for (let left = inflatedBytes; left > 0; left -= block.length) {
    if (!deflate.write(left >= block.length ? block : block.subarray(0, left))) {
      await new Promise((resolve) => deflate.once('drain', resolve));
    }
  }
  deflate.end();
  await done;
  return Buffer.concat(chunks);
}

/** A page whose content stream inflates to `inflatedBytes` (a zip bomb for the text extractor). */
export async function flateBombPdf(inflatedBytes: number): Promise<Buffer> {
  return onePagePdf(await deflatedZeros(inflatedBytes), '/Filter /FlateDecode');
}

/** The same, deflated twice ([/FlateDecode /FlateDecode]): gigabytes in a few kilobytes. */
export async function doubleFlateBombPdf(inflatedBytes: number): Promise<Buffer> {
  return onePagePdf(deflateSync(await deflatedZeros(inflatedBytes), { level: 9 }), '/Filter [/FlateDecode /FlateDecode]');
}

/**
 * "Billion laughs" for PDF: the page draws form 1, each form draws the next one twice, so
 * `levels` forms make 2^levels drawings — a few kilobytes that keep a content interpreter
 * busy for ever, with no loop a cycle check could see. The last form shows a letter (pdf.js
 * skips forms that draw no text); all letters fall on one line, so pdf.js keeps extending
 * one text item and its heap grows slowly: under 256 MB after 20 s — it only spins.
 */
export function formFanOutPdf(levels: number): Buffer {
  const first = 5; // object number of form 1
  const forms: Buffer[] = [];
  for (let level = 0; level < levels; level++) {
    const last = level === levels - 1;
    const resources = last ? PAGE_RESOURCES : `/Resources << /XObject << /X ${first + level + 1} 0 R >> >>`;
    forms.push(streamObject(`/Type /XObject /Subtype /Form /BBox [0 0 10 10] ${resources}`, Buffer.from(last ? '(x) Tj' : '/X Do /X Do')));
  }
  return assemblePdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /X ${first} 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents 4 0 R >>`,
    streamObject('', Buffer.from('BT /F1 1 Tf /X Do ET')),
    ...forms,
  ]);
}

/** `count` tiny indirect objects: every parser keeps a table entry (and an object) for each. */
export function manyObjectsPdf(count: number): Buffer {
  const filler = Array.from({ length: count }, () => '[0 0 0 0 0 0 0 0]');
  return onePagePdf(Buffer.from('BT /F1 12 Tf 72 760 Td (many) Tj ET'), '', filler);
}

/**
 * A page whose content is one array of `count` empty dictionaries (a TJ operand): a few
 * kilobytes deflated, 4 bytes each inflated (well within the inflate budget), and a JS
 * object each in the parser's heap — tens of times the text, so it fills a 256 MB heap
 * in about a second.
 */
export async function hugeArrayPdf(count: number, element = '<<>>'): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  deflate.write('BT /F1 1 Tf [');
  const perBlock = 1 << 14;
  const block = Buffer.from(`${element} `.repeat(perBlock));
  for (let left = count; left > 0; left -= perBlock) {
    const chunk = left >= perBlock ? block : block.subarray(0, left * (element.length + 1));
    if (!deflate.write(chunk)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end('] TJ ET');
  await done;
  return onePagePdf(Buffer.concat(chunks), '/Filter /FlateDecode');
}

/** A PDF of numbered objects ([number, body]; the first must be the catalog), its table one range per object. */
export function assembleNumberedPdf(objects: ReadonlyArray<readonly [number, PdfObject]>): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const ranges = ['0 1\n0000000000 65535 f \n'];
  for (const [number, body] of objects) {
    ranges.push(`${number} 1\n${String(offset).padStart(10, '0')} 00000 n \n`);
    const chunk = Buffer.concat([Buffer.from(`${number} 0 obj\n`, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'), Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(chunk);
    offset += chunk.length;
  }
  const size = Math.max(...objects.map(([number]) => number)) + 1;
  parts.push(Buffer.from(`xref\n${ranges.join('')}trailer\n<< /Size ${size} /Root ${objects[0]![0]} 0 R >>\nstartxref\n${offset}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}
