// A valid lab with something probably not meant (here: one namespace with two interfaces in
// overlapping subnets) applies, and the CLI says what, one line per warning on stderr, as the
// editor shows it; `--json` carries the same list. A dry run: nothing is created.
import { describe, expect, it } from 'vitest';
import { ipNetnsList, useCliEnv } from './test-helpers.js';

const PREFIX = 'pbc21-';
const t = useCliEnv(PREFIX);

const OVERLAP = `name: overlap
nodes:
  a: { kind: netns }
  b: { kind: netns }
  c: { kind: netns }
links:
  - a: { node: a, interface: to-b, addresses: [10.1.0.1/24] }
    b: { node: b, interface: to-a, addresses: [10.1.0.2/24] }
  - a: { node: a, interface: to-c, addresses: [10.1.0.129/25] }
    b: { node: c, interface: to-a, addresses: [10.1.0.130/25] }
`;

describe('apply prints the lab warnings', () => {
  it('one line per warning on stderr, the list in --json; the lab still applies', async () => {
    const file = t.write('overlap.yaml', OVERLAP);
    const r = await t.run(['apply', '--dry-run', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^overlap: \d+ operation\(s\) would run \(dry run, nothing changed\)$/m);
    expect(r.stderr).toMatch(/^warning: links\[1\]\.a\.addresses\[0\]: .*10\.1\.0\.0\/24.* \(addr\.subnet-overlap\)$/m);
    const j = await t.run(['apply', '--dry-run', '--json', file]);
    expect(j.code).toBe(0);
    expect(j.stderr).not.toMatch(/warning:/);
    expect(JSON.parse(j.stdout).warnings).toEqual([
      expect.objectContaining({ path: 'links[1].a.addresses[0]', code: 'addr.subnet-overlap', severity: 'warning' }),
    ]);
    expect(ipNetnsList(PREFIX)).toEqual([]);
  });
});
