import type { LoadMore } from '../lib/liveList';

/**
 * Under a paged list: how many rows it shows, "Load more" while older ones remain, and why the
 * last page could not be loaded. `countTestId` marks the count for tests.
 */
export function ListFoot({ shown, more, small = false, countTestId }: { shown: number; more: LoadMore<unknown>; small?: boolean; countTestId?: string }) {
  return (
    <div className="list-foot">
      <span className="muted small" data-testid={countTestId}>
        {shown} shown{more.hasNextPage ? ', more available' : ''}
      </span>
      {more.hasNextPage && (
        <button className={small ? 'btn btn-sm' : 'btn'} onClick={() => void more.loadMore()} disabled={more.loading}>
          {more.loading ? 'Loading…' : 'Load more'}
        </button>
      )}
      {more.error && <span className="field-error">Could not load more: {more.error}. Try again.</span>}
    </div>
  );
}
