// `signrelay demo` as the user runs it (`npm run demo` = `node src/cli.ts demo`): a child
// process, its exit status and what it prints — the steps in the order they happened, read
// back from the daemon's records, and a stamped PDF that really is where it says.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const DEMO_TIMEOUT_MS = 40_000;
const leftovers: string[] = [];

afterAll(() => {
  for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), DEMO_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The temporary directory the demo reports, remembered for clean-up. */
function demoRoot(stdout: string): string {
  const root = /delete them with: rm -rf (\S+)\)|Files: (\S+) was deleted/.exec(stdout);
  expect(root, stdout).not.toBeNull();
  const dir = root![1] ?? root![2]!;
  leftovers.push(dir);
  return dir;
}

describe('signrelay demo', () => {
  it('runs the request path end to end and prints each step in order, with its time', async () => {
    const { code, stdout, stderr } = await runCli(['demo']);
    const root = demoRoot(stdout);
    expect(stderr).toBe('');
    expect(code, stdout).toBe(0);

    const steps = [
      /^ +\d+\.\d\ds {2}request mail delivered to sign@corp\.example \(IMAP INBOX, UID 1\)$/m,
      /^ +\d+\.\d\ds {2}daemon connected to IMAP as sign: 1 mail waiting in INBOX$/m,
      /^ +\d+\.\d\ds {2}accepted as request r_[0-9a-f]+: route default, record RITM0010001 \(sc_req_item\)/m,
      /^ +\d+\.\d\ds {2}stamped: sample-contract--signrelay-[a-z0-9]+\.pdf$/m,
      /\[!Sign\.1,Ann,Lee,ann\.lee@example\.com\]/,
      /\[!Sign\.2,Bob,Stone,bob\.stone@corp\.example\]/,
      /\[!Recipient\.C,signrelay,Returns,returns\+[a-z0-9]+@corp\.example\]/,
      /^ +\d+\.\d\ds {2}mail moved to Processed$/m,
      /^ +\d+\.\d\ds {2}uploaded: Secured Signing reference \S+$/m,
      /^ +\d+\.\d\ds {2}sent for signing: SmartTag\/Send accepted by the simulator \(HTTP 200\)$/m,
      /invitation to Ann Lee <ann\.lee@example\.com>/,
      /^ +\d+\.\d\ds {2}request mail delivered to sign@corp\.example \(IMAP INBOX, UID 2\)$/m,
      /^ +\d+\.\d\ds {2}rejected \(request r_[0-9a-f]+\):\n +attach the document to be signed as a PDF file$/m,
      /^ +\d+\.\d\ds {2}mail moved to Rejected$/m,
      /^ +\d+\.\d\ds {2}reply sent to helen\.officer@corp\.example: "Re: Contractor agreement for RITM0010002"$/m,
      /\| signrelay could not start a signature request from your mail:/,
      /^Done in \d+\.\d s\./m,
    ];
    let from = 0;
    for (const step of steps) {
      const found = step.exec(stdout.slice(from));
      expect(found, `${step} after offset ${from} in:\n${stdout}`).not.toBeNull();
      from += found!.index + found![0].length;
    }

    // The printed times are offsets from the start and never go backwards.
    const times = [...stdout.matchAll(/^ +(\d+\.\d\d)s {2}/gm)].map((m) => Number(m[1]));
    expect(times.length).toBeGreaterThan(10);
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // The stamped PDF is where the demo says, inside its directory, and carries the tags.
    const stamped = /^ {2}stamped PDF +(\S+\.pdf)$/m.exec(stdout)?.[1];
    expect(stamped, stdout).toBeDefined();
    expect(stamped!.startsWith(`${root}/`)).toBe(true);
    expect(existsSync(stamped!)).toBe(true);
    const text = (await extractPdfText(readFileSync(stamped!))).join('\n');
    expect(text).toContain('[!Sign.1,Ann,Lee,ann.lee@example.com]');
    expect(text).toMatch(/\[!Recipient\.C,signrelay,Returns,returns\+[a-z0-9]+@corp\.example\]/);
    for (const file of ['data/signrelay.db', 'signrelay.log', 'signrelay.yaml']) expect(existsSync(`${root}/${file}`), file).toBe(true);
  }, DEMO_TIMEOUT_MS + 5_000);

  it('--clean deletes its directory at the end', async () => {
    const { code, stdout } = await runCli(['demo', '--clean']);
    expect(code, stdout).toBe(0);
    const root = demoRoot(stdout);
    expect(stdout).toContain(`Files: ${root} was deleted (--clean).`);
    expect(existsSync(root)).toBe(false);
  }, DEMO_TIMEOUT_MS + 5_000);

  it('--help explains, an unknown option is a usage error', async () => {
    const help = await runCli(['demo', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: signrelay demo \[--clean\]/);
    expect(help.stdout).toContain('Exit status: 0 when both mails ended as expected within 30 s, 1 otherwise.');
    const bad = await runCli(['demo', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("signrelay demo: Unknown option '--bogus'");
    expect(bad.stdout).toBe('');
  });
});
