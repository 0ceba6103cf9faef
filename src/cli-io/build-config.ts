// The configuration `signrelay init` writes: the commented example (config/signrelay.example.yaml)
// with the answers filled in, so every setting keeps its explanation. Secrets are never
// written: each becomes a reference to a systemd credential (or an environment variable),
// and the caller tells the operator which files to create. Pure apart from reading the
// template.
import { readFileSync } from 'node:fs';
import { isMap, isNode, isScalar, parseDocument, stringify } from 'yaml';
import { EXAMPLE_CONFIG_PATH } from '../config/config-path.ts';

export interface InitAnswers {
  requestAddress: string;
  imapHost: string;
  smtpHost: string;
  servicenowInstance: string;
  servicenowUser: string;
  providerEnvironment: string;
  providerApiKey: string;
  referer: string;
  allowedSenders: string[];
  alertsTo: string[];
  dataDir: string;
  /** credentials: systemd LoadCredential files; env: environment variables. */
  secrets: 'credentials' | 'env';
  /** The instance (`init --name NAME`): its return address is its own. */
  instanceName?: string;
}

/**
 * The return address init makes up: one per instance (instances review H2: every instance of
 * a domain got signrelay-returns@, which one mail server cannot deliver into two mailboxes —
 * the other instance took the signed copies and filed them in Unmatched).
 */
export function madeUpReturnAddress(domain: string, instanceName?: string): string {
  return `signrelay-${instanceName ? `${instanceName}-` : ''}returns@${domain}`;
}

/** The secrets the configuration refers to: its path, the credential file name, the variable. */
export const SECRETS = [
  { path: ['mailboxes', 'requests', 'password'], file: 'imap-password', env: 'SIGNRELAY_IMAP_PASSWORD', what: 'the request mailbox password' },
  { path: ['smtp', 'password'], file: 'smtp-password', env: 'SIGNRELAY_SMTP_PASSWORD', what: 'the SMTP password' },
  { path: ['provider', 'api_secret'], file: 'ss-api-secret', env: 'SIGNRELAY_SS_API_SECRET', what: 'the Secured Signing API secret' },
  { path: ['servicenow', 'auth', 'password'], file: 'servicenow-password', env: 'SIGNRELAY_SN_PASSWORD', what: 'the ServiceNow integration user password' },
] as const;


export function buildConfig(answers: InitAnswers, template = readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')): string {
  // Each answer replaces the example's value in the text, where it stands: the comments stay
  // where the example has them (re-printed by the YAML library, a comment block after a
  // section went into it — the commented Signicat provider under `provider:`).
  const doc = parseDocument(template);
  const edits: Array<{ from: number; to: number; text: string }> = [];
  const domain = answers.requestAddress.split('@')[1]!;
  const set = (path: readonly string[], value: unknown) => {
    const node = doc.getIn(path, true);
    if (!isNode(node) || !node.range) throw new Error(`the example configuration has no ${path.join('.')}: buildConfig must follow it`);
    edits.push({ from: node.range[0], to: node.range[1], text: stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd() });
  };
  set(['mailboxes', 'requests', 'host'], answers.imapHost);
  set(['mailboxes', 'requests', 'user'], answers.requestAddress);
  set(['mailboxes', 'requests', 'address'], answers.requestAddress);
  set(['mailboxes', 'returns', 'address'], madeUpReturnAddress(domain, answers.instanceName));
  set(['smtp', 'host'], answers.smtpHost);
  set(['smtp', 'user'], answers.requestAddress);
  set(['smtp', 'from'], `signrelay <${answers.requestAddress}>`);
  set(['provider', 'environment'], answers.providerEnvironment);
  set(['provider', 'api_key'], answers.providerApiKey);
  set(['provider', 'referer'], answers.referer);
  set(['servicenow', 'instance_url'], answers.servicenowInstance);
  set(['servicenow', 'auth', 'user'], answers.servicenowUser);
  set(['alerts', 'to'], answers.alertsTo);
  set(['routes', 'default', 'allowed_senders'], answers.allowedSenders);
  set(['storage', 'data_dir'], answers.dataDir);
  for (const secret of SECRETS) {
    set(secret.path, answers.secrets === 'credentials' ? { credential: secret.file } : `\${${secret.env}}`);
  }
  // The example's second route names an example person: its lines go.
  const routes = doc.get('routes', true);
  const hr = isMap(routes) ? routes.items.find((pair) => isScalar(pair.key) && pair.key.value === 'hr') : undefined;
  if (!hr || !isScalar(hr.key) || !hr.key.range || !isNode(hr.value) || !hr.value.range) throw new Error('the example configuration has no routes.hr: buildConfig must follow it');
  edits.push({ from: template.lastIndexOf('\n', hr.key.range[0]) + 1, to: hr.value.range[1], text: '' });
  let text = template;
  for (const edit of edits.sort((a, b) => b.from - a.from)) text = text.slice(0, edit.from) + edit.text + text.slice(edit.to);
  // The example's first line calls it "the commented reference": this file is not.
  text = text.replace(/^# .*\n/, `# signrelay configuration for ${answers.requestAddress}, written by \`signrelay init\`.\n`);
  return endpointLeftOut(text);
}

/**
 * The example turns the monitoring endpoint on, at one port: every configuration init wrote
 * would ask for that port, and of two instances on a host the second could not start. It is
 * written commented out, as the schema's default (none); the operator turns it on with a port
 * of the instance's own.
 */
function endpointLeftOut(text: string): string {
  const endpoint = /^observability:\n {2}listen: (\S+).*$/m;
  if (!endpoint.test(text)) throw new Error('the example configuration\'s observability section has changed: endpointLeftOut must follow it');
  return text.replace(endpoint, '# observability:\n#   listen: $1               # a port of its own for each signrelay on the host');
}
