// Whose fault an error met while stamping is: the file's (refused with a reply, never
// retried) or ours (retried, then the operator told). Its own module so the rule is tested
// on its own (test/pdf/file-damage.test.ts). Pure.
import { isSignrelayError } from '../errors.ts';
import { isErrnoCode } from './pdf-errors.ts';

/**
 * An error pdf-lib threw — its own (UnexpectedObjectTypeError, CorruptPageTreeError,
 * PDFArrayIsNotRectangleError…) or the engine's inside its code (a stack overflow on a
 * structure that contains itself) — while it worked on the document: every step of a stamp
 * reads or changes the file's own objects (its pages, tree, forms, metadata, the save), and
 * what the steps draw is ours and tested, so it is the file's damage, refused like a file it
 * cannot load — never taken for our own failure, retried five times and filed without a
 * reply (fuzz review M2: a page tree's counts, a crop box of three numbers). Told by where it
 * was thrown: pdf-lib's error classes are compiled to ES5 and are plain Errors to
 * `instanceof`. Not: an errno error (the machine's), nor running out of memory (the worker's
 * limits answer that), nor what a font library threw (ours).
 */
export function isFileDamage(err: unknown): boolean {
  if (!(err instanceof Error) || isSignrelayError(err) || isErrnoCode((err as { code?: unknown }).code)) return false;
  if (err instanceof RangeError && /allocation failed|Invalid (typed )?array length|Invalid string length/i.test(err.message)) return false;
  return thrownInPdfLib(err);
}

const PDF_LIB_FRAME = /[\\/]node_modules[\\/]pdf-lib[\\/]/;

/** The innermost frame of the error's stack in a file is pdf-lib's (a builtin's frame — `instanceof`, `Array.map` — is passed over). */
function thrownInPdfLib(err: Error): boolean {
  const frame = err.stack?.split('\n').find((line) => /^\s+at /.test(line) && !/\(<anonymous>\)$|\(native\)$|\(node:/.test(line));
  return frame !== undefined && PDF_LIB_FRAME.test(frame);
}
