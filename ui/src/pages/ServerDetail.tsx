import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { DrainServerMutation, RemoveServerMutation, ServerDetailQuery, ServerInstanceUpdatedSubscription, ServerUpdatedSubscription } from '../lib/documents';
import type { DrainPlanFieldsFragment, ServerInstanceFieldsFragment, ServerUpdatedSubscription as Update } from '../gql/graphql';
import { HealthBadge, ServerStateBadge, StateBadge, StatusBadge } from '../components/Badge';
import { ClusterEvents } from '../components/ClusterEvents';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { CopyButton } from '../components/CopyButton';
import { DrainPreview, DrainProgress } from '../components/Moves';
import { OperationProgress } from '../components/OperationProgress';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { apiError } from '../lib/errors';
import { dateTime, kindLabel, relativeTime } from '../lib/format';
import { cloudName, gb } from '../lib/fleet';
import { SERVER_TRANSITIONAL, unfinished } from '../lib/states';
import { useLive, usePollWhile } from '../lib/live';
import { useAccess } from '../lib/projects';

/** The instances a server hosts, by name, kept current by `instanceUpdated`. */
export function ServerInstances({
  serverId,
  serverName,
  instances,
  onGap,
  createLink,
}: {
  serverId: string;
  serverName: string;
  instances: readonly ServerInstanceFieldsFragment[];
  /** Refetch the list: an instance arrived on the server or left it. */
  onGap: () => void;
  /** Where "create one" leads, when the caller may. */
  createLink?: string;
}) {
  const [live, setLive] = useState<Record<string, ServerInstanceFieldsFragment>>({});
  useLive(
    ServerInstanceUpdatedSubscription,
    {},
    (d) => {
      const u = d.instanceUpdated;
      const listed = instances.some((i) => i.id === u.id);
      const here = u.server?.id === serverId && u.state !== 'DELETED';
      if (here && listed) setLive((p) => ({ ...p, [u.id]: u }));
      // One that arrived (created or moved here) or left (moved away, deleted): list again.
      else if (here !== listed) onGap();
    },
    onGap,
  );
  const rows = instances
    .map((i) => {
      const l = live[i.id];
      return l && Date.parse(l.updatedAt) >= Date.parse(i.updatedAt) ? { ...i, ...l } : i;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div className="card">
      <div className="page-head">
        <h2>Instances</h2>
        <span className="muted small" data-testid="instance-count">
          {rows.length} live
        </span>
      </div>
      {rows.length === 0 ? (
        <p className="muted" data-testid="no-server-instances">
          No instances run on {serverName}.{' '}
          {createLink && (
            <Link to={createLink} className="small">
              Create one here →
            </Link>
          )}
        </p>
      ) : (
        <table className="table" aria-label="Instances on this server">
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th>Health</th>
              <th className="num">Port</th>
              <th>Plan</th>
              <th className="num">Storage</th>
              <th className="num">PostgreSQL</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => (
              <tr key={i.id} data-instance={i.name}>
                <td>
                  <Link to={`/instances/${i.id}`} className="strong">
                    {i.name}
                  </Link>
                </td>
                <td data-testid="state">
                  <StateBadge state={i.state} />
                </td>
                <td data-testid="health">
                  <HealthBadge health={i.health} />
                </td>
                <td className="num mono small">{i.port ?? '—'}</td>
                <td className="mono small">{i.plan}</td>
                <td className="num">{i.storageGb} GB</td>
                <td className="num">{i.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

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
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad' | 'info'; text: React.ReactNode } | null>(() => {
    const st = location.state as { provisioned?: boolean; registered?: boolean } | null;
    if (st?.registered)
      return {
        tone: 'ok',
        text: 'Server registered. Toygres is logging in over SSH to record its host key, PostgreSQL versions, memory and disk; this page updates by itself.',
      };
    if (st?.provisioned) return { tone: 'ok', text: 'Server requested. Its VM is being made; this page updates by itself.' };
    return null;
  });
  const [confirming, setConfirming] = useState(false);
  const [removeError, setRemoveError] = useState<string | null>(null);
  // The drain's preview (a dry run), and the drain started from it on this page.
  const [preview, setPreview] = useState<DrainPlanFieldsFragment | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [drainStarted, setDrainStarted] = useState<string | null>(null);

  useEffect(() => {
    setLive(null);
    setPreview(null);
    setDrainStarted(null);
  }, [id]);

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
  // The newest drain (or removal, which drains first) of this server, running or finished: its moves are shown.
  const latestDrain = useMemo(
    () => result.data?.server?.operations.find((o) => o.kind === 'drain_server' || o.kind === 'remove_server')?.id ?? null,
    [result.data],
  );
  const drainShown = drainStarted ?? latestDrain;
  // One drain or removal at a time: the API refuses a second while one is under way.
  const changing = !!result.data?.server?.operations.some(
    (o) => (o.kind === 'drain_server' || o.kind === 'remove_server') && unfinished(o.status),
  );

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
  const registered = server.provider === 'EXISTING';

  const previewDrain = async () => {
    setPreviewError(null);
    const res = await doDrain({ id, dryRun: true });
    const e = apiError(res.error);
    if (e) setNotice({ tone: 'bad', text: `Could not preview the drain: ${e.message}` });
    else if (res.data) setPreview(res.data.drainServer.plan);
  };
  const startDrain = async () => {
    setPreviewError(null);
    const res = await doDrain({ id, dryRun: false });
    const e = apiError(res.error);
    if (e) {
      // Refused before anything moved (room went since the preview): say why, and show the plan as it is now.
      setPreviewError(`Drain refused: ${e.message}`);
      const again = await doDrain({ id, dryRun: true });
      if (again.data) setPreview(again.data.drainServer.plan);
      return;
    }
    const op = res.data?.drainServer.operation;
    setPreview(null);
    if (op) {
      setDrainStarted(op.id);
      setNotice({ tone: 'info', text: "Drain started: each instance's move is followed below." });
    }
    refetch();
  };

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
              disabled={busy || preview != null || changing || !['ACTIVE', 'DRAINING'].includes(server.state)}
              title={
                changing
                  ? 'A drain or removal is under way'
                  : ['ACTIVE', 'DRAINING'].includes(server.state)
                    ? 'See where each instance would move, then start: the instances move elsewhere and nothing new is placed on it'
                    : 'Only an active or draining server can be drained'
              }
              onClick={() => void previewDrain()}
            >
              Drain…
            </button>
            <button
              className="btn btn-danger"
              disabled={busy || changing || !['ACTIVE', 'DRAINING', 'FAILED'].includes(server.state)}
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
      {preview && (
        <DrainPreview
          serverName={server.name}
          plan={preview}
          busy={drain.fetching}
          error={previewError}
          onStart={() => void startDrain()}
          onCancel={() => {
            setPreview(null);
            setPreviewError(null);
          }}
        />
      )}
      {following && <OperationProgress id={following} onChange={refetch} />}
      {drainShown && <DrainProgress key={drainShown} id={drainShown} onChange={refetch} />}

      <div className="grid-2">
        <div className="card">
          <h2>Server</h2>
          <dl className="props">
            <dt>{registered ? 'Kind' : 'Cloud'}</dt>
            <dd>{registered ? 'Registered host (added by address)' : cloudName(server.provider)}</dd>
            {!registered && (
              <>
                <dt>Plan</dt>
                <dd className="mono">{server.plan}</dd>
              </>
            )}
            <dt>Region</dt>
            <dd className="mono">{server.region}</dd>
            {!registered && (
              <>
                <dt>Template</dt>
                <dd>
                  <span className="mono">{server.template}</span> <span className="muted small">({server.image})</span>
                </dd>
              </>
            )}
            <dt>{registered ? 'Address' : 'IPv4'}</dt>
            <dd className="mono" data-testid="server-ipv4">
              {server.ipv4 ?? '—'} {server.ipv4 && <CopyButton text={server.ipv4} />}
            </dd>
            {(!registered || server.ipv6) && (
              <>
                <dt>IPv6</dt>
                <dd className="mono">{server.ipv6 ?? '—'}</dd>
              </>
            )}
            {(registered || server.sshHostKey) && (
              <>
                <dt>SSH</dt>
                <dd className="mono" data-testid="server-ssh">
                  {server.sshUser}@{server.ipv4 ?? '…'}:{server.sshPort}
                </dd>
                <dt>Host key</dt>
                <dd data-testid="server-host-key">
                  {server.sshHostKey ? (
                    <span className="host-key">
                      <code title="The key it presented at first login, trusted from then on: a server that presents another is refused">{server.sshHostKey}</code>
                      <CopyButton text={server.sshHostKey} />
                    </span>
                  ) : (
                    <span className="muted">not recorded yet: it is recorded at the first SSH login</span>
                  )}
                </dd>
                <dt>PostgreSQL</dt>
                <dd data-testid="server-pg-versions">
                  {server.pgVersions.length ? server.pgVersions.join(', ') : <span className="muted">found at the first SSH login</span>}
                </dd>
                <dt>Memory</dt>
                <dd data-testid="server-memory">
                  {server.memoryGb != null ? `${gb(server.memoryGb)} for instances` : <span className="muted">measured at the first SSH login</span>}
                </dd>
                <dt>Disk</dt>
                <dd data-testid="server-disk">
                  {server.diskGb != null ? `${server.diskGb} GB for instances` : <span className="muted">measured at the first SSH login</span>}
                </dd>
              </>
            )}
            {!registered && (
              <>
                <dt>VM name</dt>
                <dd className="mono">{server.vmName}</dd>
                <dt>Cloud's id</dt>
                <dd className="mono">{server.providerId ?? <span className="muted">not yet known</span>}</dd>
              </>
            )}
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
            <dd>{base.instanceCount}</dd>
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

      <ServerInstances
        serverId={server.id}
        serverName={server.name}
        instances={base.instances}
        onGap={refetch}
        createLink={operate && server.state === 'ACTIVE' ? `/instances/new?provider=SERVER&server=${server.id}` : undefined}
      />

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
          {registered ? (
            <p>
              This drains the server, moving its instances to other servers, then <strong>forgets it</strong>. The host itself is left as it was.
            </p>
          ) : (
            <p>
              This drains the server, moving its instances to other servers, then <strong>deletes its VM at {cloudName(server.provider)}</strong> with
              everything on its disk. It cannot be undone.
            </p>
          )}
          {base.instanceCount > 0 && (
            <p className="field-error">
              It hosts {base.instanceCount} live instance{base.instanceCount === 1 ? '' : 's'}: without room for {base.instanceCount === 1 ? 'it' : 'every one'}{' '}
              on the other servers, nothing moves and the removal fails. Preview with Drain… first.
            </p>
          )}
        </ConfirmDelete>
      )}
    </section>
  );
}
