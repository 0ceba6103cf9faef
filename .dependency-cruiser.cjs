// signrelay's layers, lowest first. A module may import from its own folder and from the
// layers below its own, never from its layer's other folders nor from above: so no folder
// depends on a folder that depends on it. Checked by test/layers/layers.test.ts
// (`npx depcruise src` prints the same verdict). docs/development.md draws them.
const LAYERS = [
  ['terminal-text.ts', 'log-output.ts'], // outside text made safe to print: the logger's and the commands'; where the log goes
  ['errors.ts', 'log.ts', 'signer.ts', 'outside-text.ts', 'tls-errors.ts', 'typed-events.ts', 'native-memory.ts', 'collect-garbage.ts', 'orphan-guard.ts', 'ascii-address.ts', 'time.ts', 'loopback.ts', 'proc-stat.ts', 'service-unit.ts', 'make-directories.ts', 'mail-quota.ts'], // shared words
  ['config', 'store'], // settings; the database and blob store
  ['http', 'jobs', 'pdf'], // HTTP clients' plumbing; the job runner; PDF work (the pool and its worker)
  ['alerts', 'mail', 'providers', 'servicenow'], // one module per outside system, and operator alerts
  ['message', 'notices', 'health'], // reading a received mail; what the requester and the record are told; health and metrics
  ['intake', 'completion', 'scheduler'], // the flows: a request in, a signing out, the clock
  ['conversation'], // the requester's replies to an acknowledgement: commands carried out through the flows
  ['daemon.ts'], // the daemon that wires the flows
  ['service', 'checks', 'cli-io'], // the service's systemd side; `check`; the CLI's input and output
  ['sandbox'], // the simulators and the demo's world
  ['commands'], // one module per command
  ['cli.ts'], // the command line
];

const escape = (name) => name.replace(/\./g, '\\.');
const pathOf = (name) => (name.endsWith('.ts') ? `^src/${escape(name)}$` : `^src/${name}/`);

/** For each folder: every folder of its layer but itself, and every folder above it. */
const layerRules = LAYERS.flatMap((layer, level) => layer.map((name) => {
  const forbidden = [...layer.filter((other) => other !== name), ...LAYERS.slice(level + 1).flat()];
  return forbidden.length === 0 ? [] : [{
    name: `layer:${name}`,
    comment: `src/${name} (layer ${level}) imports only its own folder and layers below ${level}`,
    severity: 'error',
    from: { path: pathOf(name) },
    to: { path: forbidden.map(pathOf) },
  }];
}).flat());

const ALL_LAYERED = LAYERS.flat().map(pathOf);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycle, of values or of types',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'in-a-layer',
      comment: 'every module of src/ is in a layer (add a new folder to LAYERS)',
      severity: 'error',
      from: { path: '^src/', pathNot: ALL_LAYERED },
      to: {},
    },
    ...layerRules,
    {
      name: 'sandbox-only-from-its-commands',
      comment: 'the simulators are started only by `demo` and `sandbox` (and by tests)',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/sandbox/', '^src/commands/(demo|sandbox)\\.ts$'] },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'no-test-code-in-src',
      comment: 'src/ never imports from test/ or bench/',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-test-helper-in-src',
      comment: 'every module of src/ is reached from the command line or the PDF worker (test helpers live in test/)',
      severity: 'error',
      // pdf-worker.ts is started by path (fork), not imported.
      from: { path: '^src/(cli|pdf/pdf-worker)\\.ts$' },
      // The mail-login simulator (an OAuth2 identity provider and XOAUTH2 IMAP/SMTP) is a simulator like the others, used by the tests only.
      // A declaration file (types for a module that ships none) is read by tsc, not imported.
      to: { path: '^src/', pathNot: ['^src/sandbox/mail-oauth/', '^src/(cli|pdf/pdf-worker)\\.ts$', '\\.d\\.ts$'], reachable: false },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Packages' subpath exports, as Node resolves them (imapflow/lib/tools.js).
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
