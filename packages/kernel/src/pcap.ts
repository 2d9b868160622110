// The pcap stream `tcpdump -U -w -` writes: a 24-byte file header, then records (16-byte header +
// captured bytes). The splitter cuts arbitrary pipe chunks at record boundaries, so every block it
// returns is whole records — blocks can be kept in a ring, dropped from its head, and concatenated
// after the file header into a valid pcap file at any time.

export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
/** tcpdump's largest snapshot length; a record claiming more means the stream is not pcap. */
export const PCAP_MAX_RECORD_BYTES = 262_144;

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;

export interface PcapFileHeader {
  /** The 24 bytes, as written (prepend them to records to make a file). */
  bytes: Buffer;
  littleEndian: boolean;
  nanoseconds: boolean;
  snaplen: number;
  /** LINKTYPE_*: 1 Ethernet, 276 Linux cooked v2 (`-i any`). */
  linktype: number;
}

/** Whole records, back to back. */
export interface PcapBlock {
  data: Buffer;
  records: number;
}

export class PcapError extends Error {
  override name = 'PcapError';
}

export function parsePcapFileHeader(bytes: Buffer): PcapFileHeader {
  if (bytes.length < PCAP_FILE_HEADER_BYTES) throw new PcapError('pcap: short file header');
  const le = bytes.readUInt32LE(0);
  const be = bytes.readUInt32BE(0);
  const littleEndian = le === MAGIC_MICRO || le === MAGIC_NANO;
  if (!littleEndian && be !== MAGIC_MICRO && be !== MAGIC_NANO)
    throw new PcapError(`pcap: bad magic 0x${be.toString(16)}`);
  const magic = littleEndian ? le : be;
  const u32 = (off: number) => (littleEndian ? bytes.readUInt32LE(off) : bytes.readUInt32BE(off));
  return {
    bytes: Buffer.from(bytes.subarray(0, PCAP_FILE_HEADER_BYTES)),
    littleEndian,
    nanoseconds: magic === MAGIC_NANO,
    snaplen: u32(16),
    linktype: u32(20) & 0x0fffffff,
  };
}

/** Incremental splitter: feed pipe chunks, get the file header once and then blocks of whole records. */
export class PcapSplitter {
  private rest: Buffer | undefined;
  header: PcapFileHeader | undefined;

  /** Bytes held back waiting for the rest of a record (at most one record). */
  get pendingBytes(): number {
    return this.rest?.length ?? 0;
  }

  /** The whole records completed by `chunk` (undefined when none); throws PcapError on a corrupt stream. */
  push(chunk: Buffer): PcapBlock | undefined {
    let buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    if (!this.header) {
      if (buf.length < PCAP_FILE_HEADER_BYTES) {
        this.rest = buf;
        return undefined;
      }
      this.header = parsePcapFileHeader(buf);
      buf = buf.subarray(PCAP_FILE_HEADER_BYTES);
    }
    const le = this.header.littleEndian;
    let off = 0;
    let records = 0;
    while (buf.length - off >= PCAP_RECORD_HEADER_BYTES) {
      const incl = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
      if (incl > PCAP_MAX_RECORD_BYTES) throw new PcapError(`pcap: record of ${incl} bytes (corrupt stream)`);
      const end = off + PCAP_RECORD_HEADER_BYTES + incl;
      if (end > buf.length) break;
      off = end;
      records++;
    }
    if (off < buf.length) this.rest = Buffer.from(buf.subarray(off));
    // A copy, so a kept block does not pin the rest of the pipe's chunk.
    return records
      ? { data: off === buf.length && buf === chunk ? chunk : Buffer.from(buf.subarray(0, off)), records }
      : undefined;
  }
}

/** One line of `tcpdump -tt` text: the packet's time (epoch milliseconds) and the rest of the line. */
export interface TcpdumpLine {
  /** Epoch milliseconds (fractional: microseconds kept); undefined for lines without a timestamp. */
  ts?: number;
  text: string;
}

const TT_LINE = /^(\d{1,12})\.(\d{6,9}) (.*)$/s;

export function parseTcpdumpLine(line: string): TcpdumpLine {
  const m = TT_LINE.exec(line);
  if (!m) return { text: line };
  const frac = m[2]!;
  return { ts: Number(m[1]) * 1000 + Number(frac) / 10 ** (frac.length - 3), text: m[3]! };
}

/**
 * tcpdump's closing statistics on stderr (`N packets captured`, `N packets dropped by kernel`), or
 * undefined when the line is not one of them.
 */
export function parseTcpdumpStats(
  line: string,
): { key: 'captured' | 'received' | 'kernelDropped'; value: number } | undefined {
  const m = /^(\d+) packets? (captured|received by filter|dropped by kernel)$/.exec(line.trim());
  if (!m) return undefined;
  const key = m[2] === 'captured' ? 'captured' : m[2] === 'received by filter' ? 'received' : 'kernelDropped';
  return { key, value: Number(m[1]) };
}
