import { Link } from 'react-router-dom';
import { PhaseBadge } from '../../components/Badge';
import { pauseMs } from '../../lib/fleet';
import { relativeTime } from '../../lib/format';
import type { InstanceData } from './types';

type Move = InstanceData['moves'][number];

/** An instance's moves between servers, newest first: where from and to, how far, how long writes paused. */
export function InstanceMoves({ moves }: { moves: readonly Move[] }) {
  return (
    <div className="card">
      <h2>Moves</h2>
      <table className="table" aria-label="Moves between servers">
        <thead>
          <tr>
            <th>From</th>
            <th>To</th>
            <th>Phase</th>
            <th>Writes paused</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {moves.map((m) => (
            <tr key={m.id} data-phase={m.phase}>
              <td>
                <Link to={`/servers/${m.source.id}`}>{m.source.name}</Link>
              </td>
              <td>
                <Link to={`/servers/${m.target.id}`}>{m.target.name}</Link>
              </td>
              <td>
                {m.operation ? (
                  <Link to={`/operations/${m.operation.id}`}>
                    <PhaseBadge phase={m.phase} />
                  </Link>
                ) : (
                  <PhaseBadge phase={m.phase} />
                )}
                {m.error && <div className="field-error small">{m.error}</div>}
              </td>
              <td>{m.unavailableMs != null ? pauseMs(m.unavailableMs) : <span className="muted">—</span>}</td>
              <td className="small muted" title={m.createdAt}>
                {relativeTime(m.createdAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
