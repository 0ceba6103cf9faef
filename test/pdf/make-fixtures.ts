// Regenerates the committed PDFs in fixtures/pdf/ (not a test; run by hand):
//   node test/pdf/make-fixtures.ts
// The encrypted ones need qpdf (apt-get install qpdf); the tests themselves do not.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeContract, makeTaggedContract } from './make-pdf.ts';

const dir = fileURLToPath(new URL('../../fixtures/pdf/', import.meta.url));
const contract = `${dir}sample-contract.pdf`;

writeFileSync(contract, await makeContract());
writeFileSync(`${dir}with-tags.pdf`, await makeTaggedContract());
// The passwords are test data, written down on purpose. (qpdf salts the keys randomly, so
// these two files differ on every run even with --static-id.)
// User password (the file cannot be opened without it), AES-256:
execFileSync('qpdf', ['--static-id', '--encrypt', 'open-sesame', 'owner-secret', '256', '--', contract, `${dir}encrypted.pdf`]);
// Owner password only (opens without a password, pdf.js reads it silently), AES-128:
execFileSync('qpdf', ['--static-id', '--encrypt', '', 'owner-secret', '128', '--use-aes=y', '--', contract, `${dir}encrypted-owner-only.pdf`]);
process.stdout.write(`fixtures written to ${dir}\n`);
