import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { ConfiguredProvidersQuery, ServerUpdatedSubscription, ServersQuery } from '../lib/documents';
import type { CloudProvider, ServerState } from '../gql/graphql';
import { ServerStateBadge } from '../components/Badge';
import { ListFoot } from '../components/ListFoot';
import { Empty, ErrorState, Loading } from '../components/States';
import { apiError } from '../lib/errors';
import { relativeTime } from '../lib/format';
import { CLOUDS, SERVER_SOURCES, TOKEN_VARIABLE, cloudList, cloudName, gb } from '../lib/fleet';
import { useDebounced, usePollWhile } from '../lib/live';
import { useLiveList } from '../lib/liveList';
import { useCanOperateHere, useProjects } from '../lib/projects';
import { SERVER_STATES, SERVER_TRANSITIONAL } from '../lib/states';

const PAGE = 20;

/** What the empty fleet says: which clouds servers can be made on, or how to configure one. */
export function NoServers({ configured, operate }: { configured: readonly CloudProvider[] | null; operate: boolean }) {
  if (configured && configured.length === 0)
    return (
      <Empty title="No cloud is configured">
        <p className="muted">
          Toygres has no token for any cloud, so it cannot make servers. Set <code>{TOKEN_VARIABLE.HETZNER}</code> or{' '}
          <code>{TOKEN_VARIABLE.DIGITALOCEAN}</code> (or both) in toygres's environment and restart it.
        </p>
        <p className="muted">
          Hosts you already have can be registered by address; Toygres reaches them with the SSH key in <code>{TOKEN_VARIABLE.EXISTING}</code>.
        </p>
        {operate && (
          <div className="actions center">
            <Link className="btn" to="/servers/register">
              Register a server
            </Link>
          </div>
        )}
      </Empty>
    );
  return (
    <Empty title="No servers yet">
      <p className="muted" data-testid="configured-clouds">
        {configured ? (
          <>
            Servers can be provisioned on <strong>{cloudList(configured)}</strong>.
            {configured.length < CLOUDS.length &&
              ` To add ${cloudList(CLOUDS.filter((c) => !configured.includes(c)))}, set ${CLOUDS.filter((c) => !configured.includes(c))
                .map((c) => TOKEN_VARIABLE[c])
                .join(' or ')}.`}
          </>
        ) : (
          'Checking which clouds are configured…'
        )}
      </p>
      {operate ? (
        <div className="actions center">
          <Link className="btn btn-primary" to="/servers/new">
            Provision your first server
          </Link>
          <Link className="btn" to="/servers/scale">
            Scale a group
          </Link>
          <Link className="btn" to="/servers/register">
            Register a server
          </Link>
        </div>
      ) : (
        <p className="muted">Your role is read-only; ask a project operator to provision one.</p>
      )}
    </Empty>
  );
}

export function ServersPage() {
  const operate = useCanOperateHere();
  const { current } = useProjects();
  const projectId = current?.id ?? null;
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const stateParam = params.get('state') as ServerState | null;
  const state = stateParam && SERVER_STATES.includes(stateParam) ? stateParam : null;
  const providerParam = params.get('provider') as CloudProvider | null;
  const provider = providerParam && SERVER_SOURCES.includes(providerParam) ? providerParam : null;
  const [search, setSearch] = useState(q);
  const debounced = useDebounced(search, 250);

  useEffect(() => {
    if (debounced === q) return;
    const next = new URLSearchParams(params);
    if (debounced) next.set('q', debounced);
    else next.delete('q');
    setParams(next, { replace: true });
  }, [debounced, q, params, setParams]);

  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  // The current project's only: the API filters by it.
  const filter = useMemo(
    () => ({
      ...(q ? { nameContains: q } : {}),
      ...(state ? { state } : {}),
      ...(provider ? { provider } : {}),
      ...(projectId ? { projectId } : {}),
    }),
    [q, state, provider, projectId],
  );
  const variables = useMemo(() => ({ first: PAGE, filter }), [filter]);
  const list = useLiveList({
    query: ServersQuery,
    variables,
    pick: (d) => d.servers,
    live: {
      subscription: ServerUpdatedSubscription,
      variables: {},
      update: (d) => d.serverUpdated,
      // A server we have not listed (provisioned elsewhere, or by a scaling): fetch the first page again.
      refetchFor: (u) => u.state !== 'REMOVED',
    },
  });
  const { result, refetch, more } = list;
  const [clouds] = useQuery({ query: ConfiguredProvidersQuery });
  const rows = useMemo(() => list.rows.filter((r) => (state ? true : r.state !== 'REMOVED')), [list.rows, state]);

  usePollWhile(rows.some((r) => SERVER_TRANSITIONAL.includes(r.state)), refetch, 4000);

  const err = apiError(result.error);
  const filtered = !!(q || state || provider);
  const configured = clouds.data?.configuredProviders ?? null;

  return (
    <section>
      <div className="page-head">
        <h1>
          Servers {current && <span className="h1-sub" data-testid="list-project">in {current.name}</span>}
        </h1>
        {operate && (
          <div className="actions">
            <Link className="btn" to="/servers/scale">
              Scale…
            </Link>
            <Link className="btn" to="/servers/register">
              Register server
            </Link>
            <Link className="btn btn-primary" to="/servers/new">
              + New server
            </Link>
          </div>
        )}
      </div>
      <div className="toolbar">
        <input
          className="input"
          type="search"
          placeholder="Search by name"
          aria-label="Search by name"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <select className="input" aria-label="Filter by state" value={state ?? ''} onChange={(e) => setParam('state', e.target.value)}>
          <option value="">All states (except removed)</option>
          {SERVER_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <select className="input" aria-label="Filter by cloud" value={provider ?? ''} onChange={(e) => setParam('provider', e.target.value)}>
          <option value="">All clouds and hosts</option>
          {SERVER_SOURCES.map((c) => (
            <option key={c} value={c}>
              {cloudName(c)}
            </option>
          ))}
        </select>
        {result.fetching && result.data && <span className="spinner" aria-label="Refreshing" />}
      </div>

      {err && !result.data ? (
        <ErrorState error={err} onRetry={refetch} title="Could not load servers" />
      ) : !result.data ? (
        <Loading what="Loading servers" />
      ) : rows.length === 0 ? (
        filtered ? (
          <Empty title="No servers match">
            <p className="muted">Change the search or the filters.</p>
            <button
              className="btn"
              onClick={() => {
                setSearch('');
                setParams(new URLSearchParams(), { replace: true });
              }}
            >
              Clear filters
            </button>
          </Empty>
        ) : (
          <NoServers configured={configured} operate={operate} />
        )
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="servers-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>State</th>
                  <th>Cloud or host</th>
                  <th>Plan or size</th>
                  <th>Region</th>
                  <th>IPv4</th>
                  <th className="num">Instances</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} data-server={r.name}>
                    <td>
                      <Link to={`/servers/${r.id}`} className="strong">
                        {r.name}
                      </Link>
                    </td>
                    <td data-testid="state">
                      <ServerStateBadge state={r.state} />
                    </td>
                    <td>{cloudName(r.provider)}</td>
                    <td className="mono small">
                      {r.provider === 'EXISTING' ? (
                        <span title="Memory and disk instances may use">{r.memoryGb != null ? `${gb(r.memoryGb)} · ${r.diskGb ?? '—'} GB` : '—'}</span>
                      ) : (
                        r.plan
                      )}
                    </td>
                    <td className="mono small">{r.region}</td>
                    <td className="mono small">{r.ipv4 ?? '—'}</td>
                    <td className="num">{r.instanceCount}</td>
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
