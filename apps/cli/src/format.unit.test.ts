// The human-readable plan lines of `apply --dry-run` / `--verbose`.
import type { Op } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { formatPlanLine, formatState, visible } from './format.js';

describe('formatPlanLine', () => {
  it("prints an iptables-restore heredoc as the lines it loads, below the command's first line", () => {
    const op: Op = {
      phase: 'iptables',
      tool: 'iptables',
      ns: 'pb-docker-bridge.host',
      args: [],
      input: '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\nCOMMIT\n',
      kind: 'nat',
      action: 'change',
      subject: { node: 'host' },
      reason: 'nat rules differ',
    };
    const lines = formatPlanLine(op).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(
      /^~ nat +host +ip netns exec pb-docker-bridge\.host iptables-restore <<'EOF' {3}# nat rules differ$/,
    );
    const column = lines[0]!.indexOf('ip netns exec');
    expect(lines.slice(1).map((l) => l.slice(0, column).trim())).toEqual(['', '', '', '', '']);
    expect(lines.slice(1).map((l) => l.slice(column))).toEqual([
      '*nat',
      ':POSTROUTING ACCEPT [0:0]',
      '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
      'COMMIT',
      'EOF',
    ]);
  });

  it('keeps a one-line command on one line', () => {
    const op: Op = {
      phase: 'configure',
      tool: 'ip',
      ns: 'pb-x.a',
      args: ['addr', 'add', '10.0.0.1/24', 'dev', 'eth0'],
      kind: 'address',
      action: 'add',
      subject: { node: 'a', iface: 'eth0' },
      reason: 'address missing',
    };
    expect(formatPlanLine(op)).toMatch(
      /^\+ address +a eth0 +ip -n pb-x\.a addr add 10\.0\.0\.1\/24 dev eth0 {3}# address missing$/,
    );
  });
});

describe('formatState: bridges', () => {
  it("lists a bridge's ebtables: its chains and rules, not the empty ACCEPT built-ins", () => {
    const text = formatState({
      lab: 'x',
      revision: 1,
      nodes: [],
      bridges: [
        {
          bridge: 'br0',
          host: '_host',
          namespace: 'pb-x._host',
          device: 'br0',
          present: true,
          up: true,
          stp: false,
          vlanFiltering: false,
          addresses: [],
          ports: ['veth-a'],
          fdb: [],
          vlans: [],
          ebtables: {
            filter: [
              ':INPUT ACCEPT',
              ':FORWARD ACCEPT',
              ':OUTPUT ACCEPT',
              ':PB-veth-a RETURN',
              '-A FORWARD -i veth-a -j PB-veth-a',
              '-A PB-veth-a -s ! 02:00:00:00:00:0a -j DROP',
            ],
          },
        },
      ],
    });
    expect(text).toContain(
      'bridge br0 (br0 in _host) UP ports veth-a\n  ebtables :PB-veth-a RETURN\n  ebtables -A FORWARD -i veth-a -j PB-veth-a\n  ebtables -A PB-veth-a -s ! 02:00:00:00:00:0a -j DROP',
    );
    expect(text).not.toContain(':FORWARD ACCEPT');
  });
});

describe('formatState: run: processes', () => {
  it('lists each process with its state and the last lines of its output', () => {
    const text = formatState({
      lab: 'x',
      revision: 1,
      bridges: [],
      nodes: [
        {
          node: 'web',
          kind: 'netns',
          namespace: 'pb-x.web',
          present: true,
          interfaces: [],
          routes: [],
          neighbours: [],
          processes: [
            { name: 'run-1', command: 'nc -lk 7', state: 'running', pid: 9, output: 'a\nb\n' },
            { name: 'once', command: 'true', state: 'exited', code: 0, output: '' },
          ],
        },
      ],
    });
    expect(text).toContain('  run run-1 running (pid 9): nc -lk 7\n    | a\n    | b');
    expect(text).toContain('  run once exited 0: true');
  });

  it("shows the output's control characters instead of sending them to the terminal", () => {
    expect(visible('red \u001b[31mtext\r\tok')).toBe('red \\x1b[31mtext\\x0d\tok');
  });
});

describe('formatState: ip6tables', () => {
  it("lists a node's ip6tables rules after its iptables ones, each line saying which", () => {
    const text = formatState({
      lab: 'x',
      revision: 1,
      bridges: [],
      nodes: [
        {
          node: 'node1',
          kind: 'host',
          namespace: 'pb-x.node1',
          present: true,
          interfaces: [],
          routes: [],
          neighbours: [],
          nat: { nat: [':POSTROUTING ACCEPT'], filter: [':INPUT ACCEPT', '-A INPUT -s 10.0.0.0/8 -j ACCEPT'] },
          nat6: { nat: [':POSTROUTING ACCEPT'], filter: [':INPUT ACCEPT', '-A INPUT -s fd00::/64 -j ACCEPT'] },
        },
      ],
    });
    expect(text).toContain('  iptables -A INPUT -s 10.0.0.0/8 -j ACCEPT\n  ip6tables -A INPUT -s fd00::/64 -j ACCEPT');
    expect(text).not.toContain(':INPUT ACCEPT');
  });
});
