// The inspector when nothing is selected: the lab's name, description and VXLAN overlays, and the
// list of the lab's problems and warnings (each one selects and focuses what it is about).
import type { Lab, OverlaySpec, Problem } from '@patchbay/topology';
import {
  append,
  editOverlay,
  memberCandidates,
  memberFromRef,
  memberRef,
  newMember,
  newOverlay,
  problemSelection,
  removeAt,
  removeOverlay,
  replaceAt,
  setOptional,
  setRequired,
} from '../inspector-model';
import { focusPath, useCtx, useEdit } from './context';
import { NumberField, ProblemList, SelectField, TextField, useFieldMeta } from './fields';
import { AddressList, Row, RowList } from './lists';

export function LabInspector({ lab, problems, warnings }: { lab: Lab; problems: Problem[]; warnings: Problem[] }) {
  const { store, idp } = useCtx();
  const edit = useEdit();
  const overlays = lab.overlays ?? [];
  const onProblem = (p: Problem) => {
    const l = store.getState().lab;
    const sel = problemSelection(l, p.path);
    if (sel) store.getState().select(sel.nodes, sel.links);
    focusPath(idp, p.path);
  };
  return (
    <section className="pb-insp-section">
      <h2>Lab</h2>
      <TextField
        label="Name"
        path="name"
        live={false}
        value={lab.name}
        testid="inspector-lab-name"
        validate={(t) => (t ? undefined : 'a lab needs a name')}
        onCommit={(t) => edit((l) => setRequired(l, 'name', t))}
      />
      <TextField
        label="Description"
        path="description"
        value={lab.description}
        multiline
        mono={false}
        testid="inspector-lab-description"
        onCommit={(t) => edit((l) => setOptional(l, 'description', t))}
      />
      <RowList
        legend="Overlays (VXLAN)"
        path="overlays"
        count={overlays.length}
        addLabel="overlay"
        addTestid="inspector-overlay-add"
        onAdd={() => {
          edit((l) => setOptional(l, 'overlays', append(l.overlays, newOverlay(l))));
          focusPath(idp, `overlays[${overlays.length}].name`);
        }}
      >
        {overlays.map((o, i) => (
          <OverlayFields key={i} lab={lab} index={i} overlay={o} />
        ))}
      </RowList>
      <section className="pb-problems-section" aria-labelledby={`${idp}problems-h`}>
        <h3 id={`${idp}problems-h`}>
          Problems <span className={`badge${problems.length ? ' danger' : ' ok'}`}>{problems.length}</span>
        </h3>
        {problems.length === 0 ? (
          <p className="pb-muted" data-testid="inspector-problems">
            No problems: the lab can be applied.
          </p>
        ) : (
          <ProblemButtons list={problems} testid="inspector-problems" itemTestid="problem" onProblem={onProblem} />
        )}
      </section>
      {warnings.length > 0 && (
        <section className="pb-problems-section" aria-labelledby={`${idp}warnings-h`}>
          <h3 id={`${idp}warnings-h`}>
            Warnings <span className="badge warn">{warnings.length}</span>
          </h3>
          <p className="pb-muted">The lab applies with these, but probably does not do what was meant.</p>
          <ProblemButtons list={warnings} testid="inspector-warnings" itemTestid="warning" onProblem={onProblem} />
        </section>
      )}
    </section>
  );
}

function ProblemButtons(props: {
  list: Problem[];
  testid: string;
  itemTestid: string;
  onProblem: (p: Problem) => void;
}) {
  return (
    <ul className="pb-problem-list" data-testid={props.testid}>
      {props.list.map((p, i) => (
        <li key={i}>
          <button
            type="button"
            className={`pb-problem${p.severity === 'warning' ? ' pb-warning' : ''}`}
            data-testid={props.itemTestid}
            onClick={() => props.onProblem(p)}
            title="Show the field"
          >
            <span className="mono pb-problem-path">{p.path || '(lab)'}</span>
            <span className="pb-problem-message">{p.message}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function OverlayFields({ lab, index, overlay }: { lab: Lab; index: number; overlay: OverlaySpec }) {
  const edit = useEdit();
  const path = `overlays[${index}]`;
  const change = (f: (o: OverlaySpec) => OverlaySpec) => edit((l) => editOverlay(l, index, f));
  const { bridges, hosts } = memberCandidates(lab);
  const meta = useFieldMeta(path, true);
  const setMember = (j: number, m: OverlaySpec['members'][number]) =>
    change((o) => setRequired(o, 'members', replaceAt(o.members, j, m)));
  const next = newMember(lab, overlay);
  return (
    <fieldset className="pb-overlay" data-testid="inspector-overlay">
      <legend className="mono">{overlay.name || `overlay ${index + 1}`}</legend>
      <ProblemList id={meta.errId} list={meta.list} />
      <div className="pb-list-row">
        <TextField
          label="Name"
          path={`${path}.name`}
          value={overlay.name}
          className="pb-grow"
          validate={(t) => (t ? undefined : 'an overlay needs a name')}
          onCommit={(t) => change((o) => setRequired(o, 'name', t))}
        />
        <NumberField
          label="VNI"
          path={`${path}.vni`}
          value={overlay.vni}
          required
          className="pb-narrow"
          onCommit={(v) => v !== undefined && change((o) => setRequired(o, 'vni', v))}
        />
      </div>
      <div className="pb-list-row">
        <NumberField
          label="UDP port"
          path={`${path}.port`}
          value={overlay.port}
          placeholder="4789"
          className="pb-grow"
          onCommit={(v) => change((o) => setOptional(o, 'port', v))}
        />
        <NumberField
          label="MTU"
          path={`${path}.mtu`}
          value={overlay.mtu}
          placeholder="underlay − 50"
          className="pb-grow"
          onCommit={(v) => change((o) => setOptional(o, 'mtu', v))}
        />
      </div>
      <RowList
        legend="Members"
        path={`${path}.members`}
        count={overlay.members.length}
        addLabel="member"
        addTestid="inspector-member-add"
        addDisabled={!next}
        onAdd={() => next && change((o) => setRequired(o, 'members', append(o.members, next)))}
      >
        {overlay.members.map((m, j) => {
          const mp = `${path}.members[${j}]`;
          const ref = memberRef(m);
          const groups = [
            { group: 'Bridges (layer 2)', options: bridges.map((b) => ({ value: `bridge:${b}`, label: b })) },
            { group: 'Hosts (layer 3)', options: hosts.map((h) => ({ value: `host:${h}`, label: h })) },
          ];
          if (!groups.some((g) => g.options.some((x) => x.value === ref)))
            groups.push({
              group: 'Missing',
              options: [{ value: ref, label: `${ref.slice(ref.indexOf(':') + 1)} (not in the lab)` }],
            });
          return (
            <Row
              key={j}
              path={mp}
              removeLabel={`Remove member ${j + 1}`}
              onRemove={() => change((o) => setRequired(o, 'members', removeAt(o.members, j)))}
            >
              <div className="pb-member">
                <div className="pb-list-row">
                  <SelectField
                    label={`Member ${j + 1}`}
                    hideLabel
                    path={'bridge' in m ? `${mp}.bridge` : `${mp}.host`}
                    value={ref}
                    options={groups}
                    className="pb-grow"
                    onChange={(v) => setMember(j, memberFromRef(m, v))}
                  />
                  <TextField
                    label={`Member ${j + 1} local underlay address`}
                    hideLabel
                    path={`${mp}.local`}
                    value={m.local}
                    placeholder="local (underlay IP)"
                    className="pb-grow"
                    onCommit={(t) => setMember(j, setOptional(m, 'local', t))}
                  />
                </div>
                {'host' in m && (
                  <AddressList
                    label="VTEP addresses"
                    path={`${mp}.addresses`}
                    values={m.addresses}
                    placeholder="10.244.0.0/32"
                    onChange={(v) => setMember(j, setOptional(m, 'addresses', v))}
                  />
                )}
              </div>
            </Row>
          );
        })}
      </RowList>
      <div className="pb-actions">
        <button
          type="button"
          className="danger"
          onClick={() => edit((l) => removeOverlay(l, index))}
          aria-label={`Remove overlay ${overlay.name}`}
        >
          Remove overlay
        </button>
      </div>
    </fieldset>
  );
}
