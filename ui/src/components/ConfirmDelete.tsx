import { useId, useState, type ReactNode } from 'react';

/**
 * Delete only once the user has typed the resource's name. It says what deleting an
 * instance means unless given `children`, and `title`, `confirmLabel` and `busyLabel` name
 * another kind of resource.
 */
export function ConfirmDelete({
  name,
  busy = false,
  error,
  onConfirm,
  onCancel,
  title = `Delete ${name}?`,
  confirmLabel = 'Delete instance',
  busyLabel = 'Deleting…',
  children,
}: {
  name: string;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
  title?: string;
  confirmLabel?: string;
  busyLabel?: string;
  children?: ReactNode;
}) {
  const [typed, setTyped] = useState('');
  const id = useId();
  const matches = typed === name;
  return (
    <div className="dialog-backdrop" role="presentation" onClick={onCancel}>
      <form
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        className="dialog"
        onClick={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          if (matches && !busy) onConfirm();
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        {children ?? (
          <p>
            This stops the instance and removes it <strong>with all its data</strong>. It cannot be undone.
          </p>
        )}
        <label htmlFor={`${id}-input`}>
          Type <code>{name}</code> to confirm
        </label>
        <input
          id={`${id}-input`}
          className="input"
          autoFocus
          autoComplete="off"
          spellCheck={false}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="btn btn-danger" disabled={!matches || busy}>
            {busy ? busyLabel : confirmLabel}
          </button>
        </div>
      </form>
    </div>
  );
}
