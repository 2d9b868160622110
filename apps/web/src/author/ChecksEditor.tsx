// The checks of the exercise: the picker (one button per check type, with what that type proves)
// and the list of checks, each a CheckCard. A new check's first node field becomes the one a canvas
// click fills, so "add a ping, click web" is all it takes to start one.
import { CHECK_TYPES } from '@patchbay/scenarios';
import { useStore } from 'zustand';
import { CheckCard } from './CheckCard';
import { CHECK_TYPE_HELP, CANVAS_KINDS, fieldsOf } from './check-fields';
import { FieldProblems, useAuthor } from './fields';
import { networkOf } from './lab-facts';
import { addCheck } from './scenario-draft';

export function ChecksEditor() {
  const { store, facts } = useAuthor();
  const checks = useStore(store, (s) => s.draft.checks);
  const add = (type: (typeof CHECK_TYPES)[number]) => {
    const { draft, index } = addCheck(store.getState().draft, type);
    store.getState().edit(() => draft);
    const first = fieldsOf(type).find((f) => CANVAS_KINDS.has(f.kind) && f.kind !== 'ipv4');
    store.getState().setPick(first ? { list: 'checks', index, path: first.path, kind: first.kind } : undefined);
    // The new card is at the end of a long list: bring it into view once it is drawn.
    requestAnimationFrame(() =>
      document.querySelector(`[data-testid="check-${index}"]`)?.scrollIntoView({ block: 'nearest' }),
    );
  };
  return (
    <section className="pb-au-section" aria-labelledby="pb-au-checks">
      <h2 id="pb-au-checks">Checks</h2>
      <p className="pb-hint">
        Run against each student&apos;s live kernel. Node and address fields are filled on the canvas: press “pick” (or
        focus the field), then click a node.
      </p>
      <FieldProblems path="checks" />
      <ol className="pb-au-cards">
        {checks.map((c, i) => (
          <CheckCard key={i} check={c} index={i} count={checks.length} />
        ))}
      </ol>
      <div className="pb-au-picker" role="group" aria-label="Add a check" data-testid="check-picker">
        <span className="pb-muted">Add a check:</span>
        {CHECK_TYPES.map((t) => (
          <button
            key={t}
            type="button"
            title={CHECK_TYPE_HELP[t]}
            onClick={() => add(t)}
            data-testid={`add-check-${t}`}
          >
            + {t}
          </button>
        ))}
      </div>
      {/* Suggestions for every address and route field of the checks. */}
      <datalist id="pb-au-addresses">
        {facts.addresses.map((a) => (
          <option key={`${a.node}/${a.interface}/${a.cidr}`} value={a.ip}>
            {a.node} {a.interface}
          </option>
        ))}
      </datalist>
      <datalist id="pb-au-routes">
        <option value="default" />
        {[...new Set(facts.addresses.map((a) => networkOf(a.cidr)))].map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
    </section>
  );
}
