// The kernel's own reason for dropping a packet: the `skb:kfree_skb` tracepoint's `reason`
// (NETFILTER_DROP, IP_INNOROUTES, NEIGH_FAILED, PKT_TOO_BIG, …). tracefs is not mounted on the
// machine, so a python3 helper runs in a private mount namespace of its own (`unshare -m`, nothing
// changes in the machine's mount table), mounts tracefs there and uses a tracing instance of ours
// (instances are kernel-wide: the machine's own tracing is untouched), with the event filtered to
// IPv4 drops that have a reason. It prints "ready", then one line per event, and always removes
// the instance: on SIGTERM, at its own deadline, or when the read ends. The instance is named after
// the helper's pid, so one left by a helper killed with SIGKILL is removed when the next one starts.
// Events carry no addresses; the caller keeps those of the probe's sender (its pid: a packet that
// crosses veths is processed in the softirq of the task that sent it, unless ksoftirqd takes over).
import { startLineProcess, type LineProcess } from './line-process.js';
import { run } from './process.js';

const TRACER = `
import os, re, signal, subprocess, sys
seconds = float(sys.argv[1])
# Named after this process: an instance whose process is gone is a leftover, whoever left it.
name = "patchbay_why_%d_0" % os.getpid()
root = "/sys/kernel/tracing"
def put(path, text):
    with open(path, "w") as f:
        f.write(text)
def stop(*_):
    raise SystemExit(0)
def remove(inst):
    try:
        put(os.path.join(inst, "events/skb/kfree_skb/enable"), "0")
    finally:
        os.rmdir(inst)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGALRM, stop)
signal.setitimer(signal.ITIMER_REAL, seconds)
if subprocess.run(["mount", "-t", "tracefs", "nodev", root]).returncode != 0:
    print("error: cannot mount tracefs", flush=True)
    sys.exit(1)
instances = os.path.join(root, "instances")
for old in os.listdir(instances):
    m = re.match(r"patchbay_why_([0-9]+)_[0-9]+$", old)
    if m and not os.path.exists("/proc/" + m.group(1)):
        try:
            remove(os.path.join(instances, old))
        except OSError:
            pass
inst = os.path.join(instances, name)
os.mkdir(inst)
try:
    event = os.path.join(inst, "events/skb/kfree_skb")
    put(os.path.join(event, "filter"), "protocol == 2048 && reason > 2")
    put(os.path.join(event, "enable"), "1")
    print("ready", flush=True)
    with open(os.path.join(inst, "trace_pipe")) as pipe:
        for line in pipe:
            print(line.rstrip("\\n"), flush=True)
finally:
    remove(inst)
`;

/** Starts the tracer; it ends by itself after `seconds` (0.5..10), and removes its instance. */
export function startDropReasonTracer(seconds: number): LineProcess {
  if (!(seconds >= 0.5 && seconds <= 10)) throw new Error('seconds must be in 0.5..10');
  return startLineProcess(
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'python3', '-c', TRACER, String(seconds)],
    { hardTimeoutMs: seconds * 1000 + 3000 },
  );
}

export interface DropEvent {
  pid: number;
  comm: string;
  /** Where in the kernel: `function+offset/size`. */
  location: string;
  reason: string;
}

/** The tracing instances of ours that exist (a leftover check); tracefs mounted privately to look. */
export async function listDropReasonInstances(): Promise<string[]> {
  const r = await run('unshare', ['--mount', '--propagation', 'private', '--', 'python3', '-c', LIST_INSTANCES]);
  if (r.code !== 0) throw new Error(`cannot list tracing instances: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('patchbay_why_'));
}

const LIST_INSTANCES = `
import os, subprocess, sys
root = "/sys/kernel/tracing"
if subprocess.run(["mount", "-t", "tracefs", "nodev", root]).returncode != 0:
    sys.exit(1)
print("\\n".join(sorted(os.listdir(os.path.join(root, "instances")))))
`;

/** One line of the tracer's output (trace_pipe's format), or undefined for anything else. */
export function parseDropEvent(line: string): DropEvent | undefined {
  const m = /^\s*(.+)-(\d+)\s+\[\d+\]\s+\S+\s+[\d.]+: kfree_skb: .*location=(\S+) reason: (\S+)/.exec(line);
  return m ? { comm: m[1]!.trim(), pid: Number(m[2]), location: m[3]!, reason: m[4]! } : undefined;
}
