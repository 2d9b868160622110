// A crash mid-apply (SIGKILL) leaves a half-made lab; `patchbay recover` removes all of it and
// keeps a lab that was fully applied. A crash during the capability probe leaves its scratch
// namespace: `list` does not offer it as a lab, `recover` removes it. Prefix pbc6-.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, cliEnv, exampleText, type CliEnv } from './test-helpers.js';

const PREFIX = 'pbc6-';
let env: CliEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
});
afterAll(async () => {
  await env?.cleanup();
});

function star(n: number): string {
  const nodes = ['  br0: { kind: bridge }'];
  const links: string[] = [];
  for (let i = 1; i <= n; i++) {
    const name = `l${String(i).padStart(3, '0')}`;
    nodes.push(`  ${name}: { kind: netns }`);
    links.push(
      `  - a: { node: ${name}, interface: eth0, addresses: [10.9.${Math.floor(i / 250)}.${(i % 250) + 1}/16] }\n    b: { node: br0, interface: h${name} }`,
    );
  }
  return `name: crashy\nnodes:\n${nodes.join('\n')}\nlinks:\n${links.join('\n')}\n`;
}

describe('crash recovery', () => {
  it('a lab killed mid-apply is cleaned by recover; an applied lab is kept as it was', async () => {
    env = cliEnv(PREFIX);
    expect((await env.run(['apply', env.write('two.yaml', exampleText('two-containers.yaml'))])).code).toBe(0);
    const kept = (await env.namespaces()).sort();

    const child = spawn(process.execPath, [CLI, 'apply', env.write('star.yaml', star(150))], {
      env: { ...process.env, PATCHBAY_PREFIX: PREFIX, PATCHBAY_DATA: env.dataDir },
      stdio: 'ignore',
    });
    // Kill it as soon as its namespaces appear: the veths and addresses are not there yet.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !readdirSync('/run/netns').some((n) => n.startsWith(`${PREFIX}crashy.`))) {
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect((await env.namespaces()).some((n) => n.startsWith(`${PREFIX}crashy.`))).toBe(true);

    const list = JSON.parse((await env.run(['list', '--json'])).stdout) as { name: string; health: string }[];
    expect(list.find((l) => l.name === 'crashy')?.health).toBe('applying');

    const recovered = await env.run(['recover', '--json']);
    expect(recovered.code).toBe(0);
    expect(JSON.parse(recovered.stdout)).toMatchObject({ adopted: ['two-containers'], cleaned: ['crashy'] });
    expect((await env.namespaces()).sort()).toEqual(kept);
    const after = await env.run(['apply', env.write('two.yaml', exampleText('two-containers.yaml'))]);
    expect(after.stdout).toContain('already up to date');
  });

  it('a process killed during the capability probe leaves its scratch namespace; list ignores it, recover removes it', async () => {
    env = cliEnv(PREFIX);
    // A fresh data folder has no cached capabilities: the first command that needs them probes.
    const child = spawn(process.execPath, [CLI, 'capabilities'], {
      env: { ...process.env, PATCHBAY_PREFIX: PREFIX, PATCHBAY_DATA: env.dataDir },
      stdio: 'ignore',
    });
    const scratch = `${PREFIX}_scratch.caps-${child.pid}`;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !readdirSync('/run/netns').includes(scratch)) {
      await new Promise((r) => setTimeout(r, 1));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await env.namespaces()).toEqual([scratch]);

    // Not a lab: list shows nothing that destroy would answer "no lab named …" to.
    expect(JSON.parse((await env.run(['list', '--json'])).stdout)).toEqual([]);
    const recovered = await env.run(['recover', '--json']);
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(JSON.parse(recovered.stdout)).toMatchObject({ cleaned: [], scratch: [scratch] });
    expect(await env.namespaces()).toEqual([]);
  });
});
