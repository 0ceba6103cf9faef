// Settings that are valid but work against each other — pure. `signrelay check` prints them
// under the configuration line and the daemon logs them at start; neither refuses to run.
import { isAbsolute } from 'node:path';
import { mailBytesFor, pdfBytesFor, type Config } from './schema.ts';
import { secretSettings } from './secret-settings.ts';

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
  for (const [name, route] of Object.entries(config.routes)) {
    if (route.reminder_days_before > 0 && route.reminder_days_before >= route.due_days) {
      warnings.push(`routes.${name}.reminder_days_before (${route.reminder_days_before}) is not less than its due_days (${route.due_days}): a request whose mail gives no Due: gets its reminder on the day it is sent, or never. Lower reminder_days_before, or 0 for none`);
    }
    const signicatOnly = (['signature_methods', 'language'] as const).filter((key) => route[key] !== undefined);
    if (config.provider.type !== 'signicat' && signicatOnly.length > 0) {
      warnings.push(`routes.${name}.${signicatOnly.join(' and ')} ${signicatOnly.length === 1 ? 'is a Signicat setting' : 'are Signicat settings'}: provider.type is ${config.provider.type}, which does not use ${signicatOnly.length === 1 ? 'it' : 'them'}. Remove ${signicatOnly.length === 1 ? 'it' : 'them'}, or switch the provider`);
    }
    if (route.allowed_senders.length === 0 && (route.require_authentication ?? config.intake.authentication.require).length === 0) {
      warnings.push(`routes.${name}.allowed_senders is empty and no authentication is required: anyone can send it requests, and a From can be forged — a request is sent to the signers it names, and a refused mail's reply goes to whatever address it gave (at most limits.max_replies_per_hour to one, limits.max_replies_per_hour_total to all). List who may send (e.g. "*@corp.example"), or require dmarc in intake.authentication`);
    }
    if (Object.keys(config.records).length === 0 && route.require_record && !route.table) {
      warnings.push(`records is empty and routes.${name} requires a record (require_record) and names no table: signrelay knows no record number, so every request on it without a Record: TABLE/SYS_ID line is refused. Add the prefixes your records carry (e.g. records: {RITM: sc_req_item}), or give the route a table`);
    }
    if (route.signers.length > config.limits.max_signers) {
      warnings.push(`routes.${name}.signers lists ${route.signers.length} signers, more than limits.max_signers (${config.limits.max_signers}): every request on it without Signer: lines is refused. Raise limits.max_signers or list fewer`);
    }
  }
  if (!isAbsolute(config.storage.data_dir)) {
    warnings.push(`storage.data_dir ${config.storage.data_dir} is a relative path: it depends on the directory signrelay is started from, so the daemon and the operator commands may each find a different one. Give an absolute path`);
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
  const placesAtInstance = config.servicenow.max_email_attachment_count;
  if (byEmail.length > 0 && config.limits.max_documents > placesAtInstance) {
    warnings.push(`${byEmail.join(' and ')} mail${byEmail.length === 1 ? 's' : ''} the signed PDFs to the instance, which keeps at most ` +
      `servicenow.max_email_attachment_count (${placesAtInstance}) attachments of a mail, while limits.max_documents accepts ${config.limits.max_documents} PDFs a request: ` +
      'a request with more is signed and then cannot be delivered. Lower limits.max_documents to it, or deliver by rest');
  }
  // A space copied with a password into its file is sent as part of it: the server's "login
  // refused" would not say why.
  for (const { setting } of secretSettings(config).filter(({ value }) => /^\s|\s$/.test(value))) {
    warnings.push(`${setting} begins or ends with a space, tab or line break, which signrelay sends as part of it (only a secret file's last line break is removed). If it is not part of the secret, remove it`);
  }
  return warnings;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
