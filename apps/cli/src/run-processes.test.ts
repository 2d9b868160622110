// `run:` processes through the CLI (prefix pbrpc-): `patchbay apply` starts them and exits, they
// keep running (a session of their own, supervised by nothing of the CLI's); `state --json` shows
// their output; `export --script` prints the equivalent line; `destroy` ends them.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { examplePath, useCliEnv } from './test-helpers.js';

const t = useCliEnv('pbrpc-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LAB = `name: rpc
nodes:
  listener:
    kind: netns
    run:
      - { name: listen, command: "echo listening; nc -lk 7777" }
  talker: { kind: netns }
links:
  - a: { node: listener, interface: eth0, addresses: [10.78.0.1/24] }
    b: { node: talker, interface: eth0, addresses: [10.78.0.2/24] }
`;

/** Processes on the machine whose command line mentions `text`. */
function mentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    });
}

interface State {
  nodes: { node: string; processes?: { name: string; state: string; output: string }[] }[];
}

describe('patchbay apply with run: lines', () => {
  it('starts them, they outlive the CLI, state --json shows their output, destroy ends them', async () => {
    const file = t.write('rpc.yaml', LAB);
    const applied = await t.run(['apply', file]);
    expect(applied.code, applied.stderr).toBe(0);
    // the CLI has exited; its process is still there (the supervisor names the data folder; for a
    // moment after the start, so does its child, forked and not yet bwrap)
    await expect.poll(() => mentioning(t.dataDir).length, { timeout: 5000 }).toBe(1);
    const supervisor = mentioning(t.dataDir);

    let sent = { code: null as number | null, stderr: '' };
    for (let i = 0; i < 20; i++) {
      sent = await t.run([
        'exec',
        'rpc',
        'talker',
        '--',
        'sh',
        '-c',
        'echo hello-from-talker | nc -N -w 2 10.78.0.1 7777',
      ]);
      if (sent.code === 0) break;
      await sleep(200);
    }
    expect(sent.code, sent.stderr).toBe(0);

    let listen: { name: string; state: string; output: string } | undefined;
    for (let i = 0; i < 30; i++) {
      const state = await t.run(['state', 'rpc', '--json']);
      expect(state.code, state.stderr).toBe(0);
      listen = (JSON.parse(state.stdout) as State).nodes.find((n) => n.node === 'listener')!.processes?.[0];
      if (listen?.output.includes('hello-from-talker')) break;
      await sleep(100);
    }
    expect(listen).toMatchObject({ name: 'listen', state: 'running' });
    expect(listen!.output).toBe('listening\nhello-from-talker\n');

    const script = await t.run(['export', 'rpc', '--script']);
    expect(script.stdout).toContain(`ip netns exec pbrpc-rpc.listener setsid sh -c 'echo listening; nc -lk 7777'`);
    expect(script.stdout).toMatch(/unsandboxed/);

    const again = await t.run(['apply', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(mentioning(t.dataDir)).toEqual(supervisor); // unchanged: still the one

    const destroyed = await t.run(['destroy', 'rpc']);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(mentioning(t.dataDir)).toEqual([]);
  });
});

describe('the web-service example', () => {
  it('serves its page and its listener to the client; state shows both processes', async () => {
    const applied = await t.run(['apply', examplePath('web-service.yaml')]);
    expect(applied.code, applied.stderr).toBe(0);
    const fetch =
      'import urllib.request\ntry:\n  print(urllib.request.urlopen("http://172.18.0.2/index.html", timeout=2).read().decode().strip())\nexcept Exception:\n  pass';
    let page = '';
    for (let i = 0; i < 30 && page !== 'hello from web'; i++) {
      page = (await t.run(['exec', 'web-service', 'client', '--', 'python3', '-c', fetch])).stdout.trim();
      if (page !== 'hello from web') await sleep(200);
    }
    expect(page).toBe('hello from web');
    const sent = await t.run([
      'exec',
      'web-service',
      'client',
      '--',
      'sh',
      '-c',
      'echo ping-7777 | nc -N -w 2 172.18.0.2 7777',
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    let listen: { name: string; state: string; output: string } | undefined;
    for (let i = 0; i < 30 && !listen?.output.includes('ping-7777'); i++) {
      const state = JSON.parse((await t.run(['state', 'web-service', '--json'])).stdout) as State;
      listen = state.nodes.find((n) => n.node === 'web')!.processes?.find((p) => p.name === 'listen');
      if (!listen?.output.includes('ping-7777')) await sleep(100);
    }
    expect(listen).toMatchObject({ state: 'running', output: 'ping-7777\n' });
    expect((await t.run(['destroy', 'web-service'])).code).toBe(0);
    expect(mentioning(t.dataDir)).toEqual([]);
  });
});
