// The pcap kept for a capture's download: the file header and the most recent whole-record blocks,
// at most `maxBytes` of them (the oldest blocks are dropped first), so a long capture holds a
// bounded amount of memory and is still a valid pcap file at any moment.
import type { PcapBlock } from '@patchbay/kernel';

export class PcapRing {
  header: Buffer | undefined;
  private blocks: PcapBlock[] = [];
  private head = 0;
  bytes = 0;
  packets = 0;

  constructor(readonly maxBytes: number) {}

  push(block: PcapBlock): void {
    this.blocks.push(block);
    this.bytes += block.data.length;
    this.packets += block.records;
    while (this.bytes > this.maxBytes && this.blocks.length - this.head > 1) {
      const old = this.blocks[this.head]!;
      this.blocks[this.head++] = undefined as never;
      this.bytes -= old.data.length;
      this.packets -= old.records;
    }
    if (this.head > 1024 && this.head * 2 > this.blocks.length) {
      this.blocks = this.blocks.slice(this.head);
      this.head = 0;
    }
  }

  /** How much `bytes` would grow if a block of `n` bytes were pushed (the oldest blocks dropped to fit). */
  growthOf(n: number): number {
    let bytes = this.bytes + n;
    let kept = this.blocks.length - this.head + 1;
    for (let i = this.head; bytes > this.maxBytes && kept > 1; i++, kept--) bytes -= this.blocks[i]!.data.length;
    return bytes - this.bytes;
  }

  /** Memory the pcap holds: its header and blocks. */
  get held(): number {
    return (this.header?.length ?? 0) + this.bytes;
  }

  /** A complete pcap file (empty when tcpdump never wrote its header). */
  file(): Buffer {
    if (!this.header) return Buffer.alloc(0);
    return Buffer.concat([this.header, ...this.blocks.slice(this.head).map((b) => b.data)]);
  }

  clear(): void {
    this.blocks = [];
    this.head = 0;
    this.bytes = 0;
    this.packets = 0;
  }
}
