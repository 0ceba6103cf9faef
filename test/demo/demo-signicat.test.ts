// `signrelay demo --provider signicat`: the same loop with Signicat's simulator, told in
// Signicat's words — a session document uploaded, one signing order of two tasks (Bob's
// after Ann's) with a PAdES package, Ann's invitation and the order's notice mailed at
// once (the notice filed by the completion watcher), the signers signing task by task
// (Bob invited only after Ann signed), the notice of the completed order, the package
// downloaded and attached — and never a signing link on the screen.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { DEMO_TIMEOUT_MS, demoRoot, expectInOrder, expectTimesInOrder, runCli, step } from './demo-cli.ts';

it('runs the whole loop with Signicat and tells it in Signicat\'s words', async () => {
  const { code, stdout, stderr } = await runCli(['demo', '--provider', 'signicat']);
  const root = demoRoot(stdout);
  expect(stderr).toBe('');
  expect(code, stdout).toBe(0);
  expect(stdout).toContain('the Signicat and ServiceNow simulators');

  const orderId = /signing order (\S+) created by the simulator \(HTTP 201\)$/m.exec(stdout)?.[1];
  const token = /returns\+([a-z0-9]+)@corp\.example/.exec(stdout)?.[1];
  expect(orderId, stdout).toBeDefined();
  expect(token, stdout).toBeDefined();
  const order = orderId!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const returns = String.raw`returns\+${token}@corp\.example`;
  const signing = stdout.search(/^2\. The signers sign/m);
  const mistake = stdout.search(/^3\. A mistake/m);

  // 1. The request: uploaded to session storage, one order, its first mails.
  expectInOrder(stdout.slice(0, signing), [
    step(String.raw`servers up:\n.*\n +Signicat simulator http://127\.0\.0\.1:\d+/enterprise/sign$`),
    step(String.raw`request mail delivered to sign@corp\.example \(IMAP INBOX, UID 1\)$`),
    step(String.raw`accepted as request r_[0-9a-f]+: route default, record RITM0010001 \(sc_req_item\)`),
    step(String.raw`stamped: sample-contract--signrelay-${token}\.pdf\n.*no tags \(Signicat reads none: the order names the signers\)`),
    /page 3 {2}1\. Ann Lee <ann\.lee@example\.com>\n +page 3 {2}2\. Bob Stone <bob\.stone@corp\.example>/,
    step(String.raw`uploaded: Signicat session document \S+\n.*POST /auth/open/connect/token → 200 \(access token by client credentials, scope signicat-api\)`),
    /simulator: POST \/enterprise\/sign\/documents → 201 \(\d+ bytes, application\/pdf\); kept 30 minutes unless an order uses it/,
    step(String.raw`sent for signing: signing order ${order} created by the simulator \(HTTP 201\)$`),
    /^ +task signer-1: ann\.lee@example\.com signs doc-1$/m,
    /^ +task signer-2: bob\.stone@corp\.example signs doc-1, once signer-1 signed \(dependsOnTasks\)$/m,
    /^ +packaging task package-1: PAdES, one PDF with the signatures of signer-1, signer-2$/m,
    new RegExp(String.raw`^ +notices to ${returns}: on a task's CREATED, REJECTED, EXPIRED and on the order's completion$`, 'm'),
  ]);
  // Signicat mails as soon as the order exists: these may come just before the daemon records the send.
  expectInOrder(stdout.slice(0, signing), [
    step(String.raw`Signicat mailed its notice from noreply@signicat\.com to ${returns}: "Signing order ${order} created"$`),
    step(String.raw`notice delivered to ${returns} \(IMAP Returns, UID 1\)$`),
    step(String.raw`notice taken by the completion watcher \(a progress notice of request r_[0-9a-f]+, matched by recipient-token\): kept for the order id it names, nothing to ask Signicat yet`),
    step('notice moved to Completed$'),
    step(String.raw`daemon waiting for new mail in IMAP IDLE on INBOX`),
  ]);
  expect(stdout.slice(0, signing)).toMatch(step(String.raw`Signicat mailed an invitation to ann\.lee@example\.com: "Please sign: RITM0010001 \(signrelay r_[0-9a-f]+\)", with a signing link \(not shown: the link is the signer's alone\)$`));
  expect(stdout.slice(0, signing), 'Bob is invited only once Ann has signed').not.toContain('invitation to bob.stone');

  // 2. The signers sign, in the order's sequence; the notice of the completed order; the package on the record.
  expectInOrder(stdout.slice(signing, mistake), [
    step(String.raw`simulator: ann\.lee@example\.com signed task signer-1 of order ${order}$`),
    step(String.raw`Signicat mailed an invitation to bob\.stone@corp\.example: "Please sign: `),
    step(String.raw`simulator: bob\.stone@corp\.example signed task signer-2 of order ${order}; the order is complete$`),
    /^ +PAdES package package-1: \d+ bytes \(the stamped pages and a page naming every signer\)/m,
    step(String.raw`Signicat mailed its notice from noreply@signicat\.com to ${returns}: "Signing order ${order} completed"$`),
    step(String.raw`completion mail delivered to ${returns} \(IMAP Returns, UID 2\)$`),
    step(String.raw`completion mail matched to request r_[0-9a-f]+ by recipient-token$`),
    step(String.raw`downloaded the signed copy from the API: GET /enterprise/sign/orders/${order}/packaging-tasks/package-1/result → 200$`),
    /sample-contract\.pdf: \d+ bytes, sha256 [0-9a-f]{64} \(= the simulator's signed copy\)/,
    /page 4 {2}Signing certificate \(Signicat simulator\)\n +page 4 {2}Signed by ann\.lee@example\.com via Signicat \(simulated\)\n +page 4 {2}Signed by bob\.stone@corp\.example via Signicat \(simulated\)/,
    step(String.raw`attached to RITM0010001 \(sc_req_item\): sample-contract-signed\.pdf$`),
    /^ +sha256 [0-9a-f]{64} \(= the API's signed copy\)$/m,
    step(String.raw`work note on RITM0010001 by signrelay\.integration:\n +\| Signed via Signicat \(order ${order}\): every invitation signed, the last at \d{4}-\d\d-\d\d \d\d:\d\d UTC as Signicat reports \(invited: Ann Lee <ann\.lee@example\.com>, Bob Stone <bob\.stone@corp\.example>\)`),
    step(String.raw`delivered: request r_[0-9a-f]+ is done, the signed PDF is on RITM0010001$`),
  ]);
  expect(stdout.slice(signing, mistake)).toMatch(step('completion mail moved to Completed$'));

  // 3. The mistake is answered as ever.
  expectInOrder(stdout.slice(mistake), [
    step(String.raw`rejected \(request r_[0-9a-f]+\):\n +attach the document to be signed as a PDF file$`),
    step(String.raw`reply sent to helen\.officer@corp\.example: "Re: Contractor agreement for RITM0010002"$`),
    /^Done in \d+\.\d s\./m,
  ]);
  expect(expectTimesInOrder(stdout)).toBeGreaterThan(25);

  // A signing link opens the signer's task to whoever has it: it is never printed.
  expect(stdout).not.toMatch(/docaction|task_id=|sign_code=|request_id=/);

  // The record got the PAdES package: the stamped pages and one page naming both signers.
  const signed = readFileSync(/^ {2}signed PDF +(\S+\.pdf)$/m.exec(stdout)![1]!);
  const stamped = readFileSync(/^ {2}stamped PDF +(\S+\.pdf)$/m.exec(stdout)![1]!);
  const pages = await extractPdfText(signed);
  expect(pages).toHaveLength((await extractPdfText(stamped)).length + 1);
  expect(pages.at(-1)).toContain(`Signing order: ${orderId}`);
  expect(pages.at(-1)).toContain('Packaging task: package-1 (PAdES)');
  const hash = createHash('sha256').update(signed).digest('hex');
  expect(/^ +sha256 ([0-9a-f]{64}) \(= the API's signed copy\)$/m.exec(stdout)?.[1]).toBe(hash);

  // The configuration's provider block is Signicat's, its client secret from the environment.
  const yaml = readFileSync(`${root}/signrelay.yaml`, 'utf8');
  expect(yaml).toMatch(/^provider: \{type: signicat, base_url: "http:\/\/127\.0\.0\.1:\d+\/enterprise\/sign", token_url: "http:\/\/127\.0\.0\.1:\d+\/auth\/open\/connect\/token", client_id: \S+, client_secret: "\$\{DEMO_SIGNICAT_CLIENT_SECRET\}"/m);
}, DEMO_TIMEOUT_MS + 5_000);
