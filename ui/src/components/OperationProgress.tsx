import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { OperationDetailQuery, OperationUpdatedSubscription } from '../lib/documents';
import type { OperationFullFragment } from '../gql/graphql';
import { StatusBadge } from './Badge';
import { StepTimeline } from './StepTimeline';
import { apiError } from '../lib/errors';
import { kindLabel } from '../lib/format';
import { useLive, usePollWhile } from '../lib/live';
import { newer, overlay } from '../lib/liveList';
import { unfinished } from '../lib/states';

/**
 * One operation, followed live (`operationUpdated(id)`): its status, its steps, and a link to
 * its page. `onChange` hears every new version, so a page can refetch what the operation changes.
 */
export function OperationProgress({ id, onChange, title }: { id: string; onChange?: (op: OperationFullFragment) => void; title?: string }) {
  const [result, reexecute] = useQuery({ query: OperationDetailQuery, variables: { id }, requestPolicy: 'network-only' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [live, setLive] = useState<OperationFullFragment | null>(null);
  useEffect(() => setLive(null), [id]);
  useLive(
    OperationUpdatedSubscription,
    { id },
    (d) => {
      setLive((held) => newer(held, d.operationUpdated));
      onChange?.(d.operationUpdated);
    },
    refetch,
  );
  // Only this operation: the previous one's data stays in `result` until the new one loads.
  const base = result.data?.operation?.id === id ? result.data.operation : null;
  const op = base ? overlay(base, live) : live;
  // A safety net for changes made between the query and the subscription starting.
  usePollWhile(!op || unfinished(op.status), refetch, 3000);

  const err = apiError(result.error);
  return (
    <div className="card op-progress" data-testid="operation-progress" aria-live="polite">
      <div className="page-head">
        <h2>
          {title ?? (op ? kindLabel(op.kind) : 'Operation')} {op && <StatusBadge status={op.status} />}
        </h2>
        <Link to={`/operations/${id}`} className="small">
          Open the operation →
        </Link>
      </div>
      {err && !op ? (
        <p className="field-error">Could not load the operation: {err.message}</p>
      ) : !op ? (
        <p className="muted">
          <span className="spinner" aria-hidden /> Loading the operation…
        </p>
      ) : (
        <>
          {op.error && (
            <p className={op.status === 'FAILED' ? 'field-error' : 'muted small'}>
              {op.status === 'FAILED' ? 'Failed' : 'Last failure (will retry)'}: {op.error}
            </p>
          )}
          <StepTimeline steps={op.steps} status={op.status} finishedAt={op.finishedAt} />
        </>
      )}
    </div>
  );
}
