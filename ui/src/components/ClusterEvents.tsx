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

/** Newest first, each event once: live events and fetched pages overlap. */
export function mergeEvents(...lists: Event[][]): Event[] {
  const seen = new Set<string>();
  return lists
    .flat()
    .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
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
  const client = useClient();
  const [live, setLive] = useState<Event[]>([]);
  const [more, setMore] = useState<{ rows: Event[]; endCursor: string | null; hasNextPage: boolean } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);
  useEffect(() => {
    setLive([]);
    setMore(null);
  }, [serverId]);

  useLive(ClusterEventAddedSubscription, serverId ? { serverId } : {}, (d) => setLive((prev) => [d.clusterEvents, ...prev]), refetch);

  const rows = useMemo(() => mergeEvents(live, result.data?.clusterEvents.nodes ?? [], more?.rows ?? []), [live, result.data, more]);
  const pageInfo = more ?? result.data?.clusterEvents.pageInfo;

  const loadMore = async () => {
    if (!pageInfo?.endCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    const res = await client.query(ClusterEventsQuery, { ...variables, after: pageInfo.endCursor }, { requestPolicy: 'network-only' }).toPromise();
    setLoadingMore(false);
    const err = apiError(res.error);
    if (err || !res.data) {
      setMoreError(err?.message ?? 'no data');
      return;
    }
    const page = res.data.clusterEvents;
    setMore((prev) => ({ rows: [...(prev?.rows ?? []), ...page.nodes], endCursor: page.pageInfo.endCursor, hasNextPage: page.pageInfo.hasNextPage }));
  };

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

  return (
    <>
      <table className="table" aria-label={serverId ? 'Server events' : 'Fleet events'}>
        <thead>
          <tr>
            <th>When</th>
            <th>Severity</th>
            <th>Event</th>
            <th>Message</th>
            {!serverId && <th>Server</th>}
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
              {!serverId && (
                <td className="nowrap">
                  {e.serverId ? (
                    <Link to={`/servers/${e.serverId}`}>{serverNames[e.serverId] ?? `server ${e.serverId.slice(0, 8)}…`}</Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {(pageInfo?.hasNextPage || moreError) && (
        <div className="list-foot">
          <span className="muted small">{rows.length} shown</span>
          {pageInfo?.hasNextPage && (
            <button className="btn btn-sm" onClick={loadMore} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Load more'}
            </button>
          )}
          {moreError && <span className="field-error">Could not load more: {moreError}. Try again.</span>}
        </div>
      )}
    </>
  );
}
