// Argument parsing for `patchbay`: every command's grammar as data (its positionals, the options it
// accepts, whether it takes a command after `--`), and one parser that refuses anything else before
// a command runs. Refusing is the point: an ignored `-n` or extra name would make `apply lab.yaml -n`
// apply for real or `destroy a b` destroy only `a`. Everything after `--` is kept verbatim for
// `exec`/`shell` (never interpreted, never joined into a shell string).

export interface Parsed {
  /** The command, with its subcommand for `scenario` (`scenario check`). Absent: no command given. */
  command?: string;
  positional: string[];
  flags: Set<string>;
  options: Map<string, string>;
  /** Arguments after `--`. */
  rest: string[];
  /** `--help` or `-h` was given: print the help, run nothing. */
  help: boolean;
}

export interface CommandGrammar {
  /** Required positionals, by the name the usage line gives them. */
  args: readonly string[];
  /** Boolean options (`--json`). */
  flags?: readonly string[];
  /** Options that take a value (`--port 7070` or `--port=7070`). */
  valued?: readonly string[];
  /** After `--`: nothing allowed, an optional command, or a required one. */
  rest?: 'optional' | 'required';
  usage: string;
}

/** Every command the CLI has. `scenario` has subcommands, keyed `scenario SUB`. */
export const COMMANDS: Record<string, CommandGrammar> = {
  apply: {
    args: ['FILE'],
    flags: ['dry-run', 'json', 'verbose'],
    usage: 'patchbay apply FILE [--dry-run] [--json] [--verbose]',
  },
  destroy: { args: ['NAME'], usage: 'patchbay destroy NAME' },
  list: { args: [], flags: ['json'], usage: 'patchbay list [--json]' },
  state: { args: ['NAME'], flags: ['json'], usage: 'patchbay state NAME [--json]' },
  exec: { args: ['NAME', 'NODE'], rest: 'required', usage: 'patchbay exec NAME NODE -- CMD…' },
  shell: { args: ['NAME', 'NODE'], rest: 'optional', usage: 'patchbay shell NAME NODE [-- CMD…]' },
  export: { args: ['NAME'], flags: ['script'], usage: 'patchbay export NAME [--script]' },
  recover: { args: [], flags: ['json'], usage: 'patchbay recover [--json]' },
  capabilities: { args: [], flags: ['json'], usage: 'patchbay capabilities [--json]' },
  why: {
    args: ['NAME', 'FROM', 'TO'],
    flags: ['df', 'no-probe', 'json'],
    valued: ['proto', 'port', 'size'],
    usage: 'patchbay why NAME FROM TO [--proto icmp|tcp|udp] [--port N] [--size N] [--df] [--no-probe] [--json]',
  },
  serve: {
    args: [],
    flags: ['no-local-agent'],
    valued: ['port', 'host', 'tls-cert', 'tls-key', 'agent-port'],
    usage: 'patchbay serve [--port N] [--host H] [--tls-cert FILE --tls-key FILE] [--no-local-agent] [--agent-port N]',
  },
  agent: {
    args: [],
    flags: ['drain'],
    valued: ['coordinator', 'name', 'port', 'host', 'advertise'],
    usage: 'patchbay agent --coordinator URL --name NAME [--drain] [--port N] [--host H] [--advertise URL]',
  },
  'scenario list': { args: [], flags: ['json'], usage: 'patchbay scenario list [--json]' },
  'scenario start': { args: ['ID|FILE'], valued: ['lab'], usage: 'patchbay scenario start ID|FILE [--lab NAME]' },
  'scenario check': { args: ['NAME'], flags: ['json'], usage: 'patchbay scenario check NAME [--json]' },
  'scenario solve': { args: ['NAME'], usage: 'patchbay scenario solve NAME' },
  'scenario validate': {
    args: ['ID|FILE'],
    flags: ['json'],
    valued: ['lab'],
    usage: 'patchbay scenario validate ID|FILE [--lab NAME] [--json]',
  },
};

export const SCENARIO_USAGE =
  'patchbay scenario list | start ID|FILE [--lab NAME] | check NAME [--json] | solve NAME | validate ID|FILE [--lab NAME] [--json]';

/** Options that take a value in some command; the next word is their value when no `=` is given. */
const TAKES_VALUE = new Set(Object.values(COMMANDS).flatMap((g) => g.valued ?? []));

/** A command line that does not fit its command's grammar: exit 2, nothing runs. */
export class UsageError extends Error {}

const fail = (message: string): never => {
  throw new UsageError(message);
};

/** Splits argv and checks it against the command's grammar; throws UsageError on anything else. */
export function parseArgs(argv: readonly string[]): Parsed {
  const dashdash = argv.indexOf('--');
  const before = dashdash < 0 ? argv : argv.slice(0, dashdash);
  const rest = dashdash < 0 ? [] : argv.slice(dashdash + 1);
  const words: string[] = [];
  const given: { name: string; value?: string; raw: string }[] = [];
  let help = false;
  for (let i = 0; i < before.length; i++) {
    const a = before[i]!;
    if (a === '--help' || a === '-h') help = true;
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      let value = eq < 0 ? undefined : a.slice(eq + 1);
      // `--port 7070`: an option that takes a value (for any command) takes the next word.
      if (value === undefined && TAKES_VALUE.has(name)) {
        const next = before[i + 1];
        if (next === undefined || (next.startsWith('-') && next !== '-')) fail(`--${name} needs a value`);
        value = next;
        i++;
      }
      given.push({ name, value, raw: a });
    } else if (a.startsWith('-') && a !== '-') {
      // `-` alone is stdin (apply -); every other single-dash word is a short option, which we have none of.
      given.push({ name: a.slice(1), raw: a });
    } else words.push(a);
  }
  const parsed: Parsed = { positional: [], flags: new Set(), options: new Map(), rest, help };
  if (words.length === 0) {
    if (given.length && !help) fail(`${given[0]!.raw} needs a command first (see patchbay --help)`);
    return parsed;
  }
  const [first, ...others] = words as [string, ...string[]];
  let key = first;
  let positional: string[] = others;
  if (first === 'scenario') {
    if (others.length === 0) {
      if (help) return { ...parsed, command: 'scenario' };
      fail(`usage: ${SCENARIO_USAGE}`);
    }
    key = `scenario ${others[0]}`;
    positional = others.slice(1);
    if (!COMMANDS[key])
      fail(`patchbay scenario has no subcommand ${JSON.stringify(others[0])} (usage: ${SCENARIO_USAGE})`);
  } else if (!COMMANDS[key]) fail(`unknown command ${JSON.stringify(first)} (see patchbay --help)`);
  parsed.command = key;
  if (help) return parsed; // `patchbay apply --help`: the help, whatever else is on the line
  const grammar = COMMANDS[key]!;
  const flags = new Set(grammar.flags ?? []);
  const valued = new Set(grammar.valued ?? []);
  for (let i = 0; i < given.length; i++) {
    const g = given[i]!;
    if (!g.raw.startsWith('--'))
      fail(`${key} has no option ${g.raw}: options are spelled out, ${optionList(grammar)} (see patchbay --help)`);
    if (flags.has(g.name)) {
      if (g.value !== undefined) fail(`--${g.name} takes no value (got ${g.raw})`);
      parsed.flags.add(g.name);
    } else if (valued.has(g.name)) {
      if (g.value === undefined || g.value === '') fail(`--${g.name} needs a value (usage: ${grammar.usage})`);
      if (parsed.options.has(g.name)) fail(`--${g.name} is given twice`);
      parsed.options.set(g.name, g.value!);
    } else fail(`${key} has no option --${g.name} (see patchbay --help)`);
  }
  if (positional.length < grammar.args.length) fail(`usage: ${grammar.usage}`);
  if (positional.length > grammar.args.length) {
    const extra = positional.slice(grammar.args.length);
    fail(
      `${key} takes ${grammar.args.length ? grammar.args.join(' ') : 'no arguments'}; unexpected ${extra.map((e) => JSON.stringify(e)).join(' ')} (usage: ${grammar.usage})`,
    );
  }
  if (dashdash >= 0 && !grammar.rest) fail(`${key} takes no command after -- (usage: ${grammar.usage})`);
  if (grammar.rest === 'required' && rest.length === 0) fail(`usage: ${grammar.usage}`);
  parsed.positional = positional;
  return parsed;
}

function optionList(g: CommandGrammar): string {
  const all = [...(g.flags ?? []), ...(g.valued ?? [])].map((o) => `--${o}`);
  return all.length ? `this command takes ${all.join(', ')}` : 'and this command takes none';
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
  why NAME FROM TO [--proto icmp|tcp|udp] [--port N] [--size N] [--df] [--no-probe] [--json]
                          why FROM can (or cannot) reach TO (a node or an IPv4 address): the
                          path and the reply hop by hop from the live kernel, where and why it
                          dies, and one traced probe packet (exit 3: blocked)
  scenario list [--json]  the built-in exercises
  scenario start ID|FILE [--lab NAME]
                          realize an exercise's starting lab (and its setup steps)
  scenario check NAME [--json]
                          run the exercise's checks against the live lab (exit 3: some fail)
  scenario solve NAME     run the reference solution (instructors, tests)
  scenario validate ID|FILE [--lab NAME] [--json]
                          prove it sound: the fresh lab fails a check, the solution passes all,
                          a reset lab fails again (exit 2 invalid, 3 unsound)
  serve [--port N] [--host H] [--tls-cert FILE --tls-key FILE] [--no-local-agent] [--agent-port N]
                          start the server (REST API and web app; default 127.0.0.1:7070) and
                          print its address with the instructor token; labs keep running when it stops;
                          HTTPS with a PEM certificate and key; --no-local-agent: a coordinator only,
                          every lab on an agent; --agent-port: where agents beat with mTLS (default 7075)
  agent --coordinator URL --name NAME [--drain] [--port N] [--host H] [--advertise URL]
                          a lab host for the coordinator at URL (URL,URL,…: replicas, the next one
                          when one does not answer; API on 127.0.0.1:7071 by default; --advertise:
                          the address coordinators reach it at); --drain: no new lab here

Options are spelled out (--json) and only those in a command's usage line are accepted; an
unknown option or an extra argument is refused before anything runs (exit 2).

exit: 0 done · 1 failed (rolled back, or reported exactly) · 2 invalid input (nothing changed)
      · 3 scenario check: some checks fail; scenario validate: not sound; why: blocked
environment: PATCHBAY_PREFIX (default pb-), PATCHBAY_DATA (default /var/lib/patchbay),
             PATCHBAY_ADMIN_TOKEN (serve; 128 bits at least; default: generated once, kept in PATCHBAY_DATA),
             PATCHBAY_ALLOWED_HOSTS (serve; host names answered besides addresses and localhost),
             PATCHBAY_LOG_LEVEL (serve; default info), PATCHBAY_LOG_FORMAT (serve; pretty or json),
             PATCHBAY_DATABASE (serve; postgres://… shared by several servers; default SQLite in PATCHBAY_DATA),
             PATCHBAY_REDIS (serve; redis://… for socket.io's adapter across servers; default none),
             PATCHBAY_AGENT_SECRET (serve, agent; 128 bits at least; what agents and coordinators share),
             PATCHBAY_AGENT_TLS_CA, PATCHBAY_AGENT_TLS_CERT, PATCHBAY_AGENT_TLS_KEY (serve, agent; PEM files:
               mTLS between coordinators and agents, instead of or with the secret)`;
