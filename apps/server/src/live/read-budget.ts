// A student's captures share one read budget: packets per second the server reads from their
// tcpdumps. Reading a capture costs the server's one thread per packet (cutting the pcap stream into
// records, keeping them, decoding lines, relaying them) and the student's cgroup pays for none of it;
// without a bound one student's 1,000-packet/s capture loop slowed every other student's terminal
// (`pnpm bench:hostile`). Over budget, the capture's pipe is not read for a while: tcpdump blocks and
// the kernel drops what its buffer cannot hold, counted in the capture's `kernelDropped` at its end.

/** Packets per second, with one second's worth saved up at most; `spend` may go into debt. */
export class ReadBudget {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  /** Spends `packets`; returns how long (ms) to stop reading to pay the debt, 0 when there is none. */
  spend(packets: number): number {
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    this.tokens -= packets;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
}
