// The simulator's documents and the API operations on them: upload (smart tags read from
// the PDF text with pdfjs, like the real service), SmartTag/Send with the checks the real
// service makes, status, download, reminders, due-date extensions, account info, and the test-driven lifecycle
// (sign, complete, decline, expire). Answers are ServiceStack-shaped Document objects.
import { randomBytes } from 'node:crypto';
import { extractPdfText } from '../../pdf/extract-text.ts';
import { HttpProblem } from '../http-util.ts';
import { appendSignedPage, completionCertificate } from './signed-copy.ts';
import { parseSmartTags, signersInOrder, type SmartTags, type TagReading } from './smart-tags.ts';

export interface SimSigner {
  FirstName: string;
  LastName: string;
  Email: string;
  SignerReference: string;
  SigningKey: string;
  HasSigned: boolean;
  SignedStatus: string;
  DeclinedReason?: string;
}

export interface SimDocument {
  reference: string;
  name: string;
  clientReference: string | null;
  bytes: Uint8Array;
  text: string;
  tags: SmartTags;
  status: string;
  sent: boolean;
  signers: SimSigner[];
  dueDate?: string;
  gmt?: string;
  packageName?: string;
  packageReference?: string;
  lastSignedDate?: string;
  signedBytes?: Uint8Array;
  /** When Document/SendReminder was answered for it (ms since the epoch). */
  /** Each reminder: when, and to whom. */
  reminders: Array<{ at: number; signer: string }>;
  /** The due dates Document/Extend set, in order (ISO 8601 UTC). */
  extensions: string[];
  /** The signing completion certificate, made when the document completes. */
  certificate?: { reference: string; bytes: Uint8Array; signingDate: string };
}

export const ACCEPTED_EXTENSIONS = ['pdf', 'doc', 'docx', 'odt', 'rtf', 'xls', 'xlsx', 'ods'];

export function serviceStackError(status: number, errorCode: string, message: string): HttpProblem {
  return new HttpProblem(status, { ResponseStatus: { ErrorCode: errorCode, Message: message, Errors: [] } }, message);
}

const ref = () => randomBytes(12).toString('base64url');

export function documentJson(doc: SimDocument): Record<string, unknown> {
  return {
    Name: doc.name, Reference: doc.reference, Status: doc.status, ClientReference: doc.clientReference,
    Signers: doc.signers, DueDate: doc.dueDate ?? null, GMT: doc.gmt ?? null,
    PackageReference: doc.packageReference ?? null, Folder: doc.status === 'Complete' ? 'Signed' : doc.sent ? 'Progress' : 'InBox',
    DocumentUrl: null, LastSignedDate: doc.lastSignedDate ?? null,
  };
}

export interface DocumentsOptions {
  now: () => number;
  maxUploadBytes: number;
  documentsLeft: number;
  /** How uploads' tags are read (smart-tags.ts); the security tests switch to lenient. */
  tagReading: TagReading;
}

export class Documents {
  readonly byReference = new Map<string, SimDocument>();
  private readonly options: DocumentsOptions;
  private documentsLeft: number;

  constructor(options: DocumentsOptions) {
    this.options = options;
    this.documentsLeft = options.documentsLeft;
  }

  get(reference: string): SimDocument {
    const doc = this.byReference.get(reference);
    if (!doc) throw serviceStackError(404, 'NotFound', `Document not found, please check reference ${reference}`);
    return doc;
  }

  async upload(form: FormData, clientReference: string | null): Promise<SimDocument> {
    const file = form.get('file');
    if (!(file instanceof File)) throw serviceStackError(400, 'ArgumentNullException', "No file uploaded: send the document in the multipart field 'file'");
    const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
    if (!ACCEPTED_EXTENSIONS.includes(extension)) {
      throw serviceStackError(400, 'InvalidFileType', `File type .${extension} is not supported (${ACCEPTED_EXTENSIONS.join(', ')})`);
    }
    if (file.size > this.options.maxUploadBytes) throw serviceStackError(400, 'FileTooLarge', `File exceeds the maximum upload size of ${this.options.maxUploadBytes} bytes`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    let text = '';
    if (extension === 'pdf') {
      try {
        text = (await extractPdfText(bytes)).join('\n');
      } catch {
        throw serviceStackError(400, 'InvalidDocument', `The document ${file.name} could not be read (corrupt or encrypted PDF)`);
      }
    }
    const doc: SimDocument = {
      reference: ref(), name: file.name, clientReference, bytes, text, tags: parseSmartTags(text, this.options.tagReading),
      status: 'NotStart', sent: false, signers: [], reminders: [], extensions: [],
    };
    this.byReference.set(doc.reference, doc);
    return doc;
  }

  send(body: unknown): SimDocument[] {
    const request = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    if (typeof request.DueDate !== 'string' || request.DueDate.trim() === '') throw serviceStackError(400, 'ValidationException', 'DueDate is required');
    const gmt = typeof request.GMT === 'string' ? request.GMT : '0';
    const due = parseDueDate(request.DueDate, Number(gmt) || 0);
    if (Number.isNaN(due)) throw serviceStackError(400, 'ValidationException', `DueDate "${request.DueDate}" is not a date`);
    if (due <= this.options.now()) throw serviceStackError(400, 'ValidationException', 'DueDate must be in the future');
    const references = request.DocumentReferences;
    if (!Array.isArray(references) || references.length === 0 || !references.every((r) => typeof r === 'string')) {
      throw serviceStackError(400, 'ValidationException', 'DocumentReferences is required');
    }
    const docs = (references as string[]).map((r) => this.get(r));
    const overrides = Array.isArray(request.Signers) ? (request.Signers as Array<Record<string, unknown>>) : null;
    for (const doc of docs) {
      if (doc.sent) throw serviceStackError(400, 'InvalidOperation', `Document ${doc.reference} has already been sent`);
      const tagged = signersInOrder(doc.tags);
      if (tagged.length === 0) throw serviceStackError(400, 'NoSmartTag', `No signature smart tag ([!Sign.) found in document ${doc.name}`);
      if (overrides && overrides.length !== tagged.length) {
        throw serviceStackError(400, 'ValidationException', `Signers has ${overrides.length} entries but document ${doc.name} has ${tagged.length} signature tags`);
      }
      if (overrides?.some((s) => typeof s?.Email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(s.Email))) {
        throw serviceStackError(400, 'ValidationException', 'every Signers entry needs a valid Email');
      }
    }
    if (this.documentsLeft < docs.length) throw serviceStackError(400, 'NoDocumentLeft', 'No documents left on the account plan');
    this.documentsLeft -= docs.length;
    const packageReference = ref();
    for (const doc of docs) {
      doc.signers = signersInOrder(doc.tags).map((tag, i) => {
        const o = overrides?.[i];
        return {
          FirstName: typeof o?.FirstName === 'string' ? o.FirstName : tag.firstName,
          LastName: typeof o?.LastName === 'string' ? o.LastName : tag.lastName,
          Email: typeof o?.Email === 'string' ? o.Email : tag.email,
          SignerReference: ref(), SigningKey: ref(), HasSigned: false, SignedStatus: 'Invitation',
        };
      });
      Object.assign(doc, {
        sent: true, status: 'InProgress', dueDate: new Date(due).toISOString(), gmt, packageReference,
        packageName: typeof request.PackageName === 'string' ? request.PackageName : doc.name,
      });
    }
    return docs;
  }

  /**
   * Document/SendReminder, the SDK's SendReminderRequest: the document and the invitee to
   * remind (SignerReference); it answers nothing. Only a signer of a document out for signing
   * who has not signed can be reminded.
   */
  remind(body: unknown): void {
    const request = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    for (const field of ['DocumentReference', 'SignerReference']) {
      if (typeof request[field] !== 'string' || request[field] === '') throw serviceStackError(400, 'ValidationException', `${field} is required`);
    }
    const doc = this.get(request.DocumentReference as string);
    if (!doc.sent || ['Complete', 'Declined', 'Expired', 'Rejected'].includes(doc.status)) {
      throw serviceStackError(400, 'InvalidOperation', `Document ${doc.reference} is not waiting for signatures (${doc.status})`);
    }
    const signer = doc.signers.find((s) => s.SignerReference === request.SignerReference);
    if (!signer) throw serviceStackError(400, 'ValidationException', `SignerReference ${String(request.SignerReference)} is not a signer of document ${doc.reference}`);
    if (signer.HasSigned) throw serviceStackError(400, 'InvalidOperation', `the signer ${signer.Email} of document ${doc.reference} has signed already`);
    doc.reminders.push({ at: this.options.now(), signer: signer.Email });
  }

  /**
   * Document/Extend (the SDK's ExtendRequest: DocumentReference and DueDate required, GMT
   * optional): a document out for signing gets a later due date. What the service answers
   * for a document that is not (never sent, complete, declined, expired) or a due date not
   * in the future is unconfirmed: the 400 SmartTag/Send gives for a bad DueDate.
   */
  extend(body: unknown): SimDocument {
    const request = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    if (typeof request.DocumentReference !== 'string' || request.DocumentReference === '') {
      throw serviceStackError(400, 'ValidationException', 'DocumentReference is required');
    }
    if (typeof request.DueDate !== 'string' || request.DueDate.trim() === '') throw serviceStackError(400, 'ValidationException', 'DueDate is required');
    const gmt = typeof request.GMT === 'string' ? request.GMT : '0';
    const due = parseDueDate(request.DueDate, Number(gmt) || 0);
    if (Number.isNaN(due)) throw serviceStackError(400, 'ValidationException', `DueDate "${request.DueDate}" is not a date`);
    const doc = this.get(request.DocumentReference);
    if (!doc.sent || ['Complete', 'Declined', 'Expired', 'Rejected'].includes(doc.status)) {
      throw serviceStackError(400, 'InvalidOperation', `Document ${doc.reference} is not waiting for signatures (${doc.status}): its due date cannot be extended`);
    }
    if (due <= this.options.now()) throw serviceStackError(400, 'ValidationException', 'DueDate must be in the future');
    Object.assign(doc, { dueDate: new Date(due).toISOString(), gmt });
    doc.extensions.push(doc.dueDate!);
    return doc;
  }

  account(): Record<string, unknown> {
    return {
      Email: 'owner@securedsigning.invalid', Name: 'Simulator Account', PlanName: 'Simulator', PlanType: 'Sandbox',
      DocumentLeft: this.documentsLeft, DocumentUsed: this.options.documentsLeft - this.documentsLeft,
      MaxUploadSize: this.options.maxUploadBytes, Actived: true, Locked: false, AccountStatus: 'Active',
    };
  }

  download(reference: string): Uint8Array {
    const doc = this.get(reference);
    return doc.signedBytes ?? doc.bytes;
  }

  /**
   * The next signer in signing order signs: "1 of 2 Signed". Nobody signs a document that
   * is complete, declined or expired, or whose signers have all signed.
   */
  signNext(reference: string): SimDocument {
    const doc = this.sentDocument(reference);
    if (['Complete', 'Declined', 'Expired', 'Rejected'].includes(doc.status)) throw new Error(`simulator: document ${reference} is ${doc.status}: nobody can sign it`);
    const next = doc.signers.find((s) => !s.HasSigned);
    if (!next) throw new Error(`simulator: every signer of document ${reference} has signed`);
    Object.assign(next, { HasSigned: true, SignedStatus: 'Signed' });
    doc.lastSignedDate = new Date(this.options.now()).toISOString();
    doc.status = `${doc.signers.filter((s) => s.HasSigned).length} of ${doc.signers.length} Signed`;
    return doc;
  }

  /** Everyone signs; the signed copy (upload + a "Signed by" page) replaces the download. */
  async complete(reference: string): Promise<SimDocument> {
    const doc = this.sentDocument(reference);
    for (const signer of doc.signers) Object.assign(signer, { HasSigned: true, SignedStatus: 'Complete' });
    doc.lastSignedDate = new Date(this.options.now()).toISOString();
    const facts = { name: doc.name, reference: doc.reference, signers: doc.signers, signedAt: this.options.now() };
    doc.signedBytes = await appendSignedPage(doc.bytes, facts);
    doc.certificate = { reference: ref(), bytes: await completionCertificate(facts), signingDate: new Date(facts.signedAt).toISOString() };
    doc.status = 'Complete';
    return doc;
  }

  /**
   * GET /Document/SigningCompletionCertificate/{ref}: the certificates' metadata
   * (SigningCompletionCertificateResponse in the SDK). A document that is not completed
   * has none: an empty list, which the SDK's own sample guards against (`certificates?.Any()`);
   * an unknown document is a 404 like every document call.
   */
  certificates(reference: string): Array<Record<string, unknown>> {
    const doc = this.get(reference);
    if (doc.status !== 'Complete' || !doc.certificate) return [];
    const { reference: certificateReference, signingDate } = doc.certificate;
    return [{ CertificateReference: certificateReference, SigningDate: signingDate, Status: 'Complete', DownloadURL: null }];
  }

  /** GET /Download/SigningCompletionCertificate/{certificate reference}: the certificate's PDF. */
  certificateBytes(certificateReference: string): Uint8Array {
    for (const doc of this.byReference.values()) {
      if (doc.certificate?.reference === certificateReference) return doc.certificate.bytes;
    }
    throw serviceStackError(404, 'NotFound', `Signing completion certificate not found, please check reference ${certificateReference}`);
  }

  /**
   * DELETE /Document/{ref}: the document is withdrawn — gone from the account, so its
   * signers can no longer sign it and its status is 404 from now on. A completed document
   * is refused (an assumption: the API does not say; a signed contract is not withdrawn).
   * `removeFromPackage` (required, server.ts) decides whether the rest of its package goes too.
   */
  remove(reference: string, removeFromPackage: boolean): SimDocument {
    const doc = this.get(reference);
    if (doc.status === 'Complete') throw serviceStackError(400, 'ValidationException', `Document ${reference} is complete and cannot be deleted`);
    // false: the whole package goes (every document sent with this one); true: this document alone.
    const gone = removeFromPackage || !doc.packageReference ? [doc] : [...this.byReference.values()].filter((d) => d.packageReference === doc.packageReference);
    for (const d of gone) this.byReference.delete(d.reference);
    return doc;
  }

  decline(reference: string, reason: string): SimDocument {
    const doc = this.sentDocument(reference);
    const who = doc.signers.find((s) => !s.HasSigned);
    if (who) Object.assign(who, { SignedStatus: 'Declined', DeclinedReason: reason });
    doc.status = 'Declined';
    return doc;
  }

  expire(reference: string): SimDocument {
    const doc = this.sentDocument(reference);
    doc.status = 'Expired';
    return doc;
  }

  private sentDocument(reference: string): SimDocument {
    const doc = this.byReference.get(reference);
    if (!doc) throw new Error(`simulator: no document ${reference}`);
    if (!doc.sent) throw new Error(`simulator: document ${reference} was never sent`);
    return doc;
  }
}

/** ISO 8601 with a zone as is; without one (the SDK's "yyyy/MM/dd HH:mm:ss"), local to GMT minutes. */
function parseDueDate(text: string, gmtMinutes: number): number {
  const trimmed = text.trim();
  if (/(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed)) return Date.parse(trimmed);
  const utc = Date.parse(`${trimmed.replace(/\//g, '-').replace(' ', 'T')}Z`);
  return utc - gmtMinutes * 60_000;
}
