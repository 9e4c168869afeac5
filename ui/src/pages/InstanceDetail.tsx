import { useCallback, useEffect, useState } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import {
  DeleteInstanceMutation,
  InstanceDetailQuery,
  InstanceUpdatedSubscription,
  OperationUpdatedSubscription,
  RestartInstanceMutation,
  StartInstanceMutation,
  StopInstanceMutation,
} from '../lib/documents';
import type { InstanceUpdatedSubscription as Update } from '../gql/graphql';
import { HealthBadge, PhaseBadge, ProviderBadge, ServerStateBadge, StateBadge, StatusBadge } from '../components/Badge';
import { MoveInstanceDialog, MoveProgress } from '../components/Moves';
import { InstanceEvents } from '../components/ClusterEvents';
import { CopyButton } from '../components/CopyButton';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { DataBrowser } from '../components/DataBrowser';
import { HealthChart } from '../components/HealthChart';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { apiError } from '../lib/errors';
import { dateTime, hasPassword, kindLabel, maskPassword, relativeTime } from '../lib/format';
import { useLive, usePollWhile } from '../lib/live';
import { useAccess } from '../lib/projects';
import { SERVICE_TYPE_HELP, instancePlanSize, serviceTypeName } from '../lib/instances';
import { INSTANCE_TRANSITIONAL, providerName, unfinished } from '../lib/states';
import { pauseMs } from '../lib/fleet';

const CHECKS = 40;

export function ConnectionString({ value }: { value: string | null }) {
  const [revealed, setRevealed] = useState(false);
  if (!value) return <p className="muted">Available once the instance has a port.</p>;
  const secret = hasPassword(value);
  return (
    <div className="conn">
      <code className="conn-value" data-testid="connection-string">
        {revealed || !secret ? value : maskPassword(value)}
      </code>
      <div className="conn-actions">
        {secret && (
          <button type="button" className="btn btn-sm" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed}>
            {revealed ? 'Hide password' : 'Reveal password'}
          </button>
        )}
        <CopyButton text={value} />
      </div>
      {!secret && <p className="muted small">The password is shown only to admins and operators of the project.</p>}
    </div>
  );
}

export function InstanceDetailPage() {
  const { id = '' } = useParams();
  const a = useAccess();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const [result, reexecute] = useQuery({ query: InstanceDetailQuery, variables: { id, checks: CHECKS }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [live, setLive] = useState<Update['instanceUpdated'] | null>(null);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad' | 'info'; text: React.ReactNode } | null>(
    () => {
      const st = location.state as { created?: boolean; operationId?: string } | null;
      if (!st?.created) return null;
      return {
        tone: 'ok',
        text: (
          <>
            Instance requested. It is being created; this page updates by itself.{' '}
            {st.operationId && <Link to={`/operations/${st.operationId}`}>Follow the operation</Link>}
          </>
        ),
      };
    },
  );
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [retainStorage, setRetainStorage] = useState(false);
  const [moving, setMoving] = useState(false);
  // The move started on this page, followed below the header.
  const [moveStarted, setMoveStarted] = useState<string | null>(null);

  useEffect(() => {
    setLive(null);
    setMoveStarted(null);
  }, [id]);

  useLive(InstanceUpdatedSubscription, { id }, (d) => {
    setLive(d.instanceUpdated);
    refetch();
  }, refetch);
  useLive(OperationUpdatedSubscription, {}, (d) => {
    if (d.operationUpdated.targetId === id) refetch();
  }, refetch);

  // Health checks are recorded without a state change: refresh the chart now and then, and
  // more often while the instance is changing state.
  const st = (live ?? result.data?.instance)?.state;
  usePollWhile(true, refetch, st && INSTANCE_TRANSITIONAL.includes(st) ? 3000 : 10_000);

  const [stop, doStop] = useMutation(StopInstanceMutation);
  const [start, doStart] = useMutation(StartInstanceMutation);
  const [restart, doRestart] = useMutation(RestartInstanceMutation);
  const [del, doDelete] = useMutation(DeleteInstanceMutation);

  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load the instance" />;
  if (!result.data) return <Loading what="Loading instance" />;
  if (!result.data.instance)
    return (
      <Empty title="Instance not found">
        <p className="muted">It may have been deleted, or you may not have access to it.</p>
        <Link className="btn" to="/instances">
          Back to instances
        </Link>
      </Empty>
    );

  const base = result.data.instance;
  const inst = live && live.id === base.id && Date.parse(live.updatedAt) >= Date.parse(base.updatedAt) ? { ...base, ...live } : base;
  const operate = a.canOperateIn(inst.projectId);
  // The data browser: for the project's admins and operators, while the instance runs.
  const canBrowse = operate && inst.state === 'RUNNING';
  const tab = canBrowse && params.get('tab') === 'data' ? 'data' : 'overview';
  const showTab = (t: 'overview' | 'data') => {
    const next = new URLSearchParams(params);
    if (t === 'data') next.set('tab', 'data');
    else next.delete('tab');
    setParams(next);
  };
  const kube = inst.provider === 'KUBERNETES';
  const onServer = inst.provider === 'SERVER';
  // A move under way (started here, by a drain, or by another client) is followed live.
  const runningMove = base.operations.find((o) => o.kind === 'move_instance' && unfinished(o.status))?.id ?? null;
  const moveShown = moveStarted ?? runningMove;
  const plan = result.data.instancePlans.find((p) => p.name === inst.plan);
  const busy = stop.fetching || start.fetching || restart.fetching || del.fetching;

  const act = async (label: string, run: () => Promise<{ error?: Parameters<typeof apiError>[0]; data?: unknown }>, opId: (d: unknown) => string | undefined) => {
    const res = await run();
    const e = apiError(res.error);
    if (e) setNotice({ tone: 'bad', text: `${label} refused: ${e.message}` });
    else {
      const op = opId(res.data);
      setNotice({ tone: 'info', text: <>{label} requested. {op && <Link to={`/operations/${op}`}>Follow the operation</Link>}</> });
      refetch();
    }
  };

  return (
    <section>
      <p className="crumbs">
        <Link to="/instances">Instances</Link> / {inst.name}
      </p>
      <div className="page-head">
        <h1>
          {inst.name} <StateBadge state={inst.state} /> <HealthBadge health={inst.health} />
        </h1>
        {operate && inst.state !== 'DELETED' && (
          <div className="actions">
            <button className="btn" disabled={busy || inst.state !== 'RUNNING'} onClick={() => act('Stop', () => doStop({ id }), (d) => (d as { stopInstance?: { id: string } })?.stopInstance?.id)}>
              Stop
            </button>
            <button
              className="btn"
              disabled={busy || !(inst.state === 'STOPPED' || inst.state === 'FAILED')}
              onClick={() => act('Start', () => doStart({ id }), (d) => (d as { startInstance?: { id: string } })?.startInstance?.id)}
            >
              Start
            </button>
            <button
              className="btn"
              disabled={busy || inst.state !== 'RUNNING'}
              onClick={() => act('Restart', () => doRestart({ id }), (d) => (d as { restartInstance?: { id: string } })?.restartInstance?.id)}
            >
              Restart
            </button>
            {onServer && (
              <button
                className="btn"
                disabled={busy || inst.state !== 'RUNNING' || runningMove != null}
                title={runningMove ? 'A move is under way' : inst.state === 'RUNNING' ? 'Move it to another server; writes pause only for the cutover' : 'Only a running instance moves'}
                onClick={() => setMoving(true)}
              >
                Move…
              </button>
            )}
            <button className="btn btn-danger" disabled={busy || inst.state === 'DELETING'} onClick={() => { setDeleteError(null); setRetainStorage(false); setConfirming(true); }}>
              Delete…
            </button>
          </div>
        )}
      </div>
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)}>
          {notice.text}
        </Notice>
      )}
      {inst.state === 'FAILED' && inst.failureReason && (
        <Notice tone="bad">
          <strong>Failed:</strong> {inst.failureReason}. {operate && 'Start it to try again, or delete it.'}
        </Notice>
      )}
      {inst.statusMessage && inst.state !== 'DELETED' && (
        <Notice tone="warn" testId="status-message">
          <strong>{providerName(inst.provider)} reports a problem:</strong> <span className="mono-wrap">{inst.statusMessage}</span>
          <div className="small muted">This clears by itself once the problem is gone; the events below say when it began.</div>
        </Notice>
      )}

      {moveShown && <MoveProgress key={moveShown} id={moveShown} onChange={refetch} />}

      {canBrowse && (
        <div className="tabs" role="tablist" aria-label="Instance views">
          <button type="button" role="tab" id="tab-overview" aria-selected={tab === 'overview'} aria-controls="panel-overview" onClick={() => showTab('overview')}>
            Overview
          </button>
          <button type="button" role="tab" id="tab-data" aria-selected={tab === 'data'} aria-controls="panel-data" onClick={() => showTab('data')}>
            Data
          </button>
        </div>
      )}
      {tab === 'data' ? (
        <div role="tabpanel" id="panel-data" aria-labelledby="tab-data">
          <DataBrowser instanceId={inst.id} />
        </div>
      ) : (
        <div role={canBrowse ? 'tabpanel' : undefined} id="panel-overview" aria-labelledby={canBrowse ? 'tab-overview' : undefined}>
          <div className="grid-2">
            <div className="card">
              <h2>Connection</h2>
              <ConnectionString value={inst.connectionString} />
              <dl className="props">
                <dt>Host</dt>
                <dd className="mono">{inst.host ?? '—'}</dd>
                <dt>Port</dt>
                <dd className="mono">{inst.port ?? '—'}</dd>
                <dt>User</dt>
                <dd className="mono">{inst.username}</dd>
                <dt>Database</dt>
                <dd className="mono">{inst.database}</dd>
              </dl>
            </div>
            <div className="card">
              <h2>Details</h2>
              <dl className="props">
                <dt>PostgreSQL</dt>
                <dd>
                  {inst.version} {inst.serverVersion && <span className="muted small">({inst.serverVersion})</span>}
                </dd>
                <dt>Provider</dt>
                <dd data-testid="provider">
                  <ProviderBadge provider={inst.provider} />
                </dd>
                {onServer && (
                  <>
                    <dt>Server</dt>
                    <dd data-testid="instance-server">
                      {base.server ? (
                        <>
                          <Link to={`/servers/${base.server.id}`}>{base.server.name}</Link> <ServerStateBadge state={base.server.state} />{' '}
                          <span className="muted small">({base.server.region})</span>
                        </>
                      ) : (
                        <span className="muted">not placed yet</span>
                      )}
                    </dd>
                  </>
                )}
                <dt>Plan</dt>
                <dd>
                  <span className="mono">{inst.plan}</span> {plan && <span className="muted small">({instancePlanSize(plan)})</span>}
                </dd>
                {inst.serviceType && (
                  <>
                    <dt>Service</dt>
                    <dd data-testid="service-type">
                      {serviceTypeName(inst.serviceType)} <span className="muted small">({SERVICE_TYPE_HELP[inst.serviceType]})</span>
                    </dd>
                  </>
                )}
                <dt>Storage</dt>
                <dd>{inst.storageGb} GB</dd>
                <dt>Created</dt>
                <dd title={inst.createdAt}>{dateTime(inst.createdAt)}</dd>
                <dt>Last check</dt>
                <dd>
                  {relativeTime(inst.lastCheckedAt)} {inst.latencyMs != null && <span className="muted small">({inst.latencyMs.toFixed(1)} ms)</span>}
                </dd>
                <dt>ID</dt>
                <dd className="mono small">{inst.id}</dd>
              </dl>
            </div>
          </div>

          <div className="card">
            <h2>Health history</h2>
            {base.healthChecks.length === 0 ? (
              <p className="muted">No checks yet. The first runs shortly after the instance is RUNNING.</p>
            ) : (
              <HealthChart checks={base.healthChecks} />
            )}
          </div>

          {base.moves.length > 0 && (
            <div className="card">
              <h2>Moves</h2>
              <table className="table" aria-label="Moves between servers">
                <thead>
                  <tr>
                    <th>From</th>
                    <th>To</th>
                    <th>Phase</th>
                    <th>Writes paused</th>
                    <th>Started</th>
                  </tr>
                </thead>
                <tbody>
                  {base.moves.map((m) => (
                    <tr key={m.id} data-phase={m.phase}>
                      <td>
                        <Link to={`/servers/${m.source.id}`}>{m.source.name}</Link>
                      </td>
                      <td>
                        <Link to={`/servers/${m.target.id}`}>{m.target.name}</Link>
                      </td>
                      <td>
                        {m.operation ? (
                          <Link to={`/operations/${m.operation.id}`}>
                            <PhaseBadge phase={m.phase} />
                          </Link>
                        ) : (
                          <PhaseBadge phase={m.phase} />
                        )}
                        {m.error && <div className="field-error small">{m.error}</div>}
                      </td>
                      <td>{m.unavailableMs != null ? pauseMs(m.unavailableMs) : <span className="muted">—</span>}</td>
                      <td className="small muted" title={m.createdAt}>
                        {relativeTime(m.createdAt)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}

          <div className="card">
            <div className="page-head">
              <h2>Recent operations</h2>
              <Link to={`/operations?target=${inst.id}`} className="small">
                All operations on {inst.name} →
              </Link>
            </div>
            {base.operations.length === 0 ? (
              <p className="muted">No operations yet.</p>
            ) : (
              <table className="table">
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
            <InstanceEvents
              instanceId={base.id}
              initial={base.events}
              onGap={refetch}
              empty={kube ? 'No events yet. Pod problems, repairs of drifted objects and deletions appear here as they happen.' : 'No events yet.'}
            />
          </div>
        </div>
      )}

      {moving && (
        <MoveInstanceDialog
          instance={{ id: inst.id, name: inst.name, projectId: inst.projectId, serverId: base.server?.id ?? null }}
          onCancel={() => setMoving(false)}
          onStarted={(opId) => {
            setMoving(false);
            setMoveStarted(opId);
            setNotice({ tone: 'info', text: 'Move started; it is followed below. The connection string names the new server once it has switched.' });
            refetch();
          }}
        />
      )}

      {confirming && (
        <ConfirmDelete
          name={inst.name}
          busy={del.fetching}
          error={deleteError}
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            // Kubernetes only: the server refuses retainStorage for other providers.
            const res = await doDelete(kube ? { id, retainStorage } : { id });
            const e = apiError(res.error);
            if (e) {
              setDeleteError(e.message);
              return;
            }
            setConfirming(false);
            navigate('/instances', { state: { deleted: inst.name } });
          }}
        >
          {kube ? (
            <>
              <p>
                This deletes its StatefulSet, pod, services and secret
                {retainStorage ? (
                  <>
                    , but <strong>keeps its volume</strong> (the PVC) with the data on it.
                  </>
                ) : (
                  <>
                    {' '}
                    and its volume, <strong>with all its data</strong>.
                  </>
                )}{' '}
                It cannot be undone.
              </p>
              <label className="inline">
                <input type="checkbox" checked={retainStorage} onChange={(e) => setRetainStorage(e.target.checked)} /> Keep the volume (PVC)
              </label>
            </>
          ) : undefined}
        </ConfirmDelete>
      )}
    </section>
  );
}
