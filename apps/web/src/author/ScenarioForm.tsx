// The exercise's text and commands: id, title, level, summary, tags, the instructions (Markdown,
// with a preview rendered as students will see it), hints, setup steps and the reference solution.
import { useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { Markdown } from '../classroom/Markdown';
import { FieldProblems, NodePicker, Row, useAuthor } from './fields';
import {
  addStep,
  LEVELS,
  moveItem,
  parseTags,
  removeAt,
  setStep,
  type DraftStep,
  type StepList,
} from './scenario-draft';

// Stable empty lists: a selector returning a fresh [] each time would re-render forever.
const NO_HINTS: string[] = [];
const NO_STEPS: DraftStep[] = [];

export function MetaSection() {
  const { store } = useAuthor();
  const d = useStore(
    store,
    useShallow((s) => ({
      id: s.draft.id,
      title: s.draft.title,
      level: s.draft.level,
      summary: s.draft.summary,
      tags: s.draft.tags,
    })),
  );
  const set = <K extends 'id' | 'title' | 'summary'>(key: K, value: string) =>
    store.getState().edit((x) => ({ ...x, [key]: value }), key);
  return (
    <section className="pb-au-section" aria-labelledby="pb-au-meta">
      <h2 id="pb-au-meta">Exercise</h2>
      <Row label="Id" path="id" required help="[a-z][a-z0-9-], the file is saved as <id>.yaml">
        {(id) => (
          <input
            id={id}
            className="mono"
            value={d.id}
            onChange={(e) => set('id', e.target.value)}
            data-testid="field-id"
          />
        )}
      </Row>
      <Row label="Title" path="title" required>
        {(id) => (
          <input
            id={id}
            value={d.title}
            placeholder="Network is unreachable"
            onChange={(e) => set('title', e.target.value)}
            data-testid="field-title"
          />
        )}
      </Row>
      <Row label="Level" path="level" required>
        {(id) => (
          <select
            id={id}
            value={d.level}
            onChange={(e) =>
              store.getState().edit((x) => ({ ...x, level: LEVELS.find((l) => l === e.target.value) ?? x.level }))
            }
            data-testid="field-level"
          >
            {LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        )}
      </Row>
      <Row label="Summary" path="summary" help="One sentence: what is wrong or what is to be built">
        {(id) => (
          <input
            id={id}
            value={d.summary}
            onChange={(e) => set('summary', e.target.value)}
            data-testid="field-summary"
          />
        )}
      </Row>
      <Row label="Tags" path="tags" help="Concepts practised, comma-separated">
        {(id) => <TagsInput id={id} tags={d.tags ?? []} />}
      </Row>
    </section>
  );
}

/** Tags typed comma-separated; the text is kept while typing so "veth, " does not lose its comma. */
function TagsInput({ id, tags }: { id: string; tags: string[] }) {
  const { store } = useAuthor();
  const [text, setText] = useState<string>();
  return (
    <input
      id={id}
      value={text ?? tags.join(', ')}
      placeholder="veth, bridge, mtu"
      onChange={(e) => {
        setText(e.target.value);
        const next = parseTags(e.target.value);
        store.getState().edit((x) => {
          const { tags: _old, ...rest } = x;
          void _old;
          return next.length ? { ...rest, tags: next } : rest;
        }, 'tags');
      }}
      onBlur={() => setText(undefined)}
      data-testid="field-tags"
    />
  );
}

export function InstructionsSection() {
  const { store } = useAuthor();
  const text = useStore(store, (s) => s.draft.instructions);
  const [preview, setPreview] = useState(false);
  return (
    <section className="pb-au-section" aria-labelledby="pb-au-instr">
      <h2 id="pb-au-instr">
        Instructions{' '}
        <span className="pb-tabs pb-au-mini-tabs" role="tablist">
          <button
            type="button"
            role="tab"
            aria-selected={!preview}
            onClick={() => setPreview(false)}
            data-testid="instructions-write"
          >
            Write
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={preview}
            onClick={() => setPreview(true)}
            data-testid="instructions-preview"
          >
            Preview
          </button>
        </span>
      </h2>
      {preview ? (
        <div className="pb-au-preview" data-testid="instructions-rendered">
          {text.trim() ? <Markdown text={text} /> : <p className="pb-muted">Nothing written yet.</p>}
        </div>
      ) : (
        <textarea
          className="pb-au-instructions"
          rows={8}
          value={text}
          placeholder={
            'Markdown, shown beside the topology.\n\n`web` cannot reach `db`. Find out why and fix it from a terminal.'
          }
          onChange={(e) => store.getState().edit((x) => ({ ...x, instructions: e.target.value }), 'instructions')}
          aria-label="Instructions (Markdown)"
          data-testid="field-instructions"
        />
      )}
      <FieldProblems path="instructions" />
    </section>
  );
}

export function HintsSection() {
  const { store } = useAuthor();
  const hints = useStore(store, (s) => s.draft.hints ?? NO_HINTS);
  const setHints = (next: string[], coalesce?: string) =>
    store.getState().edit((x) => ({ ...x, hints: next }), coalesce);
  return (
    <section className="pb-au-section" aria-labelledby="pb-au-hints">
      <h2 id="pb-au-hints">Hints</h2>
      <p className="pb-hint">Revealed one at a time, in this order.</p>
      <ol className="pb-au-list">
        {hints.map((h, i) => (
          <li key={i}>
            <textarea
              rows={2}
              value={h}
              onChange={(e) =>
                setHints(
                  hints.map((x, j) => (j === i ? e.target.value : x)),
                  `hints[${i}]`,
                )
              }
              aria-label={`Hint ${i + 1}`}
              data-testid={`field-hints[${i}]`}
            />
            <ListButtons
              index={i}
              count={hints.length}
              onMove={(to) => setHints(moveItem(hints, i, to))}
              onRemove={() => setHints(removeAt(hints, i))}
              what="hint"
            />
            <FieldProblems path={`hints[${i}]`} />
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => setHints([...hints, ''])} data-testid="add-hint">
        + hint
      </button>
    </section>
  );
}

const STEP_HELP: Record<StepList, string> = {
  setup: 'Commands run after the lab is realized, at start and at every reset: breakage a lab file cannot express.',
  solution: "What a student would type, node by node; a bridge's commands run in its host. validate runs them.",
};

export function StepsSection({ list }: { list: StepList }) {
  const { store, facts } = useAuthor();
  const steps = useStore(store, (s) => s.draft[list] ?? NO_STEPS);
  const setSteps = (next: DraftStep[]) => store.getState().edit((x) => ({ ...x, [list]: next }));
  return (
    <section className="pb-au-section" aria-labelledby={`pb-au-${list}`}>
      <h2 id={`pb-au-${list}`}>{list === 'setup' ? 'Setup' : 'Solution'}</h2>
      <p className="pb-hint">{STEP_HELP[list]}</p>
      <FieldProblems path={list} />
      <ol className="pb-au-list">
        {steps.map((s, i) => (
          <li key={i} className="pb-au-step" data-testid={`${list}-${i}`}>
            <Row label="Node" path={`${list}[${i}].node`} required>
              {(id) => (
                <NodePicker
                  id={id}
                  value={s.node}
                  options={facts.nodes}
                  target={{ list, index: i, path: 'node', kind: 'node' }}
                  onChange={(v) => store.getState().edit((x) => setStep(x, list, i, 'node', v))}
                />
              )}
            </Row>
            <Row label="Run" path={`${list}[${i}].run`} required>
              {(id) => (
                <input
                  id={id}
                  className="mono"
                  value={s.run}
                  placeholder="ip link set eth0 up"
                  onChange={(e) =>
                    store.getState().edit((x) => setStep(x, list, i, 'run', e.target.value), `${list}[${i}].run`)
                  }
                  data-testid={`field-${list}[${i}].run`}
                />
              )}
            </Row>
            <ListButtons
              index={i}
              count={steps.length}
              onMove={(to) => setSteps(moveItem(steps, i, to))}
              onRemove={() => setSteps(removeAt(steps, i))}
              what="step"
            />
          </li>
        ))}
      </ol>
      <button
        type="button"
        onClick={() => {
          const last = steps[steps.length - 1];
          store.getState().edit((x) => addStep(x, list, last?.node ?? ''));
        }}
        data-testid={`add-${list}`}
      >
        + step
      </button>
    </section>
  );
}

function ListButtons({
  index,
  count,
  onMove,
  onRemove,
  what,
}: {
  index: number;
  count: number;
  onMove: (to: number) => void;
  onRemove: () => void;
  what: string;
}) {
  return (
    <span className="pb-au-listbtns">
      <button type="button" onClick={() => onMove(index - 1)} disabled={index === 0} aria-label={`Move ${what} up`}>
        ↑
      </button>
      <button
        type="button"
        onClick={() => onMove(index + 1)}
        disabled={index === count - 1}
        aria-label={`Move ${what} down`}
      >
        ↓
      </button>
      <button type="button" className="danger" onClick={onRemove} aria-label={`Remove ${what}`}>
        ×
      </button>
    </span>
  );
}
