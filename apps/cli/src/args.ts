// Argument parsing for `patchbay`: COMMAND, positionals, --flags, and everything after `--` kept
// verbatim for `exec` (never interpreted, never joined into a shell string).

export interface Parsed {
  command?: string;
  positional: string[];
  flags: Set<string>;
  options: Map<string, string>;
  /** Arguments after `--`. */
  rest: string[];
}

/** Options that take a value (`--port 7070` or `--port=7070`). */
const VALUED = new Set(['port', 'host', 'lab']);

/** Flags each command accepts; anything else is an error (a typo must not turn a dry run into a real one). */
export const COMMAND_FLAGS: Record<string, readonly string[]> = {
  apply: ['dry-run', 'json', 'verbose'],
  destroy: [],
  list: ['json'],
  state: ['json'],
  exec: [],
  shell: [],
  export: ['script'],
  recover: ['json'],
  capabilities: ['json'],
  serve: ['port', 'host'],
  scenario: ['lab', 'json'],
};

/** The first flag `p.command` does not accept, if any. */
export function unknownFlag(p: Parsed): string | undefined {
  const allowed = new Set([...(COMMAND_FLAGS[p.command ?? ''] ?? []), 'help']);
  return [...p.flags].find((f) => !allowed.has(f)) ?? [...p.options.keys()].find((k) => !allowed.has(k));
}

export function parseArgs(argv: string[]): Parsed {
  const parsed: Parsed = { positional: [], flags: new Set(), options: new Map(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      parsed.rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (VALUED.has(k)) parsed.options.set(k, v ?? argv[++i] ?? '');
      else parsed.flags.add(k);
    } else if (a === '-h') parsed.flags.add('help');
    else if (!parsed.command) parsed.command = a;
    else parsed.positional.push(a);
  }
  return parsed;
}

export const HELP = `patchbay — Linux container networking labs, realized in the real kernel

usage: patchbay COMMAND [ARGS]

  apply FILE [--dry-run] [--json] [--verbose]
                          create the lab, or change a running one to match FILE (FILE - reads stdin)
  destroy NAME            remove everything of the lab from the kernel
  list [--json]           labs present, with node count and health
  state NAME [--json]     live kernel state per node and bridge
  exec NAME NODE -- CMD…  run a command in a node's namespace (a bridge: its host's)
  shell NAME NODE [-- CMD…]
                          a shell in a netns or router node, in the same sandbox a student's
                          browser terminal gets (reads commands from stdin when it is not a tty)
  export NAME [--script]  print the running lab as a lab file, or as ip/bridge/iptables commands
  recover [--json]        after a crash: keep applied labs, remove half-made ones and
                          unjournaled namespaces of this prefix, roll interrupted changes back
  capabilities [--json]   kernel features this machine offers to labs
  scenario list [--json]  the built-in exercises
  scenario start ID|FILE [--lab NAME]
                          realize an exercise's starting lab (and its setup steps)
  scenario check NAME [--json]
                          run the exercise's checks against the live lab (exit 3: some fail)
  scenario solve NAME     run the reference solution (instructors, tests)
  scenario validate ID|FILE [--lab NAME] [--json]
                          prove it sound: the fresh lab fails a check, the solution passes all,
                          a reset lab fails again (exit 2 invalid, 3 unsound)
  serve [--port N] [--host H]
                          start the server (REST API; default 127.0.0.1:7070) and print its
                          address with the instructor token; labs keep running when it stops

exit: 0 done · 1 failed (rolled back, or reported exactly) · 2 invalid input (nothing changed)
      · 3 scenario check: some checks fail; scenario validate: not sound
environment: PATCHBAY_PREFIX (default pb-), PATCHBAY_DATA (default /var/lib/patchbay),
             PATCHBAY_ADMIN_TOKEN (serve; default: generated once, kept in PATCHBAY_DATA)`;
