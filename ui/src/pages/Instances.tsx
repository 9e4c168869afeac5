import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router-dom';
import { InstanceUpdatedSubscription, InstancesQuery } from '../lib/documents';
import type { Health, InstanceState } from '../gql/graphql';
import { Badge, HealthBadge, ProviderBadge, StateBadge } from '../components/Badge';
import { ListFoot } from '../components/ListFoot';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { apiError } from '../lib/errors';
import { relativeTime } from '../lib/format';
import { useDebounced, usePollWhile } from '../lib/live';
import { useLiveList } from '../lib/liveList';
import { useCanOperateHere, useProjects } from '../lib/projects';
import { HEALTHS, INSTANCE_STATES, INSTANCE_TRANSITIONAL } from '../lib/states';

const PAGE = 20;

export function InstancesPage() {
  const operate = useCanOperateHere();
  const { current } = useProjects();
  const projectId = current?.id ?? null;
  const location = useLocation();
  const [deleted, setDeleted] = useState<string | null>((location.state as { deleted?: string } | null)?.deleted ?? null);
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const stateParam = params.get('state') as InstanceState | null;
  const state = stateParam && INSTANCE_STATES.includes(stateParam) ? stateParam : null;
  const healthParam = params.get('health') as Health | null;
  const health = healthParam && HEALTHS.includes(healthParam) ? healthParam : null;
  const [search, setSearch] = useState(q);
  const debounced = useDebounced(search, 250);

  useEffect(() => {
    if (debounced === q) return;
    const next = new URLSearchParams(params);
    if (debounced) next.set('q', debounced);
    else next.delete('q');
    setParams(next, { replace: true });
  }, [debounced, q, params, setParams]);

  // The current project's only: the API filters by it.
  const filter = useMemo(
    () => ({
      ...(q ? { nameContains: q } : {}),
      ...(state ? { state } : {}),
      ...(health ? { health } : {}),
      ...(projectId ? { projectId } : {}),
    }),
    [q, state, health, projectId],
  );
  const variables = useMemo(() => ({ first: PAGE, filter }), [filter]);
  const list = useLiveList({
    query: InstancesQuery,
    variables,
    pick: (d) => d.instances,
    live: {
      subscription: InstanceUpdatedSubscription,
      variables: {},
      update: (d) => d.instanceUpdated,
      // An instance we have not listed (made elsewhere): fetch the first page again.
      refetchFor: (u) => u.state !== 'DELETED',
    },
  });
  const { result, refetch, more } = list;
  const rows = useMemo(() => list.rows.filter((r) => (state ? true : r.state !== 'DELETED')), [list.rows, state]);

  usePollWhile(rows.some((r) => INSTANCE_TRANSITIONAL.includes(r.state)), refetch, 4000);

  const err = apiError(result.error);
  const filtered = !!(q || state);

  return (
    <section>
      <div className="page-head">
        <h1>
          Instances {current && <span className="h1-sub" data-testid="list-project">in {current.name}</span>}
        </h1>
        {operate && (
          <Link className="btn btn-primary" to="/instances/new">
            + New instance
          </Link>
        )}
      </div>
      {deleted && (
        <Notice tone="info" onClose={() => setDeleted(null)}>
          Deleting <strong>{deleted}</strong>. It leaves this list once it is gone.
        </Notice>
      )}
      <div className="toolbar">
        <input
          className="input"
          type="search"
          placeholder="Search by name"
          aria-label="Search by name"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <select
          className="input"
          aria-label="Filter by state"
          value={state ?? ''}
          onChange={(e) => {
            const next = new URLSearchParams(params);
            if (e.target.value) next.set('state', e.target.value);
            else next.delete('state');
            setParams(next, { replace: true });
          }}
        >
          <option value="">All states (except deleted)</option>
          {INSTANCE_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        {result.fetching && result.data && <span className="spinner" aria-label="Refreshing" />}
      </div>

      {err && !result.data ? (
        <ErrorState error={err} onRetry={refetch} title="Could not load instances" />
      ) : !result.data ? (
        <Loading what="Loading instances" />
      ) : rows.length === 0 ? (
        filtered ? (
          <Empty title="No instances match">
            <p className="muted">Change the search or the state filter.</p>
            <button className="btn" onClick={() => { setSearch(''); setParams(new URLSearchParams(), { replace: true }); }}>
              Clear filters
            </button>
          </Empty>
        ) : (
          <Empty title="No instances yet">
            <p className="muted">Create a PostgreSQL instance to get a connection string in seconds.</p>
            {operate ? (
              <Link className="btn btn-primary" to="/instances/new">
                Create your first instance
              </Link>
            ) : (
              <p className="muted">Your role is read-only; ask a project operator to create one.</p>
            )}
          </Empty>
        )
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="instances-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>State</th>
                  <th>Health</th>
                  <th>Version</th>
                  <th>Endpoint</th>
                  <th>Latency</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} data-instance={r.name}>
                    <td>
                      <Link to={`/instances/${r.id}`} className="strong">
                        {r.name}
                      </Link>{' '}
                      <span data-testid="provider">
                        <ProviderBadge provider={r.provider} />
                      </span>
                    </td>
                    <td data-testid="state">
                      <StateBadge state={r.state} />
                    </td>
                    <td data-testid="health">
                      <HealthBadge health={r.health} />
                      {r.lastDrill?.[0]?.status === 'FAILED' && (
                        <>
                          {' '}
                          <span data-testid="drill-failed">
                            <Badge tone="bad" title={`The last restore drill failed${r.lastDrill[0].error ? `: ${r.lastDrill[0].error}` : ''}`}>
                              drill failed
                            </Badge>
                          </span>
                        </>
                      )}
                    </td>
                    <td>PG {r.version}</td>
                    <td className="mono small">{r.host && r.port ? `${r.host}:${r.port}` : '—'}</td>
                    <td className="small">{r.latencyMs != null ? `${r.latencyMs.toFixed(1)} ms` : '—'}</td>
                    <td className="small muted" title={r.createdAt}>
                      {relativeTime(r.createdAt)}
                    </td>
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
