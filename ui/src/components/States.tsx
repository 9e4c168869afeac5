import type { ReactNode } from 'react';
import { advice, type ApiError } from '../lib/errors';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden /> {what}…
    </div>
  );
}

export function ErrorState({ error, onRetry, title = 'Something went wrong' }: { error: ApiError; onRetry?: () => void; title?: string }) {
  return (
    <div className="state state-error" role="alert">
      <h3>{title}</h3>
      <p className="mono-wrap">{error.message}</p>
      <p className="muted">{advice(error)}</p>
      {onRetry && (
        <button className="btn" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

export function Notice({ tone = 'info', children, onClose, testId }: { tone?: 'info' | 'ok' | 'warn' | 'bad'; children: ReactNode; onClose?: () => void; testId?: string }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'bad' || tone === 'warn' ? 'alert' : 'status'} data-testid={testId}>
      <div>{children}</div>
      {onClose && (
        <button className="btn-icon" aria-label="Dismiss" onClick={onClose}>
          ×
        </button>
      )}
    </div>
  );
}

/** A message a page shows above its content until dismissed: what an action did or why it was refused. */
export interface PageNotice {
  tone: 'ok' | 'bad' | 'info';
  text: ReactNode;
}
