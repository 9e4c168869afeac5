import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { OperationDetailQuery, OperationUpdatedSubscription, OperationsQuery } from '../lib/documents';
import type { OperationFullFragment, OperationStatus } from '../gql/graphql';
import { StatusBadge } from '../components/Badge';
import { ListFoot } from '../components/ListFoot';
import { StepTimeline } from '../components/StepTimeline';
import { DrainProgress, MoveProgress } from '../components/Moves';
import { Empty, ErrorState, Loading } from '../components/States';
import { apiError } from '../lib/errors';
import { dateTime, duration, kindLabel, relativeTime } from '../lib/format';
import { useLive, usePollWhile } from '../lib/live';
import { newer, overlay, useLiveList } from '../lib/liveList';
import { OPERATION_STATUSES, unfinished } from '../lib/states';

const PAGE = 25;

function Target({ kind, id }: { kind: string; id: string | null }) {
  if (kind === 'INSTANCE' && id) return <Link to={`/instances/${id}`}>instance</Link>;
  if (kind === 'SERVER' && id) return <Link to={`/servers/${id}`}>server</Link>;
  // A fleet-wide operation's target is the scaling it carries out.
  if (kind === 'CLUSTER') return <Link to="/servers/scale">cluster</Link>;
  return <span className="muted">{kind.toLowerCase()}</span>;
}

export function OperationsPage() {
  const [params, setParams] = useSearchParams();
  const s = params.get('status') as OperationStatus | null;
  const status = s && OPERATION_STATUSES.includes(s) ? s : null;
  const target = params.get('target');
  const filter = useMemo(() => ({ ...(status ? { status } : {}), ...(target ? { targetId: target } : {}) }), [status, target]);
  const variables = useMemo(() => ({ first: PAGE, filter }), [filter]);
  const { result, refetch, rows, more } = useLiveList({
    query: OperationsQuery,
    variables,
    pick: (d) => d.operations,
    live: {
      subscription: OperationUpdatedSubscription,
      variables: {},
      update: (d) => d.operationUpdated,
      // An operation we have not listed (started elsewhere): fetch the first page again.
      refetchFor: (u) => !target || u.targetId === target,
    },
  });

  const err = apiError(result.error);
  return (
    <section>
      <div className="page-head">
        <h1>Operations</h1>
      </div>
      <div className="toolbar">
        <select
          className="input"
          aria-label="Filter by status"
          value={status ?? ''}
          onChange={(e) => {
            const next = new URLSearchParams(params);
            if (e.target.value) next.set('status', e.target.value);
            else next.delete('status');
            setParams(next, { replace: true });
          }}
        >
          <option value="">All statuses</option>
          {OPERATION_STATUSES.map((x) => (
            <option key={x}>{x}</option>
          ))}
        </select>
        {target && (
          <span className="badge badge-info">
            One target only{' '}
            <Link to={status ? `/operations?status=${status}` : '/operations'} aria-label="Show operations on every target">
              ×
            </Link>
          </span>
        )}
      </div>
      {err && !result.data ? (
        <ErrorState error={err} onRetry={refetch} title="Could not load operations" />
      ) : !result.data ? (
        <Loading what="Loading operations" />
      ) : rows.length === 0 ? (
        <Empty title={status ? `No ${status.toLowerCase()} operations` : 'No operations yet'}>
          <p className="muted">
            {status ? 'Choose another status.' : <>Operations appear when you create, stop, start, restart or delete an instance. <Link to="/instances">Go to instances</Link>.</>}
          </p>
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th>Kind</th>
                  <th>Target</th>
                  <th>Status</th>
                  <th>Step</th>
                  <th>Attempts</th>
                  <th>Created</th>
                  <th>Took</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((o) => (
                  <tr key={o.id}>
                    <td>
                      <Link to={`/operations/${o.id}`} className="strong">
                        {kindLabel(o.kind)}
                      </Link>
                    </td>
                    <td>
                      <Target kind={o.targetKind} id={o.targetId} />
                    </td>
                    <td>
                      <StatusBadge status={o.status} />
                    </td>
                    <td className="mono small">{o.step}</td>
                    <td>
                      {o.attempts}/{o.maxAttempts}
                    </td>
                    <td className="small muted" title={o.createdAt}>
                      {relativeTime(o.createdAt)}
                    </td>
                    <td className="small">{o.finishedAt ? duration(o.createdAt, o.finishedAt) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ListFoot shown={rows.length} more={more} />
        </>
      )}
    </section>
  );
}

export function OperationDetailPage() {
  const { id = '' } = useParams();
  const [result, reexecute] = useQuery({ query: OperationDetailQuery, variables: { id }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [live, setLive] = useState<OperationFullFragment | null>(null);
  useEffect(() => setLive(null), [id]);
  useLive(OperationUpdatedSubscription, { id }, (d) => setLive((held) => newer(held, d.operationUpdated)), refetch);
  const current = live ?? result.data?.operation;
  usePollWhile(!!current && unfinished(current.status), refetch, 3000);

  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load the operation" />;
  if (!result.data) return <Loading what="Loading operation" />;
  const base = result.data.operation;
  if (!base)
    return (
      <Empty title="Operation not found">
        <p className="muted">You may not have access to it.</p>
        <Link className="btn" to="/operations">
          Back to operations
        </Link>
      </Empty>
    );
  const op = overlay(base, live);

  return (
    <section>
      <p className="crumbs">
        <Link to="/operations">Operations</Link> / {kindLabel(op.kind)}
      </p>
      <div className="page-head">
        <h1>
          {kindLabel(op.kind)} <StatusBadge status={op.status} />
        </h1>
      </div>
      {op.error && (
        <div className={`notice ${op.status === 'FAILED' ? 'notice-bad' : 'notice-info'}`} role="alert">
          <strong>{op.status === 'FAILED' ? 'Failed' : 'Last failure (will retry)'}:</strong> {op.error}
        </div>
      )}
      <div className="grid-2">
        <div className="card">
          <h2>Steps</h2>
          <StepTimeline steps={op.steps} status={op.status} finishedAt={op.finishedAt} />
        </div>
        <div className="card">
          <h2>Details</h2>
          <dl className="props">
            <dt>Target</dt>
            <dd>
              <Target kind={op.targetKind} id={op.targetId} />
            </dd>
            <dt>Current step</dt>
            <dd className="mono">{op.step}</dd>
            <dt>Attempts</dt>
            <dd>
              {op.attempts} of {op.maxAttempts}
            </dd>
            <dt>Requested</dt>
            <dd>{dateTime(op.createdAt)}</dd>
            <dt>Started</dt>
            <dd>{dateTime(op.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{dateTime(op.finishedAt)}</dd>
            <dt>ID</dt>
            <dd className="mono small">{op.id}</dd>
          </dl>
        </div>
      </div>
      {/* The moves it carries out, live. */}
      {(op.kind === 'drain_server' || op.kind === 'remove_server') && <DrainProgress key={op.id} id={op.id} link={false} />}
      {op.kind === 'move_instance' && <MoveProgress key={op.id} id={op.id} link={false} />}
    </section>
  );
}
