import { useId, useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import type { RestoreDrillFieldsFragment as Drill } from '../../gql/graphql';
import { RestoreDrillPolicyQuery, RunRestoreDrillMutation, SetRestoreDrillPolicyMutation } from '../../lib/documents';
import { Badge } from '../../components/Badge';
import type { PageNotice } from '../../components/States';
import { apiError, type ApiError } from '../../lib/errors';
import { dateTime, relativeTime } from '../../lib/format';
import { DRILL_STATUS, ms, utc } from '../../lib/backups';
import { lookOf } from '../../lib/states';

/** A drill's status as a badge: a failed one is red. */
export function DrillStatusBadge({ status }: { status: Drill['status'] }) {
  const look = lookOf(DRILL_STATUS, status);
  return (
    <Badge tone={look.tone} title={look.help}>
      {look.tone === 'busy' && <span className="spinner-dot" aria-hidden />}
      {status}
    </Badge>
  );
}

/**
 * Each drill's RTO (restore start to the copy taking connections) as a bar, oldest on the
 * left; a failed drill is a red bar the chart's full height, a running one a grey stub.
 */
export function RtoChart({ drills }: { drills: readonly Drill[] }) {
  const shown = [...drills].reverse();
  const rtos = shown.filter((d) => d.status === 'SUCCEEDED' && d.rtoMs != null).map((d) => d.rtoMs as number);
  const top = Math.max(...rtos, 1);
  const slot = 1000 / Math.max(shown.length, 8);
  const bar = slot * 0.7;
  const sorted = [...rtos].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
  return (
    <figure className="rto-chart" data-testid="rto-chart">
      <figcaption className="small muted">
        RTO of the last {shown.length} drill{shown.length === 1 ? '' : 's'}
        {rtos.length > 0 && (
          <>
            {' '}
            · latest {ms(rtos[rtos.length - 1])} · median {ms(median as number)} · longest {ms(top)}
          </>
        )}
      </figcaption>
      <svg viewBox="0 0 1000 120" preserveAspectRatio="none" role="img" aria-label="RTO per drill, oldest first">
        <line x1={0} x2={1000} y1={119} y2={119} className="rto-axis" vectorEffect="non-scaling-stroke" />
        {shown.map((d, i) => {
          const failed = d.status === 'FAILED';
          const h = failed ? 116 : d.rtoMs != null ? Math.max((d.rtoMs / top) * 110, 3) : 6;
          const cls = failed ? 'rto-bar rto-failed' : d.status === 'RUNNING' ? 'rto-bar rto-running' : 'rto-bar';
          return (
            <rect key={d.id} x={i * slot + (slot - bar) / 2} y={119 - h} width={bar} height={h} className={cls} data-status={d.status}>
              <title>
                {dateTime(d.at)} ({utc(d.at)}): {failed ? `failed${d.error ? `: ${d.error}` : ''}` : d.rtoMs != null ? `RTO ${ms(d.rtoMs)}` : 'running'}
              </title>
            </rect>
          );
        })}
      </svg>
    </figure>
  );
}

/** When the project's instances are drilled, and (for its operators) a form to change it. */
function DrillSchedule({ projectId, operate }: { projectId: string; operate: boolean }) {
  const id = useId();
  const [policy, refetch] = useQuery({ query: RestoreDrillPolicyQuery, variables: { projectId } });
  const [{ fetching }, save] = useMutation(SetRestoreDrillPolicyMutation);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const schedule = policy.data?.restoreDrillPolicy.schedule;
  if (editing == null)
    return (
      <p className="small muted" data-testid="drill-schedule">
        This project's instances are drilled on the schedule <code>{schedule ?? '…'}</code> (cron, UTC).{' '}
        {operate && schedule && (
          <button type="button" className="link-button" onClick={() => setEditing(schedule)}>
            Change
          </button>
        )}
      </p>
    );
  return (
    <form
      className="inline-tools spaced-top"
      onSubmit={async (e) => {
        e.preventDefault();
        const res = await save({ projectId, schedule: editing.trim() });
        const err = apiError(res.error);
        if (err) setError(err.message);
        else {
          setEditing(null);
          setError(null);
          refetch({ requestPolicy: 'network-only' });
        }
      }}
    >
      <label htmlFor={`${id}-drill-schedule`} className="inline">
        Drill schedule (cron, UTC, for the whole project)
      </label>
      <input id={`${id}-drill-schedule`} className="input input-sm mono" value={editing} onChange={(e) => setEditing(e.target.value)} aria-invalid={!!error} />
      <button className="btn btn-sm btn-primary" disabled={fetching}>
        Save
      </button>
      <button type="button" className="btn btn-sm" onClick={() => (setEditing(null), setError(null))}>
        Cancel
      </button>
      {error && (
        <p className="field-error full" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/**
 * An instance's restore drills, newest first, with the RTO chart: each drill restores its
 * newest backup into a scratch instance, checks it and times it. A failed one is red. Its
 * operators can run one now (a running instance) and change the project's drill schedule.
 */
export function DrillHistory({
  instance,
  drills,
  operate,
  canRun,
  onNotice,
  onRefused,
  onChanged,
}: {
  instance: { id: string; name: string; projectId: string; state: string };
  drills: readonly Drill[];
  operate: boolean;
  /** Whether the buttons may be offered (not when the API said backups are unsupported). */
  canRun: boolean;
  onNotice: (n: PageNotice) => void;
  onRefused: (err: ApiError) => void;
  onChanged: () => void;
}) {
  const [{ fetching }, run] = useMutation(RunRestoreDrillMutation);
  const running = drills.some((d) => d.status === 'RUNNING');
  const why = instance.state !== 'RUNNING' ? 'Only a running instance is drilled' : running ? 'A drill is under way' : null;
  return (
    <div className="card" data-testid="drills">
      <div className="page-head">
        <h2>Restore drills</h2>
        {operate && canRun && (
          <button
            type="button"
            className="btn"
            disabled={fetching || why != null}
            title={why ?? 'Restore the newest backup into a scratch instance, check it, time it, and delete it'}
            onClick={async () => {
              const res = await run({ instanceId: instance.id });
              const err = apiError(res.error);
              if (err?.code === 'UNSUPPORTED') onRefused(err);
              else if (err) onNotice({ tone: 'bad', text: `Drill refused: ${err.message}` });
              else {
                const op = res.data?.runRestoreDrill.id;
                onNotice({
                  tone: 'info',
                  text: (
                    <>
                      Drill started: the newest backup is restored into a scratch instance, checked and timed, then deleted.{' '}
                      {op && <Link to={`/operations/${op}`}>Follow the operation</Link>}
                    </>
                  ),
                });
                onChanged();
              }
            }}
          >
            {fetching ? 'Starting…' : 'Run drill now'}
          </button>
        )}
      </div>
      <DrillSchedule projectId={instance.projectId} operate={operate && canRun} />
      {drills.length === 0 ? (
        <p className="muted" data-testid="no-drills">
          No drill yet. A drill proves the backups restore: it writes a canary row, restores the newest backup and the WAL after it into a scratch instance,
          checks it and measures how long that took (RTO) and how much was lost (RPO).
        </p>
      ) : (
        <>
          <RtoChart drills={drills} />
          <table className="table" aria-label="Restore drills">
            <thead>
              <tr>
                <th>Started</th>
                <th>Status</th>
                <th className="num">RTO</th>
                <th className="num">RPO</th>
                <th>Finished</th>
              </tr>
            </thead>
            <tbody>
              {drills.map((d) => (
                <tr key={d.id} data-status={d.status} className={d.status === 'FAILED' ? 'row-bad' : undefined}>
                  <td title={utc(d.at)}>
                    {dateTime(d.at)}
                    {d.status === 'FAILED' && d.error && (
                      <p className="field-error" data-testid="drill-error">
                        {d.error}
                      </p>
                    )}
                  </td>
                  <td>
                    {d.operationId ? (
                      <Link to={`/operations/${d.operationId}`}>
                        <DrillStatusBadge status={d.status} />
                      </Link>
                    ) : (
                      <DrillStatusBadge status={d.status} />
                    )}
                  </td>
                  <td className="num">{d.rtoMs != null ? ms(d.rtoMs) : '—'}</td>
                  <td className="num" title="How old the newest restored commit was when the restore began">
                    {d.rpoMs != null ? ms(d.rpoMs) : '—'}
                  </td>
                  <td className="small muted" title={utc(d.finishedAt)}>
                    {d.finishedAt ? relativeTime(d.finishedAt) : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
