// Processes the live streams run inside a lab's namespaces (pings, captures). A process in a
// namespace keeps it alive after `ip netns del` (research: kernel-and-sandbox-facts §3), and a
// capture on `any` never notices its namespace went away, so when the engine is about to delete
// namespaces (its `removing` event, awaited), the live plugin stops the processes in them. A lab
// being reset (an exercise reset, by its student or an instructor) is marked first, so that what
// ends tells why (a terminal's closing message: the instructor reset the lab).

/** Who is resetting a lab (an exercise reset). */
export type ResetBy = 'student' | 'instructor';

export interface LabProcess {
  lab: string;
  ns: string;
  /** Asks the process to end (`why`: for the stream's own end event; `resetBy`: the lab is being reset). */
  stop(why: 'lab-changed' | 'shutdown', resetBy?: ResetBy): void;
  /** Settles once it has exited. */
  done: Promise<unknown>;
}

export class LabProcesses {
  private readonly all = new Set<LabProcess>();
  /** Labs being reset now, and by whom. */
  private readonly resetting = new Map<string, ResetBy>();

  /** Marks the lab as being reset by `by` until the returned function is called. */
  markReset(lab: string, by: ResetBy): () => void {
    this.resetting.set(lab, by);
    return () => {
      if (this.resetting.get(lab) === by) this.resetting.delete(lab);
    };
  }

  /** Registers a running process; returns the function that forgets it (call when it exits). */
  add(p: LabProcess): () => void {
    this.all.add(p);
    return () => this.all.delete(p);
  }

  count(lab?: string): number {
    let n = 0;
    for (const p of this.all) if (lab === undefined || p.lab === lab) n++;
    return n;
  }

  /** Stops the lab's processes whose namespace `keep` rejects (all of them without `keep`) and waits for them. */
  async release(lab: string, keep: (ns: string) => boolean = () => false): Promise<void> {
    const going = [...this.all].filter((p) => p.lab === lab && !keep(p.ns));
    const resetBy = this.resetting.get(lab);
    for (const p of going) p.stop('lab-changed', resetBy);
    await Promise.allSettled(going.map((p) => p.done));
  }

  /** Stops everything (server shutdown) and waits. */
  async stopAll(): Promise<void> {
    const going = [...this.all];
    for (const p of going) p.stop('shutdown');
    await Promise.allSettled(going.map((p) => p.done));
  }
}
