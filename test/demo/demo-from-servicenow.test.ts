// `signrelay demo --from-servicenow` as the user runs it: the loop starts on the record — the
// agent attaches the contract and clicks the shipped update set's "Send for signature" in the
// ServiceNow simulator, whose notification mails it to the request mailbox — and ends with
// the signed PDF attached to that same record, each step printed in order, read back from
// the simulators, the mail world and the daemon.
import { describe, expect, it } from 'vitest';
import { DEMO_TIMEOUT_MS, demoRoot, expectInOrder, expectTimesInOrder, runCli, step } from './demo-cli.ts';

describe('signrelay demo --from-servicenow', () => {
  it('starts on the record with the update set\'s UI action and ends with the signed PDF on the same record', async () => {
    const { code, stdout, stderr } = await runCli(['demo', '--from-servicenow', '--clean']);
    demoRoot(stdout);
    expect(stderr).toBe('');
    expect(code, stdout).toBe(0);
    expectInOrder(stdout, [
      /^signrelay demo: a request started on a ServiceNow record/m,
      /^1\. On the record: an agent attaches a contract to RITM0010001 and clicks "Send for signature"$/m,
      step(String.raw`agent\.alice attached sample-contract\.pdf to RITM0010001 \(sc_req_item\)\n +ServiceNow simulator: POST /api/now/attachment/file → 201`),
      step(String.raw`agent\.alice clicked "Send for signature" on RITM0010001: the UI action queued signrelay\.send_for_signature$`),
      /POST \/api\/now\/ui\/ui_action\/[0-9a-f]{32} → 200 as agent\.alice \(condition: gs\.hasRole\('itil'\) && signrelay\.onePdf\(current\) && signrelay\.notInSigning\(current\)\)/,
      /notification "signrelay: Send for signature \(sc_req_item\)" sent from ServiceNow <corp@service-now\.com> to sign@corp\.example: "Signature request RITM0010001"/,
      /Auto-Submitted: auto-generated; attached: sample-contract\.pdf/,
      /\| Signer: Ann Lee <ann\.lee@example\.com>\n +\| Ref:MSG\d{7}_[A-Za-z0-9]{20}$/m,
      step(String.raw`notification mail delivered to sign@corp\.example \(IMAP INBOX, UID 1\)$`),
      step(String.raw`accepted as request r_[0-9a-f]+: route default, record RITM0010001 \(sc_req_item\)`),
      /signer 1: Ann Lee <ann\.lee@example\.com>\n(?! +signer 2)/,
      step(String.raw`attached to RITM0010001 \(sc_req_item\): sample-contract-signed\.pdf$`),
      step(String.raw`delivered: request r_[0-9a-f]+ is done, the signed PDF is on RITM0010001$`),
      /^Done in \d+\.\d s\./m,
    ]);
    expect(stdout).not.toMatch(/^3\. A mistake/m);
    expectTimesInOrder(stdout);
  }, DEMO_TIMEOUT_MS + 5_000);

  it('--help names the flag', async () => {
    const help = await runCli(['demo', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: signrelay demo \[--clean\] \[--provider NAME\] \[--from-servicenow\]$/m);
    expect(help.stdout).toMatch(/--from-servicenow +start on the record \(the update set's UI action\), not with a mail/);
  });
});
