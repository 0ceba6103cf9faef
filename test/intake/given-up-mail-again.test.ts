// A request mail the daemon gave up on (its attempts used up: a machine short of memory, a
// worker killed again and again) is filed in Rejected with an operator alert. Once the cause
// is fixed, the operator moves it back into the request folder — a new copy, a new UID — and
// it is read again as a request: nothing recorded of the given-up copy stands in its way.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { createRequestMailHandler, fileUnprocessableRequestMail } from '../../src/intake/process-request-mail.ts';
import { silentLogger } from '../../src/log.ts';
import { stopPdfPool } from '../../src/pdf/pdf-pool.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { BlobStore } from '../../src/store/blobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { listRequests } from '../../src/store/requests.ts';
import { watched } from '../conversation/sent-request.ts';
import { buildMail, contractPdf } from '../integration/world.ts';

afterAll(stopPdfPool);

describe('a request mail given up on, moved back by the operator', () => {
  it('is read again as a request', async () => {
    const base = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
    const config = { ...base, storage: { ...base.storage, data_dir: mkdtempSync(join(tmpdir(), 'given-up-')) } };
    const db = openDatabase(config.storage.data_dir);
    const deps = { db, blobs: new BlobStore(config.storage.data_dir), config, policy: intakePolicyFrom(config), provider: providerTraits(config.provider), logger: silentLogger() };
    const raw = await buildMail({
      from: 'Helen Officer <helen.officer@corp.example>', subject: 'Contract for RITM0010001', messageId: '<given-up@corp.example>',
      text: 'Signer: Ann Lee <ann.lee@example.com>', attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    });
    // The copy given up on, as with-attempt-limit files it.
    const first = { ...watched(raw, 1), messageId: '<given-up@corp.example>' };
    expect(fileUnprocessableRequestMail(deps, first, 'it could not be processed in 20 attempts (the PDF worker stopped (signal SIGKILL))')).toEqual({ moveTo: config.mailboxes.requests.rejected_folder });
    expect(listRequests(db)).toEqual([]);

    // Moved back: the same mail under a new UID.
    const again = await createRequestMailHandler(deps)({ ...watched(raw, 2), messageId: '<given-up@corp.example>' });
    expect(again).toEqual({ moveTo: config.mailboxes.requests.processed_folder });
    expect(listRequests(db).map((r) => ({ record: r.recordNumber, state: r.state }))).toEqual([{ record: 'RITM0010001', state: 'stamped' }]);
  });
});
