#!/usr/bin/env node
// Starts the server directly (`node dist/main.js [--port N] [--host H]`); `patchbay serve` does the same.
import { start } from './start.js';

function option(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

const argv = process.argv.slice(2);
const port = option(argv, 'port');
start({ port: port === undefined ? undefined : Number(port), host: option(argv, 'host') }).catch((e: unknown) => {
  process.stderr.write(`patchbay serve: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
