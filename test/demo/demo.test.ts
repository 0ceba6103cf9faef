// `signrelay demo` as the user runs it (`npm run demo` = `node src/cli.ts demo`): a child
// process, its exit status and what it prints — the steps of the whole loop in the order they
// happened, read back from the daemon's records and the simulators, and a stamped and a
// signed PDF that really are where it says.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { DEMO_TIMEOUT_MS, demoRoot, expectInOrder, expectTimesInOrder, runCli, step } from './demo-cli.ts';
import { runInProcess } from '../cli/in-process.ts';

describe('signrelay demo', () => {
  it('runs the whole loop end to end and prints each step in order, with its time', async () => {
    const { code, stdout, stderr } = await runCli(['demo']);
    const root = demoRoot(stdout);
    expect(stderr).toBe('');
    expect(code, stdout).toBe(0);

    const steps = [
      // 1. the request path
      step(String.raw`request mail delivered to sign@corp\.example \(IMAP INBOX, UID 1\)$`),
      step(String.raw`daemon connected to IMAP as sign: 1 mail waiting in INBOX\n +its completion watcher connected \d+ ms (later|earlier): 0 mails waiting in Returns$`),
      step(String.raw`accepted as request r_[0-9a-f]+: route default, record RITM0010001 \(sc_req_item\)`),
      step(String.raw`stamped: sample-contract--signrelay-[a-z0-9]+\.pdf$`),
      /\[!Sign\.1,Ann,Lee,ann\.lee@example\.com\]/,
      /\[!Sign\.2,Bob,Stone,bob\.stone@corp\.example\]/,
      /\[!Recipient\.C,signrelay,Returns,returns\+[a-z0-9]+@corp\.example\]/,
      step('mail moved to Processed$'),
      step(String.raw`uploaded: Secured Signing reference \S+$`),
      step(String.raw`sent for signing: SmartTag\/Send accepted by the simulator \(HTTP 200\)$`),
      /invitation to Ann Lee <ann\.lee@example\.com>/,
      step(String.raw`acknowledgement sent to helen\.officer@corp\.example: "Sent for signature: Contractor agreement for RITM0010001" \(reply cancel, remind, extend or status to it\)\n +\| Record: +RITM0010001$`),
      step(String.raw`daemon waiting for new mail in IMAP IDLE on INBOX \(requests, since \d+\.\d\ds\) and Returns \(completions, since \d+\.\d\ds\)$`),
      // 2. the completion path
      step(String.raw`simulator: Ann Lee and Bob Stone signed; document \S+ is "Complete"$`),
      /completion mail from Secured Signing <noreply@securedsigning\.com> to returns\+[a-z0-9]+@corp\.example/,
      step(String.raw`completion mail delivered to returns\+[a-z0-9]+@corp\.example \(IMAP Returns, UID 1\)$`),
      step(String.raw`completion mail matched to request r_[0-9a-f]+ by recipient-token$`),
      step(String.raw`downloaded the signed copy from the API: GET /web/v1\.4/Download/GetDocumentData/\S+ → 200$`),
      /sample-contract\.pdf: \d+ bytes, sha256 [0-9a-f]{64} \(= the simulator's signed copy\)/,
      /page 4 {2}Signed by Ann Lee <ann\.lee@example\.com>/,
      step(String.raw`attached to RITM0010001 \(sc_req_item\): sample-contract-signed\.pdf$`),
      /ServiceNow simulator: POST \/api\/now\/attachment\/file → 201 as signrelay\.integration/,
      /^ +sha256 [0-9a-f]{64} \(= the API's signed copy\)$/m,
      step(String.raw`work note on RITM0010001 by signrelay\.integration:\n +\| Signed via Secured Signing \(reference \S+\): every invitation signed, the last at \d{4}-\d\d-\d\d \d\d:\d\d UTC as Secured Signing reports \(invited: Ann Lee <ann\.lee@example\.com>, Bob Stone <bob\.stone@corp\.example>\); attached by signrelay, request r_[0-9a-f]+\.$`),
      step(String.raw`delivered: request r_[0-9a-f]+ is done, the signed PDF is on RITM0010001$`),
      // 3. the mistake
      step(String.raw`request mail delivered to sign@corp\.example \(IMAP INBOX, UID 2\)$`),
      step(String.raw`rejected \(request r_[0-9a-f]+\):\n +attach the document to be signed as a PDF file$`),
      step('mail moved to Rejected$'),
      step(String.raw`reply sent to helen\.officer@corp\.example: "Re: Contractor agreement for RITM0010002"$`),
      /\| signrelay could not start a signature request from your mail:/,
      /^Done in \d+\.\d s\./m,
    ];
    expectInOrder(stdout, steps);
    // Filing the completion mail races with the download: it is printed, in its time order, somewhere after the match.
    const matched = stdout.search(step('completion mail matched'));
    const filed = stdout.search(step('completion mail moved to Completed$'));
    expect(filed, stdout).toBeGreaterThan(matched);
    expect(filed, stdout).toBeLessThan(stdout.search(/^3\. A mistake/m));

    // The printed times are offsets from the start and never go backwards.
    expect(expectTimesInOrder(stdout)).toBeGreaterThan(20);

    // The stamped PDF is where the demo says, inside its directory, and carries the tags.
    const stamped = /^ {2}stamped PDF +(\S+\.pdf)$/m.exec(stdout)?.[1];
    expect(stamped, stdout).toBeDefined();
    expect(stamped!.startsWith(`${root}/`)).toBe(true);
    expect(existsSync(stamped!)).toBe(true);
    const text = (await extractPdfText(readFileSync(stamped!))).join('\n');
    expect(text).toContain('[!Sign.1,Ann,Lee,ann.lee@example.com]');
    expect(text).toMatch(/\[!Recipient\.C,signrelay,Returns,returns\+[a-z0-9]+@corp\.example\]/);

    // The signed PDF is the simulator's signed copy: the stamped pages plus its "signed" page,
    // and the very bytes the record got (the attachment's sha256 is the file's).
    const signed = /^ {2}signed PDF +(\S+\.pdf)$/m.exec(stdout)?.[1];
    expect(signed, stdout).toBeDefined();
    expect(signed!.startsWith(`${root}/`)).toBe(true);
    const signedBytes = readFileSync(signed!);
    expect(signedBytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const signedPages = await extractPdfText(signedBytes);
    expect(signedPages).toHaveLength((await extractPdfText(readFileSync(stamped!))).length + 1);
    expect(signedPages.at(-1)).toContain('Signing certificate (Secured Signing simulator)');
    expect(signedPages.at(-1)).toContain('Signed by Ann Lee <ann.lee@example.com>');
    expect(signedPages.at(-1)).toContain('Signed by Bob Stone <bob.stone@corp.example>');
    const fileHash = createHash('sha256').update(signedBytes).digest('hex');
    const attachedHash = /^ +sha256 ([0-9a-f]{64}) \(= the API's signed copy\)$/m.exec(stdout)?.[1];
    expect(attachedHash, stdout).toBe(fileHash);
    expect(stdout).toContain(`sha256 ${fileHash} (= the simulator's signed copy)`);

    for (const file of ['data/signrelay.db', 'signrelay.log', 'signrelay.yaml']) expect(existsSync(`${root}/${file}`), file).toBe(true);
    // The demo's configuration: the return mailbox is a folder of the request account; REST delivery with basic auth.
    const yaml = readFileSync(`${root}/signrelay.yaml`, 'utf8');
    expect(yaml).toMatch(/returns: \{address: returns@corp\.example, folder: Returns\}/);
    expect(yaml).toMatch(/servicenow: \{instance_url: "http:\/\/127\.0\.0\.1:\d+", auth: \{type: basic, user: signrelay\.integration, password: "\$\{DEMO_SN_PASSWORD\}"\}, delivery: rest\}/);
  }, DEMO_TIMEOUT_MS + 5_000);

  it('--clean deletes its directory at the end', async () => {
    // In process (the same dispatch): the test above runs the demo as the user does.
    const { code, stdout } = await runInProcess(['demo', '--clean']);
    expect(code, stdout).toBe(0);
    const root = demoRoot(stdout);
    expect(stdout).toContain(`Files: ${root} was deleted (--clean).`);
    expect(existsSync(root)).toBe(false);
  }, DEMO_TIMEOUT_MS + 5_000);

  it('--help explains, an unknown option or provider is a usage error', async () => {
    const help = await runInProcess(['demo', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: signrelay demo \[--clean\]/);
    expect(help.stdout).toContain('Exit status: 0 when the signed PDF reached the record and the mistaken mail was answered;\n1 otherwise, or once 30 s pass without a step.');
    const bad = await runInProcess(['demo', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("signrelay demo: Unknown option '--bogus'");
    expect(bad.stdout).toBe('');
    expect(help.stdout).toMatch(/--provider NAME +the signing provider to simulate: secured-signing \(default\) or signicat/);
    const unknown = await runInProcess(['demo', '--provider', 'docusign']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('signrelay demo: --provider is secured-signing or signicat, not "docusign" (see --help)\n');
    expect(unknown.stdout).toBe('');
  });
});
