// The change watch's guard against runs triggering themselves: a change during a lab's own run is
// held and triggers exactly one run after it; the run that follows a held change cannot trigger another.
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { LabChangeWatch } from './watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function watch(overtake?: (lab: string) => boolean) {
  const changes: string[] = [];
  const w = new LabChangeWatch({
    ...(overtake ? { overtake } : {}),
    // No kernel here: a lab subscription that holds nothing (changes are reported by hand below).
    watches: { watchLab: async () => ({ close: async () => undefined }) },
    log: { warn: () => undefined } as unknown as FastifyBaseLogger,
    onChange: (lab) => changes.push(lab),
    debounceMs: 10,
  });
  // The watcher helper reports namespace changes through this (private) method.
  const kernelChange = (lab: string) => (w as unknown as { changed(lab: string): void }).changed(lab);
  return { w, changes, kernelChange };
}

describe('LabChangeWatch', () => {
  it('debounces a burst of changes into one', async () => {
    const { w, changes, kernelChange } = watch();
    await w.set('a', true);
    kernelChange('a');
    kernelChange('a');
    kernelChange('a');
    await sleep(40);
    expect(changes).toEqual(['a']);
    await w.close();
  });

  it('holds a change seen during the lab’s own run and runs once after it; never loops', async () => {
    const { w, changes, kernelChange } = watch();
    await w.set('a', true);
    const end = w.runStarted('a');
    kernelChange('a');
    await sleep(40);
    expect(changes).toEqual([]); // held while the run is in flight
    end();
    await sleep(40);
    expect(changes).toEqual(['a']); // one follow-up run
    const endFollowUp = w.runStarted('a');
    kernelChange('a'); // e.g. a command check of that run touched the lab
    endFollowUp();
    await sleep(40);
    expect(changes).toEqual(['a']); // no run after the follow-up's own change
    kernelChange('a'); // a student's change later is seen again
    await sleep(40);
    expect(changes).toEqual(['a', 'a']);
    await w.close();
  });

  it('forgets unwatched labs', async () => {
    const { w, changes, kernelChange } = watch();
    await w.set('a', true);
    await w.set('a', false);
    kernelChange('a');
    await sleep(40);
    expect(changes).toEqual([]);
    await w.close();
  });

  it('lets a change during the run overtake it (not held); an abandoned run hands over its follow-up state', async () => {
    let allowed = 1;
    const overtaken: string[] = [];
    const { w, changes, kernelChange } = watch((lab) => (allowed-- > 0 ? (overtaken.push(lab), true) : false));
    await w.set('a', true);
    const end = w.runStarted('a');
    kernelChange('a');
    expect(overtaken).toEqual(['a']); // at once, not after the debounce
    end(true); // the run was abandoned: no follow-up run of its own
    await sleep(40);
    expect(changes).toEqual([]);
    const endFresh = w.runStarted('a');
    kernelChange('a'); // no more overtaking allowed: held
    endFresh();
    await sleep(40);
    expect(changes).toEqual(['a']); // the held change's one run
    const endFollowUp = w.runStarted('a');
    kernelChange('a');
    endFollowUp(true); // overtaken: the follow-up mark and the held change carry over to the fresh run
    const endAgain = w.runStarted('a');
    endAgain();
    await sleep(40);
    expect(changes).toEqual(['a']); // still no loop
    await w.close();
  });
});
