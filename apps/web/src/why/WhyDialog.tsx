// The Why? question: from which node, to which node or address, which protocol (and port), what size,
// don't-fragment, and whether a real probe confirms the walk. Opened from a node's menu, a failed ping
// or the Why? panel; Escape or Cancel closes it, focus starts on the first field to fill and returns
// to what had it. The server's refusal is shown with what to do (the fields it names marked).
import { WHY_MAX_SIZE, WHY_MIN_SIZE, WHY_PROTOCOLS, type Lab, type WhyQuery, type WhyResult } from '@patchbay/topology';
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { asApiError } from '../api/client';
import { labAddresses } from '../panels/ping-format';
import {
  initialFields,
  toWhyQuery,
  whyFormProblems,
  whyRefusal,
  whySources,
  type WhyFields,
  type WhyPrefill,
  type WhyRefusal,
} from './why-form';
import '../panels/panels.css';

export function WhyDialog(props: {
  lab: Lab;
  prefill: WhyPrefill;
  ask: (q: WhyQuery) => Promise<WhyResult>;
  onAnswer: (r: WhyResult) => void;
  onClose: () => void;
}) {
  const { lab, onClose } = props;
  const uid = useId();
  const sources = useMemo(() => whySources(lab), [lab]);
  const addresses = useMemo(() => labAddresses(lab), [lab]);
  const [fields, setFields] = useState<WhyFields>(() => initialFields(lab, props.prefill));
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<WhyRefusal>();
  const toRef = useRef<HTMLInputElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  const open = useRef(true);

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    (props.prefill.to ? askRef : toRef).current?.focus();
    open.current = true;
    return () => {
      open.current = false;
      before?.focus();
    };
    // Focus once, when the dialog opens.
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      onClose();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);

  const local = whyFormProblems(fields, lab);
  const shown = (k: keyof WhyFields): string | undefined =>
    refusal?.fields[k] ?? (tried || (k !== 'to' && k !== 'from') || fields.to.trim() ? local[k] : undefined);
  const set = (patch: Partial<WhyFields>) => {
    setFields((f) => ({ ...f, ...patch }));
    setRefusal((r) => (r ? { ...r, fields: {} } : r));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (busy || Object.keys(local).length > 0) return;
    setBusy(true);
    setRefusal(undefined);
    try {
      const result = await props.ask(toWhyQuery(fields));
      if (!open.current) return;
      props.onAnswer(result);
      onClose();
    } catch (err) {
      if (open.current) setRefusal(whyRefusal(asApiError(err)));
    } finally {
      if (open.current) setBusy(false);
    }
  };

  const id = (k: string) => `${uid}-${k}`;
  const invalid = (k: keyof WhyFields) =>
    shown(k) ? { 'aria-invalid': true as const, 'aria-describedby': id(`${k}-err`) } : {};
  const fieldError = (k: keyof WhyFields) => {
    const text = shown(k);
    return text ? (
      <span id={id(`${k}-err`)} className="pb-field-error" data-testid={`why-${k}-error`}>
        {text}
      </span>
    ) : null;
  };
  const needsPort = fields.proto !== 'icmp';

  return (
    <div className="pb-modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="pb-modal pb-panel pb-why-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={id('title')}
        aria-describedby={id('about')}
        data-testid="why-dialog"
      >
        <h2 id={id('title')}>Why? Follow a packet through the lab</h2>
        <p id={id('about')} className="pb-muted">
          The path is read hop by hop from the running kernel's own tables; a probe sends one real, traced packet to
          confirm it. Nothing in the lab changes.
        </p>
        <form className="pb-form" onSubmit={(e) => void submit(e)} noValidate>
          <div className="pb-field">
            <label htmlFor={id('from')}>From</label>
            <select
              id={id('from')}
              data-testid="why-from"
              value={fields.from}
              onChange={(e) => set({ from: e.target.value })}
              {...invalid('from')}
            >
              {sources.length === 0 && <option value="">(no node)</option>}
              {sources.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
            {fieldError('from')}
          </div>
          <div className="pb-field pb-field-wide">
            <label htmlFor={id('to')}>To (a node or an address)</label>
            <div className="pb-inline">
              <input
                ref={toRef}
                id={id('to')}
                data-testid="why-to"
                type="text"
                autoComplete="off"
                spellCheck={false}
                placeholder="b, or 10.0.2.2"
                list={id('tos')}
                value={fields.to}
                onChange={(e) => set({ to: e.target.value })}
                {...invalid('to')}
              />
              <datalist id={id('tos')}>
                {Object.keys(lab.nodes).map((n) => (
                  <option key={n} value={n} label="node" />
                ))}
                {addresses.map((a) => (
                  <option key={a.address} value={a.address} label={a.label} />
                ))}
              </datalist>
              <select
                aria-label="Pick a node or an address of the lab"
                data-testid="why-to-pick"
                value=""
                onChange={(e) => e.target.value && set({ to: e.target.value })}
              >
                <option value="">nodes and addresses…</option>
                <optgroup label="Nodes">
                  {Object.keys(lab.nodes)
                    .filter((n) => n !== fields.from)
                    .map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                </optgroup>
                <optgroup label="Addresses">
                  {addresses.map((a) => (
                    <option key={a.address} value={a.address}>
                      {a.address} — {a.label}
                    </option>
                  ))}
                </optgroup>
              </select>
            </div>
            {fieldError('to')}
          </div>
          <div className="pb-field">
            <label htmlFor={id('proto')}>Protocol</label>
            <select
              id={id('proto')}
              data-testid="why-proto"
              value={fields.proto}
              onChange={(e) => set({ proto: e.target.value as WhyFields['proto'] })}
            >
              {WHY_PROTOCOLS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </div>
          <div className="pb-field pb-field-num">
            <label htmlFor={id('port')}>Port</label>
            <input
              id={id('port')}
              data-testid="why-port"
              type="number"
              min={1}
              max={65535}
              value={needsPort ? fields.port : ''}
              placeholder={needsPort ? '80' : 'icmp: none'}
              disabled={!needsPort}
              onChange={(e) => set({ port: e.target.value })}
              {...invalid('port')}
            />
            {fieldError('port')}
          </div>
          <div className="pb-field pb-field-num">
            <label htmlFor={id('size')}>Size (bytes)</label>
            <input
              id={id('size')}
              data-testid="why-size"
              type="number"
              min={WHY_MIN_SIZE}
              max={WHY_MAX_SIZE}
              title="the IPv4 packet's total length, headers included (ping's default is 84)"
              value={fields.size}
              onChange={(e) => set({ size: e.target.value })}
              {...invalid('size')}
            />
            {fieldError('size')}
          </div>
          <div className="pb-field pb-field-check">
            <input
              id={id('df')}
              data-testid="why-df"
              type="checkbox"
              checked={fields.df}
              onChange={(e) => set({ df: e.target.checked })}
            />
            <label htmlFor={id('df')}>Don't fragment</label>
          </div>
          <div className="pb-field pb-field-check">
            <input
              id={id('probe')}
              data-testid="why-probe"
              type="checkbox"
              checked={fields.probe}
              onChange={(e) => set({ probe: e.target.checked })}
            />
            <label htmlFor={id('probe')}>Confirm with a real probe</label>
          </div>
          {refusal && (
            <div className="pb-error pb-why-refusal" role="alert" data-testid="why-error">
              <strong>Why? could not answer:</strong> {refusal.message}
              <div>{refusal.todo}</div>
            </div>
          )}
          <div className="pb-modal-buttons pb-why-buttons">
            <button type="button" onClick={onClose} data-testid="why-cancel">
              Cancel
            </button>
            <button ref={askRef} type="submit" className="primary" disabled={busy} data-testid="why-ask">
              {busy ? 'Asking the kernel…' : 'Ask why'}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
