// Where the end-to-end server runs and what it uses: shared by the config, the set-up and the tests.
// PATCHBAY_E2E_PORT and PATCHBAY_E2E_PREFIX let two runs share a machine (each its own port, prefix,
// data folder); the defaults are what `npm test` uses.
const port = Number(process.env['PATCHBAY_E2E_PORT'] ?? 7171);
const prefix = process.env['PATCHBAY_E2E_PREFIX'] ?? 'pbw-';
if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error(`PATCHBAY_E2E_PORT: not a port: ${port}`);
if (!/^[a-z][a-z0-9]{1,5}-$/.test(prefix)) throw new Error(`PATCHBAY_E2E_PREFIX: like pbw- (letters, digits, a dash)`);

export const E2E = {
  port,
  url: `http://127.0.0.1:${port}`,
  prefix,
  dataDir: `/tmp/patchbay-e2e-data-${port}`,
  token: 'e2e-instructor-token-0123456789abcdef',
} as const;
