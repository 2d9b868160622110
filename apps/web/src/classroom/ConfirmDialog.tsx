// A confirmation for what cannot be undone (reset a lab, end a session): Escape or Cancel closes
// it, focus starts on Cancel (the safe choice) and returns to what had it before.
import { useEffect, useId, useRef, useState } from 'react';

export function ConfirmDialog(props: {
  title: string;
  text: string;
  confirm: string;
  onConfirm: () => Promise<void> | void;
  onClose: () => void;
  testid?: string;
}) {
  const titleId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const { onClose } = props;

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    cancel.current?.focus();
    return () => before?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !busy) {
        e.stopPropagation();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose, busy]);

  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };

  return (
    <div className="pb-modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <div
        className="pb-modal pb-confirm"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={props.testid ?? 'confirm-dialog'}
      >
        <h2 id={titleId}>{props.title}</h2>
        <p>{props.text}</p>
        {error && (
          <p className="pb-error" role="alert">
            {error}
          </p>
        )}
        <div className="pb-modal-buttons">
          <button type="button" ref={cancel} onClick={onClose} disabled={busy} data-testid="confirm-cancel">
            Cancel
          </button>
          <button type="button" className="danger" onClick={() => void run()} disabled={busy} data-testid="confirm-ok">
            {busy ? 'Working…' : props.confirm}
          </button>
        </div>
      </div>
    </div>
  );
}
