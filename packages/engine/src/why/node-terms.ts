// A student's terminal runs inside a node, where `ip -n pb-lab.db …` means nothing: there the fix is
// `ip link set eth0 up`, typed in db's terminal. This rewrites an answer's fixes and commands from
// the machine's terms (`ip -n NS`, `bridge -n NS`, `ip netns exec NS`) into the node's, naming the
// node to type it in. Pure: namespaces are recognised by the engine's own naming (the lab's prefix).
import { type WhyHop, type WhyResult, IMPLICIT_HOST, parseNamespaceName } from '@patchbay/topology';

const NS_COMMAND =
  /\b(ip|bridge) -n ([a-z][a-z0-9-]*\.[a-z_][a-z0-9-]*) |\bip netns exec ([a-z][a-z0-9-]*\.[a-z_][a-z0-9-]*) /g;

/**
 * `text` with every command in a namespace of `prefix` + `lab` rewritten for a shell on its node;
 * the nodes named are collected in `nodes`. A lab's implicit bridge host has no terminal: its
 * commands are left as they are.
 */
export function nodeCommandText(text: string, prefix: string, lab: string, nodes: Set<string>): string {
  return text.replace(
    NS_COMMAND,
    (whole, tool: string | undefined, nsA: string | undefined, nsB: string | undefined) => {
      const parsed = parseNamespaceName(prefix, (nsA ?? nsB)!);
      if (!parsed || parsed.lab !== lab || parsed.node === IMPLICIT_HOST) return whole;
      nodes.add(parsed.node);
      return tool ? `${tool} ` : '';
    },
  );
}

function rewrite(text: string, prefix: string, lab: string): string {
  const nodes = new Set<string>();
  const out = nodeCommandText(text, prefix, lab, nodes);
  return nodes.size === 0 ? out : `${out} — in the terminal of ${[...nodes].join(', ')}`;
}

const hopInNodeTerms = (hop: WhyHop, prefix: string, lab: string): WhyHop =>
  hop.commands ? { ...hop, commands: hop.commands.map((c) => rewrite(c, prefix, lab)) } : hop;

/** The answer as a student's terminals see it (every fix and command in node terms). */
export function whyInNodeTerms(result: WhyResult, prefix: string): WhyResult {
  const lab = result.lab;
  return {
    ...result,
    forward: result.forward.map((h) => hopInNodeTerms(h, prefix, lab)),
    reverse: result.reverse.map((h) => hopInNodeTerms(h, prefix, lab)),
    ...(result.blocked
      ? {
          blocked: {
            ...result.blocked,
            ...(result.blocked.fix ? { fix: rewrite(result.blocked.fix, prefix, lab) } : {}),
          },
        }
      : {}),
  };
}
