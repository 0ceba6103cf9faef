// What the read-back tests stamp with: one signer (Ann Lee, whose tag signrelay draws), a
// known token, and limits no test file reaches.
import { configSchema } from '../../src/config/schema.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';

export const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
export const LIMITS = { maxPages: 500, maxPdfBytes: 100e6 };
export const input: StampInput = {
  token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C',
  signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }],
  request: { fileName: 'contract.pdf', subject: 'Please sign RITM0010001', record: 'RITM0010001', due: '2026-12-24', requester: 'pat@corp.example', route: 'default' },
  stamping: configSchema.shape.stamping.parse(undefined),
};
