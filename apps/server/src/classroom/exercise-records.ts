// Where a lab's latest check run and its hints revealed are kept: a student's in their database
// row (they survive a restart and feed the dashboard), a lab outside a session's in memory.
import type { CheckRun } from '@patchbay/protocol';
import type { Store, StudentRow } from '../store/store.js';
import type { ExerciseContext } from './scenario-source.js';

export class ExerciseRecords {
  /** Labs outside a session: their latest run and hints revealed. */
  private readonly lastRuns = new Map<string, CheckRun>();
  private readonly hints = new Map<string, number>();

  constructor(private readonly store: Store) {}

  /** The latest run of the lab, if any. */
  async latest(ctx: ExerciseContext): Promise<CheckRun | undefined> {
    return ctx.student
      ? ((await this.store.students.get(ctx.student.id))?.lastRun ?? undefined)
      : this.lastRuns.get(ctx.lab);
  }

  async hintsShown(ctx: ExerciseContext): Promise<number> {
    return ctx.student
      ? ((await this.store.students.get(ctx.student.id))?.hintsShown ?? 0)
      : (this.hints.get(ctx.lab) ?? 0);
  }

  async setHintsShown(ctx: ExerciseContext, shown: number): Promise<void> {
    if (ctx.student) await this.store.students.setHintsShown(ctx.student.id, shown);
    else this.hints.set(ctx.lab, shown);
  }

  /** Keeps a run as the lab's latest; answers the student's row as it is now (undefined outside a session). */
  async record(ctx: ExerciseContext, run: CheckRun): Promise<StudentRow | undefined> {
    if (ctx.student) return this.store.students.recordRun(ctx.student.id, run);
    this.lastRuns.set(ctx.lab, run);
    return undefined;
  }

  /** The lab is gone for good: what memory held of it goes too. */
  forget(lab: string): void {
    this.lastRuns.delete(lab);
    this.hints.delete(lab);
  }
}
