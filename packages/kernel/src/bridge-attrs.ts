// The bridge attributes iproute2 6.1 neither sets nor shows: the cap on learned FDB entries
// (IFLA_BR_FDB_MAX_LEARNED, Linux 6.8+) and the count learned so far (IFLA_BR_FDB_N_LEARNED).
// helpers/bridgeattr.py speaks rtnetlink for them (shared research, kernel-and-sandbox-facts,
// "Resource control"). Reads go to ONE long-lived helper per process (`bridgeattr.py serve`): a
// Python start costs ~100 ms here, and the live tables read a bridge's namespace up to 50 times a
// second during FDB churn. Setting the cap is a plan operation (tool `netlink`, execute.ts), run by
// `bridgeattr.py batch` inside the bridge's namespace.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertNamespaceName } from './process.js';

export const BRIDGEATTR_SCRIPT = fileURLToPath(new URL('../helpers/bridgeattr.py', import.meta.url));

export interface BridgeFdbAttrs {
  /** The cap on learned entries (0: none); undefined when the kernel lacks the attribute (< 6.8). */
  fdbMaxLearned?: number;
  /** Entries learned now; undefined when the kernel lacks the attribute. */
  fdbLearned?: number;
}

interface Pending {
  ns: string;
  resolve: (v: Record<string, BridgeFdbAttrs> | undefined) => void;
  reject: (e: Error) => void;
}

type Refable = { ref?: () => void; unref?: () => void } | null;

/** One `bridgeattr.py serve`: answers come in request order, so pending reads are a FIFO. */
class BridgeAttrReader {
  private child: ChildProcess | undefined;
  private pending: Pending[] = [];
  private buffer = '';

  read(ns: string): Promise<Record<string, BridgeFdbAttrs> | undefined> {
    assertNamespaceName(ns);
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.pending.push({ ns, resolve, reject });
      this.setRef(true);
      child.stdin!.write(`get ${ns}\n`);
    });
  }

  close(): void {
    const child = this.child;
    if (!child) return;
    this.detach(child, new Error('bridge attribute reader closed'));
    child.stdin?.end();
    child.kill();
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn('python3', [BRIDGEATTR_SCRIPT, 'serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.buffer = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => void (stderr = (stderr + chunk).slice(-2000)));
    child.stdin.on('error', () => {}); // reported through 'exit'
    child.once('error', (e) => this.detach(child, e));
    child.once('exit', (code, signal) =>
      this.detach(child, new Error(`bridgeattr.py exited (${signal ?? code})${stderr ? `: ${stderr.trim()}` : ''}`)),
    );
    this.setRef(false);
    return child;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const p = this.pending.shift();
      if (!p) continue;
      try {
        const answer = JSON.parse(line) as {
          ns?: string;
          missing?: boolean;
          error?: string;
          bridges?: Record<string, { fdbMaxLearned: number | null; fdbLearned: number | null }>;
        };
        if (answer.ns !== p.ns) throw new Error(`bridgeattr.py answered ${JSON.stringify(line)} for ${p.ns}`);
        if (answer.missing) p.resolve(undefined);
        else if (answer.error !== undefined) p.reject(new Error(`bridge attributes of ${p.ns}: ${answer.error}`));
        else {
          const out: Record<string, BridgeFdbAttrs> = {};
          for (const [name, b] of Object.entries(answer.bridges ?? {})) {
            const attrs: BridgeFdbAttrs = {};
            if (typeof b.fdbMaxLearned === 'number') attrs.fdbMaxLearned = b.fdbMaxLearned;
            if (typeof b.fdbLearned === 'number') attrs.fdbLearned = b.fdbLearned;
            out[name] = attrs;
          }
          p.resolve(out);
        }
      } catch (e) {
        p.reject(e as Error);
      }
    }
    if (this.pending.length === 0) this.setRef(false);
  }

  private detach(child: ChildProcess, why: Error): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.setRefOf(child, false);
    for (const p of this.pending.splice(0)) p.reject(why);
  }

  /** Referenced (keeps Node alive) exactly while reads are pending. */
  private setRef(want: boolean): void {
    if (this.child) this.setRefOf(this.child, want);
  }

  private setRefOf(child: ChildProcess, want: boolean): void {
    for (const s of [child.stdin, child.stdout, child.stderr] as Refable[]) {
      if (want) s?.ref?.();
      else s?.unref?.();
    }
    if (want) child.ref();
    else child.unref();
  }
}

let shared: BridgeAttrReader | undefined;

/**
 * The FDB attributes of every bridge in namespace `ns` (bridge name → attributes), or undefined
 * when the namespace does not exist.
 */
export function readBridgeFdbAttrs(ns: string): Promise<Record<string, BridgeFdbAttrs> | undefined> {
  shared ??= new BridgeAttrReader();
  return shared.read(ns);
}

/** Stops the process-wide reader, if any (tests, shutdown). The next read starts a new one. */
export function closeBridgeAttrReader(): void {
  shared?.close();
  shared = undefined;
}
