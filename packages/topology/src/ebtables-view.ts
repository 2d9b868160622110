// One bridge's part of its host's ebtables filter table, for the tables view. ebtables is per
// namespace, not per bridge: a host with two bridges has one filter table. A bridge's part is what
// can touch its frames: the built-in chains' policies, their rules that name one of its ports (or
// no port at all, so they hold for every bridge of the host), and the user chains those rules jump
// to (transitively), with all their rules.
import type { EbtablesState } from './state.js';

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT']);
/** The interface options of an ebtables rule, as ebtables-save prints them. */
const INTERFACE_OPTION = /(?:^| )(-i|-o|--logical-in|--logical-out) (!\s+)?(\S+)/g;

function chainOf(rule: string): string {
  return rule.split(' ')[1] ?? '';
}
function jumpOf(rule: string): string | undefined {
  return / -j (\S+)/.exec(rule)?.[1];
}

/**
 * Whether `rule` may match a frame of this bridge: it names none of the bridge's interfaces
 * (ports by `-i`/`-o`, the bridge device by `--logical-in`/`--logical-out`) only when it names
 * another interface positively. A negated match (`-i ! eth9`) or no interface option holds for it.
 */
function concernsBridge(rule: string, ports: ReadonlySet<string>, device: string): boolean {
  for (const m of rule.matchAll(INTERFACE_OPTION)) {
    const [, option, negated, name] = m;
    if (negated) continue;
    const mine = option!.startsWith('--logical') ? name === device : ports.has(name!);
    if (!mine) return false;
  }
  return true;
}

/**
 * The lines of `state` (ebtables-save's canonical form) that concern bridge `device` with `ports`:
 * ":CHAIN POLICY" lines of the built-in chains and of the user chains reached, then the rules.
 * Undefined when the host's table has no rule at all (nothing to show beyond three ACCEPTs).
 */
export function bridgeEbtables(
  state: EbtablesState,
  device: string,
  ports: readonly string[],
): EbtablesState | undefined {
  const rules = state.filter.filter((l) => l.startsWith('-A '));
  const policies = state.filter.filter((l) => l.startsWith(':'));
  if (rules.length === 0 && policies.every((p) => p.endsWith(' ACCEPT'))) return undefined;
  const portSet = new Set(ports);
  const reached = new Set<string>();
  const kept = new Set<string>();
  const visit = (chain: string, all: boolean) => {
    for (const rule of rules) {
      if (chainOf(rule) !== chain || kept.has(rule)) continue;
      if (!all && !concernsBridge(rule, portSet, device)) continue;
      kept.add(rule);
      const target = jumpOf(rule);
      if (target && !BUILTIN.has(target) && !reached.has(target) && policies.some((p) => p.startsWith(`:${target} `))) {
        reached.add(target);
        visit(target, true);
      }
    }
  };
  for (const chain of BUILTIN) visit(chain, false);
  return {
    filter: [
      ...policies.filter((p) => BUILTIN.has(p.slice(1).split(' ')[0]!) || reached.has(p.slice(1).split(' ')[0]!)),
      ...rules.filter((r) => kept.has(r)),
    ],
  };
}
