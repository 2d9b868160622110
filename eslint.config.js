// ESLint: typescript-eslint's recommended type-aware rules over every package's TypeScript (src, tests,
// bench, e2e). Formatting is Biome's job (biome.jsonc), boundaries dependency-cruiser's
// (.dependency-cruiser.cjs). Run by `pnpm lint` after `pnpm build`: the apps read the packages' built .d.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const unsafeAny = [
  '@typescript-eslint/no-unsafe-argument',
  '@typescript-eslint/no-unsafe-assignment',
  '@typescript-eslint/no-unsafe-call',
  '@typescript-eslint/no-unsafe-member-access',
  '@typescript-eslint/no-unsafe-return',
];
const off = (rules) => Object.fromEntries(rules.map((r) => [r, 'off']));

// Each folder's TypeScript is type-checked with the tsconfig that covers its tests as well as its src
// (a package's tsconfig.json builds src only). One program per folder, made only when a file of it is linted.
const PROJECTS = {
  'packages/engine': 'tsconfig.check.json',
  'packages/kernel': 'tsconfig.check.json',
  'packages/protocol': 'tsconfig.check.json',
  'packages/scenarios': 'tsconfig.check.json',
  'packages/topology': 'tsconfig.check.json',
  'apps/cli': 'tsconfig.check.json',
  'apps/server': 'tsconfig.check.json',
  'apps/web': 'tsconfig.json',
  bench: 'tsconfig.json',
  e2e: 'tsconfig.json',
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/test-results/**', 'bench/results/**'] },
  ...Object.entries(PROJECTS).map(([dir, tsconfig]) => ({
    files: [`${dir}/**/*.{ts,tsx}`],
    languageOptions: { parserOptions: { project: `${dir}/${tsconfig}`, tsconfigRootDir: import.meta.dirname } },
  })),
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    rules: {
      // Relaxed, not off: a leading underscore marks a parameter or binding kept on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests read HTTP and socket replies as JSON (`res.json()` is `any`) and vitest's asymmetric matchers
    // (`expect.any(String)`) are typed `any`; the assertions check those values at run time.
    // Test doubles stand in for async interfaces without awaiting anything (require-await).
    files: ['**/*.test.ts', '**/test-support.ts', '**/test-helpers.ts', 'e2e/**/*.ts'],
    rules: off([...unsafeAny, '@typescript-eslint/require-await']),
  },
  {
    // The benchmarks' report renderers take the measured results as untyped records (`any` on purpose:
    // one-off Markdown of a JSON file, read by eye in docs/benchmarks.md).
    files: ['bench/src/**/*.ts'],
    rules: off(unsafeAny),
  },
  {
    // Fastify plugins and route handlers are async by contract (an async plugin needs no `done`),
    // whether or not they await anything.
    files: ['apps/server/src/plugins/**/*.ts', 'apps/server/src/routes/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
);
