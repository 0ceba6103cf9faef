// `signrelay stamp IN.pdf -o OUT.pdf --signer "First Last <email>"`: stamps a PDF exactly
// as the daemon would (same inspection, same tags, same metadata), to try placement and
// fonts without a mailbox. Without a configuration named (--config, --name, $SIGNRELAY_CONFIG)
// the schema's defaults are used. Every expected failure is ONE line on stderr: exit 2 for a
// usage problem, 1 for a file that cannot be stamped.
import { defaultProviderTraits, providerTraits } from '../providers/provider-traits.ts';
import type { ProviderTraits } from '../providers/provider.ts';
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { namedConfigPath } from '../config/config-path.ts';
import { loadConfigFile } from '../config/load-config.ts';
import { configSchema, type StampingConfig } from '../config/schema.ts';
import { describeError, isSignrelayError } from '../errors.ts';
import { newRequestToken, returnAddress } from '../pdf/build-tags.ts';
import { preparePdf, stampPdf } from '../pdf/pdf-tasks.ts';
import { stampTags } from '../pdf/stamp-tags.ts';
import { stampedFileName } from '../pdf/token-places.ts';
import { isEmailAddress, parseSigner, type Signer } from '../signer.ts';
import { withAsciiDomain } from '../ascii-address.ts';

export interface StampCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const USAGE = `usage: signrelay stamp IN.pdf -o OUT.pdf --signer "First Last <email>" [--signer …]
                       [--return-address ADDR] [--mode signature-page|overlay] [--config FILE | --name NAME]

Signers are given in signing order; none are needed when IN.pdf has its own [!Sign.] tags.
Without --config, --name or $SIGNRELAY_CONFIG: return address returns@corp.example, recipient letter C, default stamping.
`;

const DEFAULT_RETURN_ADDRESS = 'returns@corp.example';
const MODES: ReadonlyArray<StampingConfig['mode']> = ['signature-page', 'overlay'];

/** A problem with the command line itself (exit 2). */
class UsageError extends Error {}

interface Settings {
  stamping: StampingConfig;
  maxPages: number;
  maxPdfBytes: number;
  returnBase: string;
  recipientLetter: string;
  /** Whether the provider reads smart tags (provider-traits.ts). */
  textTags: boolean;
}

function tagSettings(traits: ProviderTraits): Pick<Settings, 'recipientLetter' | 'textTags'> {
  const tags = traits.capabilities.textTags;
  return { recipientLetter: tags ? tags.recipientLetter : 'C', textTags: tags !== false };
}

function settingsFrom(configPath: string | undefined): Settings {
  if (configPath === undefined) {
    const limits = configSchema.shape.limits.parse(undefined);
    return {
      stamping: configSchema.shape.stamping.parse(undefined),
      maxPages: limits.max_pages,
      maxPdfBytes: limits.max_pdf_bytes,
      returnBase: DEFAULT_RETURN_ADDRESS,
      ...tagSettings(defaultProviderTraits()),
    };
  }
  const config = loadConfigFile(configPath, { requireSecrets: false });
  return {
    stamping: config.stamping,
    maxPages: config.limits.max_pages,
    maxPdfBytes: config.limits.max_pdf_bytes,
    returnBase: config.mailboxes.returns.address,
    ...tagSettings(providerTraits(config.provider)),
  };
}

/** Temp file in the target's directory, flushed, then renamed: never a half-written PDF. */
async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return describeError(err);
}

function parseCommandLine(args: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        signer: { type: 'string', multiple: true, default: [] },
        'return-address': { type: 'string' },
        mode: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(describeError(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the PDF to stamp' : 'name exactly one PDF to stamp');
  if (!values.output) throw new UsageError('give the output file with -o OUT.pdf');
  const mode = values.mode as StampingConfig['mode'] | undefined;
  if (mode !== undefined && !MODES.includes(mode)) throw new UsageError(`--mode must be signature-page or overlay, not "${values.mode}"`);
  const address = values['return-address'];
  if (address !== undefined && (!isEmailAddress(address) || address.split('@')[0]!.includes('+'))) {
    throw new UsageError(`--return-address must be a plain address without "+", like returns@corp.example, not "${address}"`);
  }
  const signers: Signer[] = values.signer.map((text) => {
    const signer = parseSigner(text);
    if ('error' in signer) throw new UsageError(`--signer: ${signer.error}`);
    // As the daemon takes it (intake/parse-signers.ts): an internationalised domain in its ASCII form.
    return { ...signer, email: withAsciiDomain(signer.email) };
  });
  return { help: false as const, input: positionals[0]!, output: values.output, signers, mode, address, config: namedConfigPath(values.config) };
}

export async function runStampCommand(args: string[], io: StampCommandIo): Promise<number> {
  const fail = (code: number, message: string) => {
    io.stderr.write(`signrelay stamp: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return code;
  };
  try {
    const cmd = parseCommandLine(args);
    if (cmd.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const settings = settingsFrom(cmd.config);
    const stamping = cmd.mode ? { ...settings.stamping, mode: cmd.mode } : settings.stamping;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(cmd.input);
    } catch (err) {
      return fail(1, `cannot read ${cmd.input}: ${fileProblem(err)}`);
    }
    const fileName = basename(cmd.input);
    const token = newRequestToken();
    const input = {
      token,
      returnAddress: returnAddress(cmd.address ?? settings.returnBase, token),
      recipientLetter: settings.recipientLetter,
      textTags: settings.textTags,
      signers: cmd.signers,
      request: { fileName },
      stamping,
    };
    // Inspected and stamped in one task, as the daemon does (prepare-pdf.ts): on the guess that
    // the document carries its own sign tags exactly when no signer is named.
    const prepared = await preparePdf(bytes, { maxPages: settings.maxPages, maxPdfBytes: settings.maxPdfBytes, fileName }, input);
    const { facts } = prepared;
    if (!facts.hasSignTags && cmd.signers.length === 0) {
      throw new UsageError(`give at least one --signer "First Last <email>" (${fileName} has no [!Sign.] tags of its own)`);
    }
    // A wrong guess (signers named for a document with its own sign tags): the stamp with the
    // tags known says why it cannot be.
    const stamped = prepared.stamped && facts.hasSignTags === (cmd.signers.length === 0)
      ? prepared.stamped
      : await stampPdf(bytes, { ...input, ownText: facts });
    try {
      await writeFileAtomic(cmd.output, stamped);
    } catch (err) {
      return fail(1, `cannot write ${cmd.output}: ${fileProblem(err)}`);
    }
    const tags = stampTags(input, facts.hasSignTags);
    io.stdout.write([
      `token: ${token}`,
      `output: ${cmd.output}`,
      `upload name: ${stampedFileName(fileName, token)}`,
      ...(facts.hasSignTags ? [`kept: ${facts.signTagCount} [!Sign.] tag(s) already in ${fileName}`] : []),
      ...tags.signTags.map((tag) => `tag: ${tag}`),
      `tag: ${tags.recipientTag}`,
      '',
    ].join('\n'));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return fail(2, `${err.message} (see --help)`);
    if (isSignrelayError(err)) return fail(1, err.message);
    return fail(1, `unexpected error: ${describeError(err)}`);
  }
}
