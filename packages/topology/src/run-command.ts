// The command a person would type for a `run:` process op (run.ts): the `process` case of
// opCommand. Apart from run.ts so that plan-types.ts can use it without an import cycle.

/** `text` as one single-quoted sh word. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Where `export --script` sends a process's output. */
export const scriptLogFile = (key: string): string => `/tmp/patchbay-${key}.log`;

/** A process op's line: `args` are [start|stop, key, command]; `pid` the recorded supervisor's. */
export function processCommand(op: { ns: string; args: readonly string[]; pid?: number }): string {
  const [verb, key, command] = op.args as [string, string, string];
  if (verb === 'start') {
    return (
      `ip netns exec ${op.ns} setsid sh -c ${shellQuote(command)} </dev/null >${scriptLogFile(key)} 2>&1 &` +
      "  # Patchbay runs it in the node's sandbox (an unprivileged user, the lab's cgroup and limits); this line runs it as root, unsandboxed"
    );
  }
  const target = op.pid !== undefined ? `the sandbox of supervisor ${op.pid}` : 'its sandbox';
  return `# stop ${shellQuote(command)} in ${op.ns}: SIGTERM to ${target}, SIGKILL to its whole pid namespace after 5 s`;
}
