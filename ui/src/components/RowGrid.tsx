import type { RowSetFieldsFragment } from '../gql/graphql';

/** One value as Postgres rendered it (JSON): null, text, a number, a boolean, or JSON. */
export function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The rows of a RowSet (`rows` is JSON: a list of lists), or none if it is not that. */
export function rowsOf(set: Pick<RowSetFieldsFragment, 'rows'>): unknown[][] {
  return Array.isArray(set.rows) ? (set.rows as unknown[]).filter((r): r is unknown[] => Array.isArray(r)) : [];
}

/** A grid of rows under their columns, each headed by its name and type. */
export function RowGrid({ columns, rows, label }: { columns: RowSetFieldsFragment['columns']; rows: unknown[][]; label: string }) {
  return (
    <div className="grid-wrap">
      <table className="table grid" aria-label={label} data-testid="row-grid">
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={`${c.name}-${i}`} scope="col">
                <span className="grid-col">{c.name}</span>
                <span className="grid-type">{c.dataType.toLowerCase()}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {columns.map((c, j) => {
                const t = cellText(r[j]);
                return (
                  <td key={`${c.name}-${j}`} className="mono small" title={t && t.length > 60 ? t : undefined}>
                    {t === null ? <span className="null">NULL</span> : t}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p className="muted small grid-empty">No rows.</p>}
    </div>
  );
}
