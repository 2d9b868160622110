// Boundaries between the packages (`pnpm lint` runs `depcruise`). The rules are about each package's
// shipped code (src/, not its tests): test files of the pure packages may read fixtures with node:fs,
// and tests, bench/ and e2e/ start processes (the CLI under test, load-generating clients) as a harness.
const TESTS = '(\\.test\\.ts$|/test/|/test-support\\.ts$|/test-helpers\\.ts$)';
// The pure core: the lab model, the scenario format and the server↔client contract. The browser runs them.
const PURE = '^packages/(topology|scenarios|protocol)/';
// Node-only entry points of the pure packages, kept out of their main entry (see no-node-only-entry-import):
// the build-time schema writers, and the built-in scenario library (reads library/*.yaml), imported
// only as `@patchbay/scenarios/library`.
const NODE_ONLY_ENTRIES = '^packages/(topology|scenarios)/(src|dist)/(write-schema|library)(\\.d)?\\.(ts|js)$';
// What starts processes. Only packages/kernel may.
const PROCESS_MODULES = '^(node:)?(child_process|cluster)$|^node-pty$|/node_modules/node-pty/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'pure-no-node',
      comment: 'topology, scenarios and protocol import no node:* module (the browser runs them)',
      severity: 'error',
      from: { path: PURE, pathNot: [TESTS, NODE_ONLY_ENTRIES] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-node-only-entry-import',
      comment: 'the node-only entries of the pure packages are entries: nothing in the package imports them',
      severity: 'error',
      from: { path: PURE, pathNot: TESTS },
      to: { path: NODE_ONLY_ENTRIES },
    },
    {
      name: 'only-kernel-starts-processes',
      comment: 'only packages/kernel starts processes (child_process, cluster, node-pty)',
      severity: 'error',
      from: { path: '^(packages|apps)/', pathNot: ['^packages/kernel/', TESTS] },
      to: { path: PROCESS_MODULES },
    },
    {
      name: 'web-imports-only-the-pure-core',
      comment: 'apps/web imports only protocol, topology and scenarios (plus its npm dependencies)',
      severity: 'error',
      from: { path: '^apps/web/', pathNot: TESTS },
      to: {
        path: ['^packages/(engine|kernel)/', '^apps/(server|cli)/', '^bench/', '^e2e/', NODE_ONLY_ENTRIES],
      },
    },
    {
      name: 'web-no-node',
      comment: 'apps/web runs in the browser: no node:* module',
      severity: 'error',
      from: { path: '^apps/web/src/', pathNot: TESTS },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles (type-only imports count: a cycle of types is a cycle of ideas)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves (otherwise the rules above cannot see where it goes)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Another workspace package is reached through its build (dist/, via its package.json exports):
    // seen as a dependency, not cruised. `pnpm lint` runs after `pnpm build`.
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['/test-results/', '^bench/results/'] },
    // Type-only imports are dependencies too (cycles, and what web may import).
    tsPreCompilationDeps: true,
    // Resolve each package's TypeScript the way tsc does (`./x.js` → `./x.ts`).
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    // Workspace packages resolve to their real folders (packages/x/...), so the rules can name them.
    preserveSymlinks: false,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
