// Settings that are valid but work against each other — pure. `signrelay check` prints them
// under the configuration line and the daemon logs them at start; neither refuses to run.
import { mailBytesFor, pdfBytesFor, type Config } from './schema.ts';

export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const { max_mail_bytes: mailLimit, max_pdf_bytes: pdfLimit } = config.limits;
  const needed = mailBytesFor(pdfLimit);
  if (mailLimit < needed) {
    const largestPdf = pdfBytesFor(mailLimit);
    warnings.push(`limits.max_mail_bytes (${mib(mailLimit)}) is less than a mail carrying one limits.max_pdf_bytes PDF needs (${mib(needed)}): ` +
      `PDFs over about ${mib(largestPdf)} are refused as too large a mail, not at ${mib(pdfLimit)}. ` +
      `Raise max_mail_bytes to at least ${needed}, or leave it out (its default follows max_pdf_bytes)`);
  }
  return warnings;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
