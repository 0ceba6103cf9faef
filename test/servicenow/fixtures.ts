// Test material for the ServiceNow client tests: a configuration pointing at a simulator,
// the integration user and OAuth application both sides know, and seed records.
import type { ServiceNowConfig } from '../../src/config/schema.ts';
import type { SeedRecord } from '../../src/sandbox/servicenow/instance.ts';

export const SN_USER = 'signrelay.integration';
export const SN_PASSWORD = 'sn-pass-never-shown-5e1f';
export const CLIENT_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const CLIENT_SECRET = 'sn-client-secret-never-shown-77aa';

export const SEED: Array<SeedRecord & { sysId: string }> = [
  { table: 'sc_req_item', number: 'RITM0010001', sysId: 'a0000000000000000000000000000001' },
  { table: 'sc_req_item', number: 'RITM0010002', sysId: 'a0000000000000000000000000000002' },
  { table: 'incident', number: 'INC0012345', sysId: 'b0000000000000000000000000000001' },
  { table: 'sn_hr_core_case', number: 'HRC0001234', sysId: 'c0000000000000000000000000000001', sys_class_name: 'sn_hr_core_case_payroll' },
  // Numbers are not unique by default.
  { table: 'sc_task', number: 'SCTASK0000007', sysId: 'd0000000000000000000000000000001' },
  { table: 'sc_task', number: 'SCTASK0000007', sysId: 'd0000000000000000000000000000002' },
];

type Auth = ServiceNowConfig['auth'];
export const basicAuth = (password = SN_PASSWORD): Auth => ({ type: 'basic', user: SN_USER, password });
export const passwordGrant = (overrides: Partial<Extract<Auth, { type: 'oauth' }>> = {}): Auth => ({
  type: 'oauth', grant: 'password', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, user: SN_USER, password: SN_PASSWORD, ...overrides,
});
export const clientCredentials = (): Auth => ({ type: 'oauth', grant: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });

export function snConfig(url: string, auth: Auth, overrides: Partial<ServiceNowConfig> = {}): ServiceNowConfig {
  return {
    instance_url: url, auth, delivery: 'rest', work_note: true, attach_certificate: false, reply_prefix: 're:', max_email_attachment_bytes: 18_874_368, max_email_attachment_count: 30, timeout_seconds: 10, upload_settle_seconds: 90, tls_verify: true,
    ...overrides,
  };
}
