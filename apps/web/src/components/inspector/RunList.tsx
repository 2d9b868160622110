// The `run:` lines of a node (topology run.ts): one command per row, added, edited and removed like
// addresses, checked as typed (run.empty, run.too-long, run.duplicate… show under the row). A line
// written as { name, command } keeps its name: the row edits its command and shows the name.
import { runCommand, type NetNodeSpec, type RunSpec } from '@patchbay/topology';
import { useState } from 'react';
import { removeAt, replaceAt } from '../inspector-model';
import { aria, ProblemList, TextField, useFieldMeta } from './fields';

/** `line` with its command replaced (a named line stays named). */
export function withCommand(line: RunSpec, command: string): RunSpec {
  return typeof line === 'string' ? command : { ...line, command };
}

export function RunList(props: { path: string; spec: NetNodeSpec; onChange: (run: RunSpec[]) => void }) {
  const lines = props.spec.run ?? [];
  const meta = useFieldMeta(props.path, true);
  const [pending, setPending] = useState(false);
  const label = (line: RunSpec, i: number) =>
    typeof line === 'string' || line.name === undefined ? `Process ${i + 1}` : `Process ${line.name}`;
  return (
    <fieldset className="pb-list-editor" data-testid="inspector-run" {...aria(meta)}>
      <legend>Processes (run)</legend>
      {[
        ...lines.map((line, i) => (
          <div className="pb-list-row" key={i}>
            {typeof line !== 'string' && line.name !== undefined && <span className="pb-run-name">{line.name}</span>}
            <TextField
              label={label(line, i)}
              hideLabel
              path={typeof line === 'string' ? `${props.path}[${i}]` : `${props.path}[${i}].command`}
              value={runCommand(line)}
              testid="run-input"
              placeholder="python3 -m http.server 80"
              className="pb-grow mono"
              onCommit={(t) => props.onChange(t ? replaceAt(lines, i, withCommand(line, t)) : removeAt(lines, i))}
            />
            <button
              type="button"
              className="pb-icon"
              aria-label={`Remove process ${runCommand(line)}`}
              title="Remove"
              onClick={() => props.onChange(removeAt(lines, i))}
            >
              ×
            </button>
          </div>
        )),
        ...(pending
          ? [
              <div className="pb-list-row" key={lines.length}>
                <TextField
                  label="New process"
                  hideLabel
                  path={`${props.path}[${lines.length}]`}
                  value=""
                  testid="run-input"
                  placeholder="python3 -m http.server 80"
                  className="pb-grow mono"
                  autoFocus
                  commitAlways
                  onCancel={() => setPending(false)}
                  onCommit={(t) => {
                    setPending(false);
                    if (t) props.onChange([...lines, t]);
                  }}
                />
              </div>,
            ]
          : []),
      ]}
      {!lines.length && !pending && <p className="pb-empty">none</p>}
      <p className="pb-hint">
        Long-running commands, each run by <code>sh -c</code> in the node&apos;s sandbox once the node is wired.
      </p>
      <button
        type="button"
        className="pb-add"
        data-testid="run-add"
        onClick={() => setPending(true)}
        disabled={pending}
      >
        + process
      </button>
      <ProblemList id={meta.errId} list={meta.list} />
    </fieldset>
  );
}
