import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { ClusterEventAddedSubscription, ClusterEventsQuery } from '../lib/documents';
import type { ClusterEventFieldsFragment as Event } from '../gql/graphql';
import { SeverityBadge } from './Badge';
import { ListFoot } from './ListFoot';
import { apiError } from '../lib/errors';
import { dateTime, kindLabel, relativeTime } from '../lib/format';
import { useLive } from '../lib/live';
import { uniqueById, useLoadMore, type LoadMore, type PageInfo } from '../lib/liveList';

const PAGE = 20;

/** Newest first, each event once: live events and fetched pages overlap. */
export function mergeEvents(...lists: Event[][]): Event[] {
  return uniqueById(lists.flat()).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** Events older than the first page (which ends at `first`), fetched by "Load more". */
function useOlderEvents(variables: { first: number; serverId?: string; instanceId?: string }, first: PageInfo | undefined) {
  return useLoadMore(ClusterEventsQuery, variables, (d) => d.clusterEvents, first);
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
  older: LoadMore<Event>;
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
      {(older.hasNextPage || older.error) && <ListFoot shown={rows.length} more={older} small />}
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
