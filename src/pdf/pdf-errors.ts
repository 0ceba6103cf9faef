// The requester-facing refusals of a PDF, shared by inspection, stamping and the worker
// that runs them: each is a SignrelayError of kind 'input' whose message says what to do.
// Their own file so the worker runner can raise them without importing the parsers.
import { isSignrelayError, SignrelayError } from '../errors.ts';

export function encryptedPdfError(fileName = 'the PDF'): SignrelayError {
  return new SignrelayError('input', 'pdf_encrypted',
    `${fileName} is protected (encrypted — also when it opens without a password, it may be locked against changes): save or print it to a PDF without protection and send that`);
}

export function signedPdfError(fileName = 'the PDF'): SignrelayError {
  return new SignrelayError('input', 'pdf_signed',
    `${fileName} already carries a digital signature, which adding the signature page would break: send the document as it was before it was signed, or have it countersigned at the signing service directly`);
}

/** A dynamic XFA form (document-shape.ts): its page is only a placeholder, the form is drawn from XML few viewers read. */
export function xfaFormError(fileName = 'the PDF'): SignrelayError {
  return new SignrelayError('input', 'pdf_xfa_form',
    `${fileName} is an XFA form (made with Adobe LiveCycle or AEM Designer): its page holds only a "Please wait..." placeholder, so the signers would not see the form. ` +
    'Fill it in, then print it to PDF (Microsoft Print to PDF, or Save as PDF) and send that');
}

/** A PDF portfolio (document-shape.ts): only its cover sheet is a page, the documents are embedded files. */
export function portfolioPdfError(fileName = 'the PDF'): SignrelayError {
  return new SignrelayError('input', 'pdf_portfolio',
    `${fileName} is a PDF portfolio: the documents in it are files inside it, not its pages, so the signers would see only its cover sheet. ` +
    'Attach the documents in it as separate PDFs, or combine them into one ordinary PDF (Acrobat: Combine Files, not PDF Portfolio) and send that');
}

export function unreadablePdfError(fileName = 'the PDF', code = 'pdf_damaged', cause?: unknown): SignrelayError {
  return new SignrelayError('input', code, `${fileName} could not be read as a PDF (it may be damaged): export it again and resend`, { cause });
}

/**
 * A file changed after it was saved in a way PDF readers disagree on (xref-disagreement.ts):
 * an object defined again where the cross-reference table does not lead. The requester's
 * viewer showed one document, and the signers would have signed another.
 */
export function changedAfterSaveError(fileName = 'the PDF', cause?: unknown): SignrelayError {
  return new SignrelayError('input', 'pdf_changed_after_save',
    `${fileName} was changed after it was saved, in a way PDF readers disagree on: what your PDF viewer shows may not be what the signers would get. ` +
    'Open it, save or print it to PDF again, check that it reads as you expect, and send that', { cause });
}

/**
 * A PDF that would take the parsers too long or too much memory: a hostile file, or a
 * pathological export. `why` names the limit that was hit ("more than 20 s to read").
 */
export function tooComplexPdfError(fileName = 'the PDF', why: string, cause?: unknown): SignrelayError {
  return new SignrelayError('input', 'pdf_too_complex',
    `${fileName} could not be read in time: it is too complex (${why}); send a simpler PDF (print it to PDF again)`, { cause });
}

/** A PDF whose text could not all be read for the stamp check (a stream that will not decompress, past a bound): refused, not half read. */
export function uncheckableContentError(fileName = 'the PDF', why: string, cause?: unknown): SignrelayError {
  return new SignrelayError('input', 'pdf_content_uncheckable',
    `${fileName} could not be prepared for signing safely: ${why}, so its text could not be read in full. Print or export it to PDF again and resend`, { cause });
}

/** Signals that end a process of ours from outside: the OOM killer's, an operator's, a stop of the whole process group or unit. */
export const OUTSIDE_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']);

/**
 * A process of ours that read the PDF — the worker, or pdftotext — ended from outside (one of
 * OUTSIDE_SIGNALS; SIGKILL: the OOM killer, most likely). Nobody's fault yet: the work is tried
 * again, and a mail counts it at the higher limit of a process that died under it
 * (with-attempt-limit.ts), as the file may be what made it grow.
 */
export function killedFromOutsideError(code: 'pdf_worker_killed' | 'pdftotext_killed', message: string): SignrelayError {
  return new SignrelayError('transient', code, message);
}

/** The PDF worker got too little CPU time to finish: the machine's fault, and the mail is tried again. */
export function starvedPdfWorkerError(fileName = 'the PDF', used: { ownMs: number; wallMs: number }): SignrelayError {
  return new SignrelayError('transient', 'pdf_worker_starved',
    `${fileName} was not read: in ${(used.wallMs / 1000).toFixed(1)} s the PDF worker got a CPU for only ${(used.ownMs / 1000).toFixed(1)} s, ` +
    'the machine is too busy; it is tried again later');
}

export function tooLargePdfError(bytes: number, maxPdfBytes: number, fileName = 'the PDF'): SignrelayError {
  return new SignrelayError('input', 'pdf_too_large',
    `${fileName} is ${megabytes(bytes)} MB, more than the ${megabytes(maxPdfBytes)} MB signrelay accepts: send a smaller file or split the document`);
}

/** A PDF within the limit as sent that its stamp takes past it (prepare-pdf.ts): refused before the request is accepted, not at upload. */
export function stampedTooLargeError(bytes: number, maxPdfBytes: number, fileName = 'the PDF'): SignrelayError {
  return new SignrelayError('input', 'pdf_stamped_too_large',
    `${fileName} would be ${megabytes(bytes)} MB once prepared for signing, more than the ${megabytes(maxPdfBytes)} MB signrelay accepts: ` +
    'send a smaller file (save it optimised or with a reduced file size) or split the document');
}

export function tooManyPagesError(fileName = 'the PDF', pages: number, maxPages: number): SignrelayError {
  return new SignrelayError('input', 'pdf_too_many_pages',
    `${fileName} has ${pages} pages, more than the ${maxPages} signrelay accepts: split it into smaller documents and resend`);
}

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/**
 * A failure of the machine to run a worker or its reader, not of the PDF: transient, with what
 * to do; the mail waits and is tried again, uncounted. The temp directory full or gone, too many
 * open files, no process or memory to start pdftotext — in the daemon or inside the worker.
 */
export function workerUnavailable(what: string, cause: unknown): SignrelayError {
  const code = (cause as { code?: unknown } | null)?.code;
  const fix = code === 'EMFILE' || code === 'ENFILE' ? ': too many open files — raise LimitNOFILE'
    : code === 'ENOSPC' || code === 'EDQUOT' ? ': the disk is full — free space (under signrelay.service the temp directory is on /)'
      : code === 'EAGAIN' || code === 'ENOMEM' ? ': the system is out of processes or memory (TasksMax=, MemoryMax=)'
        : code === 'ENOENT' || code === 'EACCES' || code === 'EROFS' ? ': the temp directory (TMPDIR) must exist and be writable by the service\'s user'
          : '';
  return new SignrelayError('transient', 'pdf_worker_unavailable', `${what}${fix}; the work waits and is tried again`, { cause });
}

/** An errno code (ENOSPC, EMFILE, …): only the machine's calls — files, processes — fail with one, never a PDF parser. */
export function isErrnoCode(code: unknown): code is string {
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

/** Exit code of a PDF worker that could not load its PDF readers (a broken install, a NODE_OPTIONS they do not survive). */
export const WORKER_CANNOT_LOAD_EXIT = 78;

/**
 * The overlay does not serve this PDF: it does not fit the page (overlay_off_page), or the
 * tags it drew do not read back (overlay_unreadable: the page's content leaves a string or a
 * transform open, and what is drawn after it is read as part of it). Intake appends a
 * signature page instead — it always serves — and the requester does not pay for the setting.
 */
export function isOverlayMisfit(err: unknown): err is SignrelayError {
  return isSignrelayError(err) && (err.code === 'overlay_off_page' || err.code === 'overlay_unreadable');
}

export function overlayUnreadableError(fileName = 'the PDF', unreadable: number): SignrelayError {
  return new SignrelayError('config', 'overlay_unreadable',
    `${unreadable} of the tags stamping.overlay drew on ${fileName} do not read back (its page leaves text or a transform open, which what is drawn after it joins): use mode signature-page for such documents`);
}
