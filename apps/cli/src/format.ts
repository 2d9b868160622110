// Human-readable output of the CLI (the --json forms are the engine's objects as they are).
import type { LabStateView, LabSummary } from '@patchbay/engine';
import { DEFAULT_PORT_FLAGS, type Op, type PortFlags, opCommand, routeText, ruleText } from '@patchbay/topology';

const SIGN: Record<Op['action'], string> = { add: '+', change: '~', remove: '-' };

/**
 * One operation of a plan: sign, kind, subject, command and reason. A command of several lines
 * (the heredoc of `iptables-restore`) goes on below its first line, indented to the command column,
 * so the rules it loads read as the file they are.
 */
export function formatPlanLine(op: Op): string {
  const what = [op.subject.node, op.subject.iface, op.subject.detail].filter(Boolean).join(' ');
  const head = `${SIGN[op.action]} ${op.kind.padEnd(9)} ${what.padEnd(28)} `;
  const [first = '', ...rest] = opCommand(op).split('\n');
  const indent = ' '.repeat(head.length);
  return [`${head}${first}   # ${op.reason}`, ...rest.map((line) => `${indent}${line}`)].join('\n');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatList(labs: LabSummary[]): string {
  if (labs.length === 0) return 'no labs';
  return table([
    ['NAME', 'NODES', 'NAMESPACES', 'REVISION', 'HEALTH', 'DETAIL'],
    ...labs.map((l) => [l.name, String(l.nodes), String(l.namespaces), String(l.revision), l.health, l.detail ?? '']),
  ]);
}

/** `text` with control characters (but tab) as `\xNN`, so printing it cannot drive the terminal. */
export function visible(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    const control = (c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f);
    out += control ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

export function formatState(v: LabStateView): string {
  const lines: string[] = [`lab ${v.lab} (revision ${v.revision})`];
  for (const n of v.nodes) {
    lines.push(
      '',
      `${n.node} [${n.kind}] ${n.present ? '' : '(namespace missing) '}netns ${n.namespace}${n.forwarding ? ' forwarding' : ''}`,
    );
    for (const i of n.interfaces) {
      const peer = i.peer ? ` ↔ ${i.peer.node}/${i.peer.interface}` : '';
      const vx = i.vxlan
        ? ` vni ${i.vxlan.vni} local ${i.vxlan.local} remotes ${i.vxlan.remotes.join(',') || '-'}`
        : '';
      const mv = i.macvlan ? ` mode ${i.macvlan.mode}${i.macvlan.parent ? ` on ${i.macvlan.parent}` : ''}` : '';
      const flags = i.port ? portFlags(i.port) : '';
      lines.push(
        `  ${i.name.padEnd(15)} ${i.kind.padEnd(8)} ${(i.up ? 'UP' : 'DOWN').padEnd(4)} mtu ${i.mtu ?? '-'} ${i.mac ?? ''}${i.master ? ` master ${i.master}` : ''}${flags} ${i.addresses.join(' ')}${peer}${vx}${mv}`,
      );
    }
    for (const r of n.routes) lines.push(`  route ${routeText(r)}`);
    for (const rule of n.rules ?? []) lines.push(`  rule ${ruleText(rule)}`);
    for (const nb of n.neighbours)
      lines.push(`  neigh ${nb.dst} dev ${nb.dev} ${nb.lladdr ?? ''} ${nb.state.join(',')}`);
    for (const rule of [...(n.nat?.nat ?? []), ...(n.nat?.filter ?? [])])
      if (!rule.endsWith(' ACCEPT') || rule.startsWith('-A')) lines.push(`  iptables ${rule}`);
    for (const rule of [...(n.nat6?.nat ?? []), ...(n.nat6?.filter ?? [])])
      if (!rule.endsWith(' ACCEPT') || rule.startsWith('-A')) lines.push(`  ip6tables ${rule}`);
    for (const p of n.processes ?? []) {
      const how =
        p.state === 'running'
          ? `running (pid ${p.pid ?? '?'})`
          : p.state === 'exited'
            ? `exited${p.code !== undefined ? ` ${p.code}` : ''}`
            : 'not started';
      lines.push(`  run ${p.name} ${how}: ${p.command}`);
      // the last lines of its output (`state --json` has the last 4 KiB); the lab's own program
      // wrote them, so control characters (terminal escapes) are shown, not sent to the terminal
      for (const l of p.output.trimEnd().split('\n').slice(-5)) if (l) lines.push(`    | ${visible(l)}`);
    }
    // its resolver file (lab dns:), comments left out; a student may have edited it: shown as it is
    for (const l of (n.resolvConf ?? '').split('\n'))
      if (l.trim() && !l.startsWith('#')) lines.push(`  resolv.conf ${visible(l)}`);
    for (const c of n.cni ?? []) {
      // the plugin's answer in short (`state --json` has the config passed and the whole result)
      const ip = c.result?.ips?.[0];
      const got =
        c.state === 'attached'
          ? `${ip ? `${ip.address}${ip.gateway ? ` gw ${ip.gateway}` : ''}` : 'no address'}`
          : 'not attached';
      const check = c.check ? (c.check.ok ? ' check ok' : ` check FAILED: ${visible(c.check.error ?? '')}`) : '';
      lines.push(`  cni ${c.interface} ${c.plugin} on ${c.host} network ${c.network}: ${got}${check}`);
    }
  }
  for (const b of v.bridges) {
    lines.push(
      '',
      `bridge ${b.bridge} (${b.device} in ${b.host}) ${b.up ? 'UP' : 'DOWN'} ports ${b.ports.join(', ') || '-'}${fdbCount(b)}`,
    );
    for (const e of b.fdb)
      lines.push(
        `  fdb ${e.mac} port ${e.port}${e.dst ? ` dst ${e.dst}` : ''} ${[...e.flags, e.state ?? ''].filter(Boolean).join(' ')}`,
      );
    // its host's ebtables that concern it: user chains, a non-ACCEPT policy, every rule
    for (const rule of b.ebtables?.filter ?? [])
      if (!rule.endsWith(' ACCEPT') || rule.startsWith('-A')) lines.push(`  ebtables ${rule}`);
  }
  return lines.join('\n');
}

/** " fdb learned N of CAP" (the kernel's count against the bridge's cap), or "" when not reported. */
function fdbCount(b: { fdbMaxLearned?: number; fdbLearned?: number }): string {
  if (b.fdbLearned === undefined) return '';
  return ` fdb learned ${b.fdbLearned}${b.fdbMaxLearned ? ` of ${b.fdbMaxLearned}` : ' (no cap)'}`;
}

/** " hairpin on learning off": a bridge port's flags that differ from a new port's ("" when none do). */
function portFlags(port: PortFlags): string {
  const keys = ['hairpin', 'learning', 'flood', 'isolated'] as const;
  return keys
    .filter((k) => port[k] !== DEFAULT_PORT_FLAGS[k])
    .map((k) => ` ${k} ${port[k] ? 'on' : 'off'}`)
    .join('');
}
