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
  // A signed PDF is a little larger than the one sent (the signatures, the evidence pages).
  const byEmail = [...(config.servicenow.delivery === 'email' ? ['servicenow.delivery'] : []),
    ...Object.entries(config.routes).filter(([, r]) => r.delivery === 'email').map(([name]) => `routes.${name}.delivery`)];
  const mailLimitAtInstance = config.servicenow.max_email_attachment_bytes;
  if (byEmail.length > 0 && pdfLimit > mailLimitAtInstance) {
    warnings.push(`${byEmail.join(' and ')} mail${byEmail.length === 1 ? 's' : ''} the signed PDF to the instance, which discards attachments over ` +
      `servicenow.max_email_attachment_bytes (${mib(mailLimitAtInstance)}), while limits.max_pdf_bytes accepts PDFs up to ${mib(pdfLimit)}: ` +
      'a PDF between the two is signed and then cannot be delivered. Lower limits.max_pdf_bytes below it (leaving room for the signatures), or deliver by rest');
  }
  return warnings;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
