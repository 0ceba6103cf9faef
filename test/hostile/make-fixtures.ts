// Regenerates the committed PDFs in fixtures/hostile/ (not a test; run by hand, ~10 s):
//   node test/hostile/make-fixtures.ts
// Each is a few kilobytes that attack a parser; the ones that would be megabytes (a
// single-layer zip bomb, a heap-filling object list) are built at test time instead.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { deflatedZeros, formFanOutPdf, hugeObjectCountPdf, nestedArraysPdf, onePagePdf, pageTreeLoopPdf } from './make-hostile-pdf.ts';

const dir = fileURLToPath(new URL('../../fixtures/hostile/', import.meta.url));
const GIB = 2 ** 30;

// 2^40 form drawings: pdf.js would interpret content for ever.
writeFileSync(`${dir}form-fan-out.pdf`, formFanOutPdf(40));
// A page-tree node that is its own grandchild.
writeFileSync(`${dir}page-tree-loop.pdf`, pageTreeLoopPdf());
// 20 000 nested arrays in the page dictionary.
writeFileSync(`${dir}nested-arrays.pdf`, nestedArraysPdf(20_000));
// An object stream claiming 100 million objects.
writeFileSync(`${dir}objstm-huge-count.pdf`, hugeObjectCountPdf(100_000_000));
// Deflated twice: a page content stream of 10 GiB of spaces in a few kilobytes.
const twice = deflateSync(await deflatedZeros(10 * GIB), { level: 9 });
writeFileSync(`${dir}flate-bomb-10gib.pdf`, onePagePdf(twice, '/Filter [/FlateDecode /FlateDecode]'));
// The same, its dictionary claiming to be an image (which measure-inflated-size.ts skips):
// only the worker's allocation cap stops it.
writeFileSync(`${dir}flate-bomb-posing-as-image.pdf`, onePagePdf(twice, '/Filter [/FlateDecode /FlateDecode] /Subtype /Image /Width 1 /Height 1'));
process.stdout.write(`fixtures written to ${dir}\n`);
