import { useCallback, useEffect, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { DrainServerMutation, RemoveServerMutation, ServerDetailQuery, ServerUpdatedSubscription } from '../lib/documents';
import type { ServerUpdatedSubscription as Update } from '../gql/graphql';
import { ServerStateBadge, StatusBadge } from '../components/Badge';
import { ClusterEvents } from '../components/ClusterEvents';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { CopyButton } from '../components/CopyButton';
import { OperationProgress } from '../components/OperationProgress';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { apiError } from '../lib/errors';
import { dateTime, kindLabel, relativeTime } from '../lib/format';
import { SERVER_TRANSITIONAL, cloudName } from '../lib/fleet';
import { useLive, usePollWhile } from '../lib/live';
import { useAccess } from '../lib/projects';

function pct(v: number | null | undefined): string {
  return v == null ? '—' : `${v.toFixed(1)} %`;
}

export function ServerDetailPage() {
  const { id = '' } = useParams();
  const access = useAccess();
  const location = useLocation();
  const [result, reexecute] = useQuery({ query: ServerDetailQuery, variables: { id }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [live, setLive] = useState<Update['serverUpdated'] | null>(null);
  // The operation this page started (or that made the server), followed below the header.
  const [following, setFollowing] = useState<string | null>(() => (location.state as { operationId?: string } | null)?.operationId ?? null);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad' | 'info'; text: React.ReactNode } | null>(() =>
    (location.state as { provisioned?: boolean } | null)?.provisioned
      ? { tone: 'ok', text: 'Server requested. Its VM is being made; this page updates by itself.' }
      : null,
  );
  const [confirming, setConfirming] = useState(false);
  const [removeError, setRemoveError] = useState<string | null>(null);

  useEffect(() => setLive(null), [id]);

  useLive(
    ServerUpdatedSubscription,
    { id },
    (d) => {
      setLive(d.serverUpdated);
      // Operations and the instance count change with the state.
      refetch();
    },
    refetch,
  );

  const st = (live ?? result.data?.server)?.state;
  usePollWhile(!!st && SERVER_TRANSITIONAL.includes(st), refetch, 3000);

  const [drain, doDrain] = useMutation(DrainServerMutation);
  const [remove, doRemove] = useMutation(RemoveServerMutation);

  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load the server" />;
  if (!result.data) return <Loading what="Loading server" />;
  if (!result.data.server)
    return (
      <Empty title="Server not found">
        <p className="muted">It may be in a project you cannot see.</p>
        <Link className="btn" to="/servers">
          Back to servers
        </Link>
      </Empty>
    );

  const base = result.data.server;
  const server = live && live.id === base.id && Date.parse(live.updatedAt) >= Date.parse(base.updatedAt) ? { ...base, ...live } : base;
  const operate = access.canOperateIn(server.projectId) && server.state !== 'REMOVED';
  const busy = drain.fetching || remove.fetching;
  const metrics = base.latestMetrics;

  const started = (label: string, opId: string) => {
    setFollowing(opId);
    setNotice({ tone: 'info', text: `${label} requested; its operation is followed below.` });
    refetch();
  };

  return (
    <section>
      <p className="crumbs">
        <Link to="/servers">Servers</Link> / {server.name}
      </p>
      <div className="page-head">
        <h1>
          {server.name} <span data-testid="server-state"><ServerStateBadge state={server.state} /></span>
        </h1>
        {operate && (
          <div className="actions">
            <button
              className="btn"
              disabled={busy || server.state !== 'ACTIVE'}
              title={server.state === 'ACTIVE' ? 'Place nothing new on it, and let the work on it finish' : 'Only an active server can be drained'}
              onClick={async () => {
                const res = await doDrain({ id });
                const e = apiError(res.error);
                if (e) setNotice({ tone: 'bad', text: `Drain refused: ${e.message}` });
                else if (res.data) started('Drain', res.data.drainServer.id);
              }}
            >
              Drain
            </button>
            <button
              className="btn btn-danger"
              disabled={busy || !['ACTIVE', 'DRAINING', 'FAILED'].includes(server.state)}
              title={['ACTIVE', 'DRAINING', 'FAILED'].includes(server.state) ? 'Drain it, delete its VM, and mark it removed' : `A ${server.state.toLowerCase()} server cannot be removed now`}
              onClick={() => {
                setRemoveError(null);
                setConfirming(true);
              }}
            >
              Remove…
            </button>
          </div>
        )}
      </div>
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)}>
          {notice.text}
        </Notice>
      )}
      {server.state === 'FAILED' && (
        <Notice tone="bad">
          <strong>Failed:</strong> {server.failureReason ?? 'no reason was recorded'}. {operate && 'Remove it to delete what is left of it.'}
        </Notice>
      )}
      {following && <OperationProgress id={following} onChange={refetch} />}

      <div className="grid-2">
        <div className="card">
          <h2>Server</h2>
          <dl className="props">
            <dt>Cloud</dt>
            <dd>{cloudName(server.provider)}</dd>
            <dt>Plan</dt>
            <dd className="mono">{server.plan}</dd>
            <dt>Region</dt>
            <dd className="mono">{server.region}</dd>
            <dt>Template</dt>
            <dd>
              <span className="mono">{server.template}</span> <span className="muted small">({server.image})</span>
            </dd>
            <dt>IPv4</dt>
            <dd className="mono" data-testid="server-ipv4">
              {server.ipv4 ?? '—'} {server.ipv4 && <CopyButton text={server.ipv4} />}
            </dd>
            <dt>IPv6</dt>
            <dd className="mono">{server.ipv6 ?? '—'}</dd>
            <dt>VM name</dt>
            <dd className="mono">{server.vmName}</dd>
            <dt>Cloud's id</dt>
            <dd className="mono">{server.providerId ?? <span className="muted">not yet known</span>}</dd>
            {base.labels.length > 0 && (
              <>
                <dt>Labels</dt>
                <dd>
                  {base.labels.map((l) => (
                    <code key={l.key} className="label-chip">
                      {l.key}={l.value}
                    </code>
                  ))}
                </dd>
              </>
            )}
            <dt>ID</dt>
            <dd className="mono small">{server.id}</dd>
          </dl>
        </div>
        <div className="card">
          <h2>Load</h2>
          <dl className="props">
            <dt>Instances</dt>
            <dd data-testid="instance-count">{base.instanceCount}</dd>
            <dt>CPU</dt>
            <dd>{pct(metrics?.cpuPercent)}</dd>
            <dt>Memory</dt>
            <dd>{pct(metrics?.memoryPercent)}</dd>
            <dt>Sampled</dt>
            <dd>{metrics ? <span title={dateTime(metrics.sampledAt)}>{relativeTime(metrics.sampledAt)}</span> : <span className="muted">no sample in the last hour</span>}</dd>
          </dl>
          <h2 className="spaced">History</h2>
          <dl className="props">
            <dt>Asked for</dt>
            <dd title={server.createdAt}>{dateTime(server.createdAt)}</dd>
            <dt>State since</dt>
            <dd title={server.stateChangedAt}>
              {dateTime(server.stateChangedAt)} <span className="muted small">({relativeTime(server.stateChangedAt)})</span>
            </dd>
            {server.removedAt && (
              <>
                <dt>Removed</dt>
                <dd>{dateTime(server.removedAt)}</dd>
              </>
            )}
          </dl>
        </div>
      </div>

      <div className="card">
        <div className="page-head">
          <h2>Operations</h2>
          <Link to={`/operations?target=${server.id}`} className="small">
            All operations on {server.name} →
          </Link>
        </div>
        {base.operations.length === 0 ? (
          <p className="muted">No operations yet.</p>
        ) : (
          <table className="table" aria-label="Operations">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Status</th>
                <th>Step</th>
                <th>Attempts</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {base.operations.map((o) => (
                <tr key={o.id}>
                  <td>
                    <Link to={`/operations/${o.id}`}>{kindLabel(o.kind)}</Link>
                  </td>
                  <td>
                    <StatusBadge status={o.status} />
                  </td>
                  <td className="mono small">{o.step}</td>
                  <td>{o.attempts}</td>
                  <td className="small muted">{relativeTime(o.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      <div className="card">
        <h2>Events</h2>
        <ClusterEvents serverId={server.id} />
      </div>

      {confirming && (
        <ConfirmDelete
          name={server.name}
          title={`Remove ${server.name}?`}
          confirmLabel="Remove server"
          busyLabel="Removing…"
          busy={remove.fetching}
          error={removeError}
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            const res = await doRemove({ id });
            const e = apiError(res.error);
            if (e) {
              setRemoveError(e.message);
              return;
            }
            setConfirming(false);
            if (res.data) started('Removal', res.data.removeServer.id);
          }}
        >
          <p>
            This drains the server, then <strong>deletes its VM at {cloudName(server.provider)}</strong> with everything on its disk. It cannot be undone.
          </p>
          {base.instanceCount > 0 && (
            <p className="field-error">
              It hosts {base.instanceCount} live instance{base.instanceCount === 1 ? '' : 's'}: removal waits for the operations on{' '}
              {base.instanceCount === 1 ? 'it' : 'them'} to finish, then {base.instanceCount === 1 ? 'it goes' : 'they go'} with the VM.
            </p>
          )}
        </ConfirmDelete>
      )}
    </section>
  );
}
