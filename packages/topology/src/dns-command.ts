// The command a person would type for a `file` op (dns.ts: a node's resolv.conf): the `file` case
// of opCommand. Apart from dns.ts so that plan-types.ts can use it without an import cycle.
import { shellQuote } from './run-command.js';

/** A `file` op's command: writing or removing a node's resolv.conf. */
export function fileCommand(op: { ns: string; args: readonly string[]; input?: string }): string {
  const [verb, path] = op.args as [string, string];
  const dir = path.slice(0, path.lastIndexOf('/'));
  if (verb === 'remove') return `rm -f ${path} && rmdir ${dir}`;
  const lines = (op.input ?? '').trimEnd().split('\n');
  return `mkdir -p ${dir} && printf '%s\\n' ${lines.map(shellQuote).join(' ')} > ${path}`;
}
