import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { InstanceRowsQuery, InstanceTablesQuery, RunReadOnlyQueryMutation } from '../lib/documents';
import type { InstanceTablesQuery as TablesData, RowSetFieldsFragment } from '../gql/graphql';
import { Badge } from './Badge';
import { RowGrid, rowsOf } from './RowGrid';
import { ErrorState, Loading } from './States';
import { apiError, type ApiError } from '../lib/errors';

type Table = NonNullable<TablesData['instance']>['tables'][number];
const PAGE = 50;

/** `812 B`, `16 kB`, `1.2 MB`. */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** The planner's estimate: `~1,200 rows`, or that it has never been analyzed. */
export function estimate(n: number): string {
  if (n < 0) return 'not analyzed';
  return `~${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;
}

/** `"public"."orders"`: a name safe to paste into SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** An error from the API, with its code, as the page shows it. */
function ApiErrorNotice({ error, testId }: { error: ApiError; testId?: string }) {
  return (
    <div className="notice notice-bad" role="alert" data-testid={testId}>
      <div>
        <code className="err-code">{error.code}</code> <span className="mono-wrap">{error.message}</span>
      </div>
    </div>
  );
}

/** A table's rows, a page at a time in key order, "Load more" for the next. */
function TableRows({ instanceId, table, onQuery }: { instanceId: string; table: Table; onQuery: (sql: string) => void }) {
  const client = useClient();
  const [page, setPage] = useState<{ set: RowSetFieldsFragment; rows: unknown[][] } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      setError(null);
      const res = await client
        .query(InstanceRowsQuery, { id: instanceId, table: table.name, schema: table.schema, first: PAGE, after }, { requestPolicy: 'network-only' })
        .toPromise();
      setLoading(false);
      const err = apiError(res.error);
      const set = res.data?.instance?.rows;
      if (err || !set) {
        setError(err ?? { code: 'NOT_FOUND', message: 'the instance is gone' });
        return;
      }
      setPage((prev) => ({ set, rows: after && prev ? [...prev.rows, ...rowsOf(set)] : rowsOf(set) }));
    },
    [client, instanceId, table.name, table.schema],
  );

  useEffect(() => {
    setPage(null);
    void load(null);
  }, [load]);

  const qualified = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
  return (
    <div data-testid="table-rows">
      <div className="page-head">
        <h3 className="mono">
          {table.schema}.{table.name}
        </h3>
        <button type="button" className="btn btn-sm" onClick={() => onQuery(`select * from ${qualified} limit 100`)}>
          Query in SQL
        </button>
      </div>
      <details className="table-meta">
        <summary className="small">
          {table.columns.length} column{table.columns.length === 1 ? '' : 's'}, {table.indexes.length} index{table.indexes.length === 1 ? '' : 'es'} · {bytes(table.sizeBytes)}
        </summary>
        <ul className="plain-list small">
          {table.columns.map((c) => (
            <li key={c.name}>
              <code>{c.name}</code> <span className="muted">{c.dataType}</span>
              {c.primaryKey && <Badge tone="info">primary key</Badge>} {!c.nullable && <span className="muted">not null</span>}
              {c.default && <span className="muted"> default {c.default}</span>}
            </li>
          ))}
          {table.indexes.map((i) => (
            <li key={i.name} className="mono-wrap muted">
              {i.definition}
            </li>
          ))}
        </ul>
      </details>
      {error && <ApiErrorNotice error={error} testId="rows-error" />}
      {page ? (
        <>
          <RowGrid columns={page.set.columns} rows={page.rows} label={`Rows of ${table.schema}.${table.name}`} />
          <div className="list-foot">
            <span className="muted small" data-testid="rows-count">
              {page.rows.length} row{page.rows.length === 1 ? '' : 's'} shown
              {page.set.nextCursor ? ', more available' : page.set.truncated ? '; the rest is over the 1 MiB limit of a page' : ''}
            </span>
            {page.set.nextCursor && (
              <button type="button" className="btn" disabled={loading} onClick={() => void load(page.set.nextCursor)}>
                {loading ? 'Loading…' : 'Load more'}
              </button>
            )}
          </div>
        </>
      ) : (
        loading && <Loading what="Loading rows" />
      )}
    </div>
  );
}

/** Run one read-only statement and show its rows, or the error with its code. */
function SqlEditor({ instanceId, sql, setSql }: { instanceId: string; sql: string; setSql: (s: string) => void }) {
  const [result, setResult] = useState<{ set: RowSetFieldsFragment; ms: number } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [{ fetching }, run] = useMutation(RunReadOnlyQueryMutation);

  const submit = async () => {
    if (!sql.trim() || fetching) return;
    setError(null);
    const t0 = performance.now();
    const res = await run({ instanceId, sql });
    const ms = performance.now() - t0;
    const err = apiError(res.error);
    if (err) {
      setResult(null);
      setError(err);
      return;
    }
    if (res.data) setResult({ set: res.data.runReadOnlyQuery, ms });
  };

  const rows = result ? rowsOf(result.set) : [];
  return (
    <form
      className="card"
      aria-label="SQL query"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2>SQL</h2>
      <label htmlFor="sql-editor" className="sr-only">
        Read-only SQL
      </label>
      <textarea
        id="sql-editor"
        className="input sql-editor"
        rows={5}
        spellCheck={false}
        placeholder="select * from pg_catalog.pg_tables limit 20"
        value={sql}
        onChange={(e) => setSql(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void submit();
          }
        }}
      />
      <div className="sql-actions">
        <p className="field-hint">
          One statement that returns rows (<code>SELECT</code>, <code>VALUES</code>, <code>TABLE</code>, <code>WITH … SELECT</code>), run as the instance's own role in a read-only
          transaction that is rolled back: 5 s, 500 rows and 1 MiB at most. Ctrl+Enter runs it.
        </p>
        <button type="submit" className="btn btn-primary" disabled={fetching || !sql.trim()}>
          {fetching ? 'Running…' : 'Run'}
        </button>
      </div>
      {error && <ApiErrorNotice error={error} testId="sql-error" />}
      {result && (
        <div className="sql-result">
          <p className="muted small" data-testid="sql-summary">
            {rows.length} row{rows.length === 1 ? '' : 's'}
            {result.set.truncated ? ' (more were left out: 500 rows or 1 MiB at most)' : ''} · {Math.round(result.ms)} ms
          </p>
          <RowGrid columns={result.set.columns} rows={rows} label="Query result" />
        </div>
      )}
    </form>
  );
}

/**
 * An instance's data: its tables with estimated rows, a table's rows a page at a time, and
 * read-only SQL. For admins and operators of a RUNNING instance (the API refuses others).
 */
export function DataBrowser({ instanceId }: { instanceId: string }) {
  const [result, reexecute] = useQuery({ query: InstanceTablesQuery, variables: { id: instanceId }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [selected, setSelected] = useState<{ schema: string; name: string } | null>(null);
  const [sql, setSql] = useState('');
  const sqlRef = useRef<HTMLDivElement>(null);

  const err = apiError(result.error);
  const tables = result.data?.instance?.tables ?? null;
  const table = tables?.find((t) => t.schema === selected?.schema && t.name === selected?.name) ?? null;

  return (
    <div className="data-browser">
      <div className="browser">
        <div className="card browser-tables">
          <div className="page-head">
            <h2>Tables</h2>
            <button type="button" className="btn btn-sm btn-ghost" onClick={refetch} disabled={result.fetching} aria-label="Refresh tables">
              ↻
            </button>
          </div>
          {err && !result.data ? (
            <ErrorState error={err} onRetry={refetch} title="Could not list the tables" />
          ) : !tables ? (
            <Loading what="Listing tables" />
          ) : tables.length === 0 ? (
            <p className="muted" data-testid="no-tables">
              No tables in this database yet. Create some with any PostgreSQL client and the connection string; the SQL below can still read the system catalogs.
            </p>
          ) : (
            <ul className="table-list" aria-label="Tables">
              {tables.map((t) => {
                const on = t.schema === selected?.schema && t.name === selected?.name;
                return (
                  <li key={`${t.schema}.${t.name}`}>
                    <button type="button" className={`table-item ${on ? 'selected' : ''}`} aria-pressed={on} data-table={`${t.schema}.${t.name}`} onClick={() => setSelected({ schema: t.schema, name: t.name })}>
                      <span className="mono">
                        {t.schema !== 'public' && <span className="muted">{t.schema}.</span>}
                        {t.name}
                      </span>
                      {t.kind !== 'table' && <Badge tone="muted">{t.kind}</Badge>}
                      <span className="muted small table-est">
                        {estimate(t.estimatedRows)} · {bytes(t.sizeBytes)}
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </div>
        <div className="card browser-rows">
          {table ? (
            <TableRows
              key={`${table.schema}.${table.name}`}
              instanceId={instanceId}
              table={table}
              onQuery={(q) => {
                setSql(q);
                sqlRef.current?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
              }}
            />
          ) : (
            <p className="muted">{tables && tables.length ? 'Choose a table to see its rows.' : 'Rows of a table show here.'}</p>
          )}
        </div>
      </div>
      <div ref={sqlRef}>
        <SqlEditor instanceId={instanceId} sql={sql} setSql={setSql} />
      </div>
    </div>
  );
}
