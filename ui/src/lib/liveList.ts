import { useCallback, useEffect, useMemo, useState } from 'react';
import { useClient, useQuery, type AnyVariables, type TypedDocumentNode, type UseQueryState } from 'urql';
import { apiError } from './errors';
import { useLive } from './live';

/** Where a page of a connection ends, as the list queries select it. */
export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

/** One page of a connection, as the list queries select it. */
export interface Page<Row> {
  nodes: Row[];
  pageInfo: PageInfo;
}

/** A row that changes over time: its id, and when it last changed (an RFC 3339 time). */
export interface Versioned {
  id: string;
  updatedAt: string;
}

/** Whether `a` is at least as new as `b` (a tie goes to `a`, the one that came later). */
function atLeastAsNew(a: Pick<Versioned, 'updatedAt'>, b: Pick<Versioned, 'updatedAt'>): boolean {
  return Date.parse(a.updatedAt) >= Date.parse(b.updatedAt);
}

/**
 * The newer of two versions of one row: `arrived`, unless `held` is newer. Events can arrive
 * out of order, so a late one must not replace what a later one said.
 */
export function newer<T extends Pick<Versioned, 'updatedAt'>>(held: T | null | undefined, arrived: T): T {
  return held && !atLeastAsNew(arrived, held) ? held : arrived;
}

/**
 * `row` with `update` (a live event's version of it) laid over it, when `update` is about the
 * same row and at least as new. An older one (an event that arrived after a fresher fetch) is
 * ignored.
 */
export function overlay<R extends Versioned>(row: R, update: Versioned | null | undefined): R {
  return update && update.id === row.id && atLeastAsNew(update, row) ? ({ ...row, ...update } as R) : row;
}

/** Each row once, where it first appears: pages overlap when rows arrive between fetches. */
export function uniqueById<R extends { id: string }>(rows: readonly R[]): R[] {
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}

/** The pages after a list's first, fetched by "Load more". */
export interface LoadMore<Row> {
  /** The rows of the pages loaded so far, in order (none until "Load more"). */
  rows: Row[];
  /** Whether older rows remain. */
  hasNextPage: boolean;
  /** Whether a page is on its way. */
  loading: boolean;
  /** Why the last page could not be loaded. */
  error: string | null;
  /** Fetch the next page. */
  loadMore: () => Promise<void>;
}

/**
 * "Load more" for a list whose first page ends at `first`: each call fetches the next page with
 * `query` (`variables` plus `after`), from the network, and `pick` finds the connection in its
 * answer. The pages loaded are dropped when `variables` change.
 */
export function useLoadMore<Data, Variables extends AnyVariables, Row>(
  query: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  pick: (data: Data) => Page<Row>,
  first: PageInfo | undefined,
): LoadMore<Row> {
  const client = useClient();
  const [more, setMore] = useState<{ rows: Row[]; pageInfo: PageInfo } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(variables);
  useEffect(() => {
    setMore(null);
    setError(null);
  }, [key]);
  const pageInfo = more?.pageInfo ?? first;

  const loadMore = async () => {
    if (!pageInfo?.endCursor) return;
    setLoading(true);
    setError(null);
    const res = await client.query(query, { ...variables, after: pageInfo.endCursor }, { requestPolicy: 'network-only' }).toPromise();
    setLoading(false);
    const err = apiError(res.error);
    if (err || !res.data) {
      setError(err?.message ?? 'no data');
      return;
    }
    const page = pick(res.data);
    setMore((prev) => ({ rows: [...(prev?.rows ?? []), ...page.nodes], pageInfo: page.pageInfo }));
  };
  return { rows: more?.rows ?? [], hasNextPage: !!pageInfo?.hasNextPage, loading, error, loadMore };
}

/** How a list follows its rows' changes. */
export interface LiveRows<Event, EventVariables extends AnyVariables, Update extends Versioned> {
  /** The subscription that reports a changed row. */
  subscription: TypedDocumentNode<Event, EventVariables>;
  variables: EventVariables;
  /** The changed row in one of its events. */
  update: (event: Event) => Update;
  /**
   * Whether a change to a row the list does not hold (made elsewhere) means the first page
   * should be fetched again; by default it does.
   */
  refetchFor?: (update: Update) => boolean;
}

/** A paged list kept current: see {@link useLiveList}. */
export interface LiveList<Data, Variables extends AnyVariables, Row> {
  /** The first page's query. */
  result: UseQueryState<Data, Variables>;
  /** Fetch the first page again, from the network. */
  refetch: () => void;
  /** The first page and those loaded after it, each row once, with the newest version of each. */
  rows: Row[];
  /** "Load more". */
  more: LoadMore<Row>;
}

/**
 * A list fetched a page at a time and kept current by a subscription: the first page with
 * `query` and `variables` (refetched on a gap in the events), more by "Load more", and each
 * changed row from `live`. Of a fetched row and an event about it, the newer (`updatedAt`) wins,
 * whichever arrived last.
 */
export function useLiveList<
  Data,
  Variables extends AnyVariables,
  Row extends Versioned,
  Event,
  EventVariables extends AnyVariables,
  Update extends Versioned,
>({
  query,
  variables,
  pick,
  live,
}: {
  query: TypedDocumentNode<Data, Variables>;
  variables: Variables;
  /** The connection in the query's answer. */
  pick: (data: Data) => Page<Row>;
  live: LiveRows<Event, EventVariables, Update>;
}): LiveList<Data, Variables, Row> {
  const [result, reexecute] = useQuery({ query, variables, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const firstPage = result.data ? pick(result.data) : undefined;
  const more = useLoadMore(query, variables, pick, firstPage?.pageInfo);

  const fetched = useMemo(() => uniqueById([...(firstPage?.nodes ?? []), ...more.rows]), [firstPage?.nodes, more.rows]);
  const [updates, setUpdates] = useState<Record<string, Update>>({});
  useLive(
    live.subscription,
    live.variables,
    (event) => {
      const u = live.update(event);
      setUpdates((prev) => ({ ...prev, [u.id]: newer(prev[u.id], u) }));
      if (!fetched.some((r) => r.id === u.id) && (live.refetchFor?.(u) ?? true)) refetch();
    },
    refetch,
  );

  const rows = useMemo(() => fetched.map((r) => overlay(r, updates[r.id])), [fetched, updates]);
  return { result, refetch, rows, more };
}
