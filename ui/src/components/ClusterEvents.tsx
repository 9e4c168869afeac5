import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { useClient, useQuery } from 'urql';
import { ClusterEventAddedSubscription, ClusterEventsQuery } from '../lib/documents';
import type { ClusterEventFieldsFragment as Event } from '../gql/graphql';
import { SeverityBadge } from './Badge';
import { apiError } from '../lib/errors';
import { dateTime, kindLabel, relativeTime } from '../lib/format';
import { useLive } from '../lib/live';

const PAGE = 20;

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Newest first, each event once: live events and fetched pages overlap. */
export function mergeEvents(...lists: Event[][]): Event[] {
  const seen = new Set<string>();
  return lists
    .flat()
    .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** Pages after the first (`first`), fetched by "Load more"; reset when `variables` change. */
function useOlderEvents(variables: { first: number; serverId?: string; instanceId?: string }, first: PageInfo | undefined) {
  const client = useClient();
  const [more, setMore] = useState<{ rows: Event[]; endCursor: string | null; hasNextPage: boolean } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(variables);
  useEffect(() => {
    setMore(null);
    setError(null);
  }, [key]);
  const pageInfo = more ?? first;

  const loadMore = async () => {
    if (!pageInfo?.endCursor) return;
    setLoading(true);
    setError(null);
    const res = await client.query(ClusterEventsQuery, { ...variables, after: pageInfo.endCursor }, { requestPolicy: 'network-only' }).toPromise();
    setLoading(false);
    const err = apiError(res.error);
    if (err || !res.data) {
      setError(err?.message ?? 'no data');
      return;
    }
    const page = res.data.clusterEvents;
    setMore((prev) => ({ rows: [...(prev?.rows ?? []), ...page.nodes], endCursor: page.pageInfo.endCursor, hasNextPage: page.pageInfo.hasNextPage }));
  };
  return { rows: more?.rows ?? [], hasNextPage: !!pageInfo?.hasNextPage, loadMore, loading, error };
}

/** The events as a table, with "Load more" under it when there are older ones. */
function EventTable({
  label,
  rows,
  older,
  showAbout,
  serverNames = {},
}: {
  label: string;
  rows: Event[];
  older: ReturnType<typeof useOlderEvents>;
  showAbout: boolean;
  serverNames?: Record<string, string>;
}) {
  return (
    <>
      <table className="table" aria-label={label}>
        <thead>
          <tr>
            <th>When</th>
            <th>Severity</th>
            <th>Event</th>
            <th>Message</th>
            {showAbout && <th>About</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.id} data-event={e.kind}>
              <td className="small muted nowrap" title={dateTime(e.createdAt)}>
                {relativeTime(e.createdAt)}
              </td>
              <td>
                <SeverityBadge severity={e.severity} />
              </td>
              <td className="mono small nowrap">{kindLabel(e.kind)}</td>
              <td>{e.message}</td>
              {showAbout && (
                <td className="nowrap">
                  {e.serverId ? (
                    <Link to={`/servers/${e.serverId}`}>{serverNames[e.serverId] ?? `server ${e.serverId.slice(0, 8)}…`}</Link>
                  ) : e.instanceId ? (
                    <Link to={`/instances/${e.instanceId}`}>instance {e.instanceId.slice(0, 8)}…</Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {(older.hasNextPage || older.error) && (
        <div className="list-foot">
          <span className="muted small">{rows.length} shown</span>
          {older.hasNextPage && (
            <button className="btn btn-sm" onClick={older.loadMore} disabled={older.loading}>
              {older.loading ? 'Loading…' : 'Load more'}
            </button>
          )}
          {older.error && <span className="field-error">Could not load more: {older.error}. Try again.</span>}
        </div>
      )}
    </>
  );
}

/**
 * Fleet events, newest first: the fleet's (and the cluster's own), or one server's with
 * `serverId`. New ones arrive by the `clusterEvents` subscription; older ones by "Load more".
 * `serverNames` names the servers the events link to, where the page knows them.
 */
export function ClusterEvents({ serverId, serverNames = {} }: { serverId?: string; serverNames?: Record<string, string> }) {
  const variables = useMemo(() => ({ first: PAGE, ...(serverId ? { serverId } : {}) }), [serverId]);
  const [result, reexecute] = useQuery({ query: ClusterEventsQuery, variables, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [live, setLive] = useState<Event[]>([]);
  useEffect(() => setLive([]), [serverId]);

  useLive(ClusterEventAddedSubscription, serverId ? { serverId } : {}, (d) => setLive((prev) => [d.clusterEvents, ...prev]), refetch);

  const older = useOlderEvents(variables, result.data?.clusterEvents.pageInfo);
  const rows = useMemo(() => mergeEvents(live, result.data?.clusterEvents.nodes ?? [], older.rows), [live, result.data, older.rows]);

  const err = apiError(result.error);
  if (err && !result.data) return <p className="field-error">Could not load events: {err.message}</p>;
  if (!result.data && rows.length === 0)
    return (
      <p className="muted">
        <span className="spinner" aria-hidden /> Loading events…
      </p>
    );
  if (rows.length === 0)
    return <p className="muted">{serverId ? 'No events yet. They appear here as the server changes.' : 'No fleet events yet. Provision a server to see them.'}</p>;

  return <EventTable label={serverId ? 'Server events' : 'Fleet events'} rows={rows} older={older} showAbout={!serverId} serverNames={serverNames} />;
}

/**
 * One instance's events, newest first: the first page comes with the instance (`initial`),
 * new ones by the `clusterEvents(instanceId)` subscription, older ones by "Load more".
 * `onGap` refetches the instance when the subscription may have missed some.
 */
export function InstanceEvents({
  instanceId,
  initial,
  onGap,
  empty,
}: {
  instanceId: string;
  initial: { nodes: Event[]; pageInfo: PageInfo };
  onGap: () => void;
  empty: string;
}) {
  const variables = useMemo(() => ({ first: PAGE, instanceId }), [instanceId]);
  const [live, setLive] = useState<Event[]>([]);
  useEffect(() => setLive([]), [instanceId]);

  useLive(ClusterEventAddedSubscription, { instanceId }, (d) => setLive((prev) => [d.clusterEvents, ...prev]), onGap);

  const older = useOlderEvents(variables, initial.pageInfo);
  const rows = useMemo(() => mergeEvents(live, initial.nodes, older.rows), [live, initial.nodes, older.rows]);
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return <EventTable label="Instance events" rows={rows} older={older} showAbout={false} />;
}
