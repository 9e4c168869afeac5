import { Link } from 'react-router-dom';
import type { OperationStatus } from '../gql/graphql';
import { StatusBadge } from './Badge';
import { kindLabel, relativeTime } from '../lib/format';

/** What the table shows of an operation. */
export interface OperationRow {
  id: string;
  kind: string;
  status: OperationStatus;
  step: string;
  attempts: number;
  createdAt: string;
}

/**
 * The newest operations on one instance or server, as a card titled `title`, with a link to all
 * of them on the Operations page. `tableLabel` names the table for assistive technology.
 */
export function TargetOperations({
  title,
  targetId,
  targetName,
  operations,
  tableLabel,
}: {
  title: string;
  targetId: string;
  targetName: string;
  operations: readonly OperationRow[];
  tableLabel?: string;
}) {
  return (
    <div className="card">
      <div className="page-head">
        <h2>{title}</h2>
        <Link to={`/operations?target=${targetId}`} className="small">
          All operations on {targetName} →
        </Link>
      </div>
      {operations.length === 0 ? (
        <p className="muted">No operations yet.</p>
      ) : (
        <table className="table" aria-label={tableLabel}>
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
            {operations.map((o) => (
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
  );
}
