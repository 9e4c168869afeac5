import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { InstanceUpdatedSubscription, OperationUpdatedSubscription } from '../lib/documents';
import { HealthBadge, StateBadge, StatusBadge } from '../components/Badge';
import { Empty } from '../components/States';
import { kindLabel } from '../lib/format';
import { useLive } from '../lib/live';
import type { Health, InstanceState, OperationStatus } from '../gql/graphql';

/** The most entries the feed keeps; older ones fall off the end. */
const KEEP = 200;

type Entry =
  | { key: string; at: Date; type: 'gap' }
  | { key: string; at: Date; type: 'instance'; id: string; name: string; state: InstanceState; health: Health }
  | { key: string; at: Date; type: 'operation'; id: string; kind: string; status: OperationStatus; step: string; error?: string | null };

/**
 * A live feed of every change the caller may see: instances changing state or health, and
 * operations moving from step to step. It starts empty and fills as things happen.
 */
export function ActivityPage() {
  const [entries, setEntries] = useState<Entry[]>([]);
  const push = useCallback((e: Entry) => setEntries((prev) => [e, ...prev].slice(0, KEEP)), []);
  // The socket (re)connected or the server said we fell behind: events may be missing between
  // what is shown and what comes next. Nothing can be missing before the first event.
  const onGap = useCallback(
    () =>
      setEntries((prev) =>
        prev.length === 0 || prev[0].type === 'gap' ? prev : [{ key: `gap-${Date.now()}`, at: new Date(), type: 'gap' as const }, ...prev].slice(0, KEEP),
      ),
    [],
  );

  useLive(
    InstanceUpdatedSubscription,
    {},
    (d) => {
      const i = d.instanceUpdated;
      push({ key: `i-${i.id}-${i.updatedAt}-${i.state}-${i.health}`, at: new Date(), type: 'instance', id: i.id, name: i.name, state: i.state, health: i.health });
    },
    onGap,
  );
  useLive(
    OperationUpdatedSubscription,
    {},
    (d) => {
      const o = d.operationUpdated;
      push({ key: `o-${o.id}-${o.updatedAt}-${o.status}-${o.step}`, at: new Date(), type: 'operation', id: o.id, kind: o.kind, status: o.status, step: o.step, error: o.error });
    },
    onGap,
  );

  return (
    <section>
      <div className="page-head">
        <h1>Activity</h1>
        <span className="muted small">Live: every change to instances and operations you can see, newest first.</span>
      </div>
      {entries.length === 0 ? (
        <Empty title="Nothing has happened yet">
          <p className="muted">Events appear here as they happen: create, stop or delete an instance to see them.</p>
        </Empty>
      ) : (
        <div className="card table-wrap">
          <table className="table" aria-label="Activity">
            <tbody>
              {entries.map((e) => (
                <tr key={e.key}>
                  <td className="muted small mono">{e.at.toLocaleTimeString()}</td>
                  {e.type === 'gap' ? (
                    <td colSpan={2} className="muted small">
                      The connection dropped or fell behind here; events in between may be missing. The Instances and Operations pages are complete.
                    </td>
                  ) : e.type === 'instance' ? (
                    <>
                      <td>
                        Instance <Link to={`/instances/${e.id}`}>{e.name}</Link>
                      </td>
                      <td>
                        <StateBadge state={e.state} /> <HealthBadge health={e.health} />
                      </td>
                    </>
                  ) : (
                    <>
                      <td>
                        Operation <Link to={`/operations/${e.id}`}>{kindLabel(e.kind)}</Link>{' '}
                        <span className="muted small">
                          at <code>{e.step}</code>
                        </span>
                      </td>
                      <td>
                        <StatusBadge status={e.status} />
                        {e.error && <span className="small muted"> {e.error}</span>}
                      </td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
