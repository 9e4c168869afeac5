import type { OperationStatus } from '../gql/graphql';
import { dateTime, duration } from '../lib/format';
import { unfinished } from '../lib/states';

export interface Step {
  seq: number;
  step: string;
  enteredAt: string;
}

/** Every step an operation entered; the last is current while it runs. */
export function StepTimeline({ steps, status, finishedAt }: { steps: Step[]; status: OperationStatus; finishedAt: string | null }) {
  const sorted = [...steps].sort((a, b) => a.seq - b.seq);
  if (sorted.length === 0) return <p className="muted">No steps yet: the operation is waiting for a worker.</p>;
  const active = unfinished(status);
  return (
    <ol className="timeline" aria-label="Steps">
      {sorted.map((s, i) => {
        const last = i === sorted.length - 1;
        const next = sorted[i + 1];
        const cls = last ? (active ? 'current' : status === 'FAILED' ? 'failed' : status === 'CANCELLED' ? 'cancelled' : 'done') : 'done';
        return (
          <li key={s.seq} className={`timeline-item timeline-${cls}`} aria-current={last && active ? 'step' : undefined}>
            <span className="timeline-marker" aria-hidden />
            <div className="timeline-body">
              <div className="timeline-title">
                <span className="mono">{s.step}</span>
                {last && active && <span className="muted"> — in progress</span>}
              </div>
              <div className="muted small">
                {dateTime(s.enteredAt)} · {duration(s.enteredAt, next ? next.enteredAt : active ? null : finishedAt)}
              </div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
