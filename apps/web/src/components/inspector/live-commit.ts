// A field's text reaches the document while the user types, not only when the field loses focus:
// otherwise the first click on Apply only commits the field (the button moves or enables under the
// pointer, a second click is needed) and the problems shown meanwhile are those of the old text.
// Keystrokes are gathered for a short while, so one word is one validation, not one per letter.

/** How long typing may pause before the text is committed: short enough to feel immediate. */
export const LIVE_COMMIT_MS = 120;

export interface LiveCommit {
  /** The text changed: commit it once typing pauses for `delay` ms. */
  input(text: string): void;
  /** Commits a pending text now (the field loses focus, Enter); false if none was pending. */
  flush(): boolean;
  /** Forgets a pending text (Escape, the field goes away). */
  cancel(): void;
}

export function liveCommit(commit: (text: string) => void, delay = LIVE_COMMIT_MS): LiveCommit {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: { text: string } | undefined;
  const run = () => {
    const p = pending;
    timer = undefined;
    pending = undefined;
    if (p) commit(p.text);
    return p !== undefined;
  };
  return {
    input(text) {
      pending = { text };
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(run, delay);
    },
    flush() {
      if (timer !== undefined) clearTimeout(timer);
      return run();
    },
    cancel() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending = undefined;
    },
  };
}

let sessions = 0;
/** A name for one focus of one field: the edits typed during it make one undo step. */
export function typingSession(path: string): string {
  sessions += 1;
  return `${path}#${sessions}`;
}
