// A TCP reachability probe between two lab namespaces, for exercise checks: a one-shot listener in
// one namespace (python3, which the project's helpers already need), a connect with a deadline from
// another. Argument arrays only; the listener dies after one connection or its deadline.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isIPv4 } from './ping.js';
import { CHILD_ENV, namespacePath, run } from './process.js';

// Binds 0.0.0.0:PORT; says `ready`, or `busy …` when something else already listens there (the
// connect then tests that listener instead); accepts one connection or gives up at the deadline.
const LISTENER = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("0.0.0.0", int(sys.argv[1])))
    s.listen(16)
except OSError as e:
    print("busy", e.strerror, flush=True)
    sys.exit(0)
print("ready", flush=True)
s.settimeout(float(sys.argv[2]))
try:
    c, _ = s.accept()
    c.close()
except Exception:
    pass
`;

const CONNECTOR = `
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    print("connected")
except socket.timeout:
    print("timed out"); sys.exit(1)
except OSError as e:
    print(e.strerror or str(e)); sys.exit(1)
`;

export interface TcpProbeOptions {
  /** Namespace that connects. */
  fromNs: string;
  to: string;
  port: number;
  /** Namespace of the listener; none: only the connect is tried. */
  listenNs?: string;
  /** Port the listener binds (default `port`: differs when the port is forwarded). */
  listenPort?: number;
  /** Connect deadline (default 2000 ms). */
  timeoutMs?: number;
}

export interface TcpProbeResult {
  connected: boolean;
  /** Why not: "Connection refused", "timed out", "No route to host"… */
  error?: string;
  /** What the listener said: ready, or why it could not listen. */
  listener?: string;
}

const validPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;

export async function tcpProbe(o: TcpProbeOptions): Promise<TcpProbeResult> {
  if (!isIPv4(o.to)) throw new Error(`not an IPv4 address: ${JSON.stringify(o.to)}`);
  const listenPort = o.listenPort ?? o.port;
  if (!validPort(o.port) || !validPort(listenPort)) throw new Error('ports must be integers in 1..65535');
  const timeoutS = (o.timeoutMs ?? 2000) / 1000;
  let listener: ReturnType<typeof spawn> | undefined;
  let listenerSaid: string | undefined;
  try {
    if (o.listenNs) {
      const child = spawn(
        'nsenter',
        [
          `--net=${namespacePath(o.listenNs)}`,
          '--',
          'python3',
          '-c',
          LISTENER,
          String(listenPort),
          String(timeoutS + 2),
        ],
        {
          env: { ...CHILD_ENV },
          stdio: ['ignore', 'pipe', 'ignore'],
          shell: false,
        },
      );
      listener = child;
      listenerSaid = await new Promise<string>((resolve) => {
        const lines = createInterface({ input: child.stdout });
        const timer = setTimeout(() => resolve('did not start'), 5000);
        lines.once('line', (l) => {
          clearTimeout(timer);
          resolve(l.trim());
        });
        child.once('error', (e) => resolve(`could not start: ${e.message}`));
        child.once('exit', () => resolve('exited'));
      });
    }
    const r = await run(
      'nsenter',
      [`--net=${namespacePath(o.fromNs)}`, '--', 'python3', '-c', CONNECTOR, o.to, String(o.port), String(timeoutS)],
      {
        timeoutMs: (timeoutS + 5) * 1000,
      },
    );
    const said = r.stdout.trim();
    const result: TcpProbeResult =
      r.code === 0 ? { connected: true } : { connected: false, error: said || r.stderr.trim() || `exit ${r.code}` };
    if (listenerSaid !== undefined) result.listener = listenerSaid;
    return result;
  } finally {
    if (listener && listener.exitCode === null) listener.kill('SIGKILL');
  }
}
