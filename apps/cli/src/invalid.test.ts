// Invalid lab files: exit 2, one clear line per problem naming the field, and nothing created.
import { describe, expect, it } from 'vitest';
import { type CliResult, exampleText, ipNetnsList, useCliEnv } from './test-helpers.js';

const PREFIX = 'pbc3-';
const t = useCliEnv(PREFIX);

const TWO = exampleText('two-containers.yaml');

function edit(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

/** Applies `text` (from a file, and once more from stdin) and checks it is refused with exit 2. */
async function expectRefused(text: string): Promise<CliResult> {
  const r = await t.run(['apply', t.write('lab.yaml', text)]);
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/nothing was changed/);
  const viaStdin = await t.run(['apply', '-'], text);
  expect(viaStdin.code).toBe(2);
  expect(viaStdin.stderr).toBe(r.stderr);
  await expectNothingCreated();
  return r;
}

async function expectNothingCreated(): Promise<void> {
  expect(await t.namespaces()).toEqual([]);
  expect(ipNetnsList(PREFIX)).toEqual([]);
  const list = await t.run(['list', '--json']);
  expect(list.code).toBe(0);
  expect(JSON.parse(list.stdout)).toEqual([]);
}

describe('apply refuses invalid files with exit 2', () => {
  it('a bad address, naming the field path', async () => {
    const r = await expectRefused(edit(TWO, '192.168.100.10/24', '10.0.0.999/24'));
    expect(r.stderr).toMatch(/^links\[0\]\.a\.addresses\[0\]: .*10\.0\.0\.999\/24/m);
  });

  it('malformed YAML', async () => {
    const r = await expectRefused('name: broken\nnodes: [\n  a: {');
    expect(r.stderr).toMatch(/YAML syntax error at line \d+/);
  });

  it('an interface name with shell metacharacters', async () => {
    const r = await expectRefused(edit(TWO, 'interface: veth-web,', 'interface: "eth0;reboot",'));
    expect(r.stderr).toMatch(/^links\[0\]\.a\.interface: .*eth0;reboot/m);
  });

  it('a reference to an unknown node', async () => {
    const r = await expectRefused(edit(TWO, 'node: ns-db,', 'node: ns-nope,'));
    expect(r.stderr).toMatch(/^links\[1\]\.a\.node: .*ns-nope/m);
  });

  it('a lab needing bridge VLAN filtering, which this kernel lacks', async () => {
    const caps = await t.run(['capabilities', '--json']);
    expect(caps.code).toBe(0);
    expect(JSON.parse(caps.stdout)['bridge-vlan-filtering']).toBe(false);
    const r = await expectRefused(edit(TWO, '    kind: bridge\n', '    kind: bridge\n    vlanFiltering: true\n'));
    expect(r.stderr).toMatch(/^nodes\.br0\.vlanFiltering: .*VLAN filtering/m);
  });

  it('an oversize lab (more than 2000 nodes)', async () => {
    const lines = ['name: big', 'nodes:'];
    for (let i = 0; i < 2001; i++) lines.push(`  n${i}: { kind: netns }`);
    lines.push('links: []');
    const r = await expectRefused(lines.join('\n') + '\n');
    expect(r.stderr).toMatch(/2001 nodes.*2000/);
  });

  it('an unknown option (a typo must not turn a dry run into a real apply)', async () => {
    const r = await t.run(['apply', t.write('lab.yaml', TWO), '--dryrun']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('apply has no option --dryrun');
    await expectNothingCreated();
  });
  it('a short option (-n is no dry run: refused, not ignored) and an extra argument', async () => {
    const file = t.write('lab.yaml', TWO);
    const short = await t.run(['apply', file, '-n']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('apply has no option -n');
    const extra = await t.run(['apply', file, file]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('apply takes FILE; unexpected');
    await expectNothingCreated();
  });
  it('a file that does not exist', async () => {
    const r = await t.run(['apply', `${t.tmp}/missing.yaml`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ENOENT');
    await expectNothingCreated();
  });
});
