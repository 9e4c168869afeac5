import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { ActiveServersQuery, DrainProgressQuery, MoveInstanceMutation, MoveProgressQuery, OperationUpdatedSubscription } from '../lib/documents';
import { ConfirmDialog } from './ConfirmDialog';
import type { DrainAction, DrainPlanFieldsFragment, InstanceMoveFieldsFragment as Move, MovePhase } from '../gql/graphql';
import { PhaseBadge, StatusBadge } from './Badge';
import { apiError } from '../lib/errors';
import { bytes, gb, pauseMs } from '../lib/fleet';
import { FINAL_PHASES, MOVE_PHASE, MOVE_STEPS, phaseName, unfinished } from '../lib/states';
import { relativeTime } from '../lib/format';
import { useLive, usePollWhile, useThrottled } from '../lib/live';


/**
 * Where a move is, as a row of steps: Copying → Catching up → Cutting over → Promoting →
 * Switched → Done. The steps before its phase are done, its phase is current (done, for DONE).
 * A move rolled back or cancelled shows no step as reached.
 */
export function MovePhases({ phase, label }: { phase: MovePhase; label?: string }) {
  const at = MOVE_STEPS.indexOf(phase);
  const failed = phase === 'ROLLED_BACK' || phase === 'CANCELLED';
  return (
    <ol className={`phases ${failed ? 'phases-stopped' : ''}`} aria-label={label ?? 'Phases'} data-phase={phase}>
      {MOVE_STEPS.map((p, i) => {
        const state = failed || at < 0 ? 'todo' : i < at || phase === 'DONE' ? 'done' : i === at ? 'current' : 'todo';
        return (
          <li key={p} className={`phase phase-${state}`} aria-current={state === 'current' ? 'step' : undefined} title={MOVE_PHASE[p].help}>
            <span className="phase-marker" aria-hidden />
            {phaseName(p)}
            {state === 'done' && <span className="sr-only"> (done)</span>}
          </li>
        );
      })}
    </ol>
  );
}

/** Writes paused for the cutover: the measured window once switched, or "now" while cutting over. */
function WritesPaused({ move }: { move: Move }) {
  if (move.unavailableMs != null)
    return (
      <span className="nowrap" data-testid="writes-paused">
        writes paused <strong>{pauseMs(move.unavailableMs)}</strong>
      </span>
    );
  if (move.phase === 'CUTTING_OVER' || move.phase === 'PROMOTING')
    return (
      <span className="nowrap warn-text" data-testid="writes-paused">
        writes paused now
      </span>
    );
  return <span className="muted">—</span>;
}

/** Why a move did not finish: its own error, or its operation's. */
function moveError(m: Move): string | null {
  return m.error ?? (m.operation?.status === 'FAILED' ? m.operation.error : null) ?? null;
}

/** The moves of a drain (or one move), in order: phase, lag, and the write pause. */
export function MovesTable({ moves, label = 'Moves' }: { moves: readonly Move[]; label?: string }) {
  return (
    <div className="table-scroll">
      <table className="table moves" aria-label={label}>
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Instance</th>
            <th>Phase</th>
            <th>Progress</th>
            <th className="num">Lag</th>
            <th>Writes</th>
          </tr>
        </thead>
        <tbody>
          {[...moves]
            .sort((a, b) => a.position - b.position)
            .map((m) => {
              const error = moveError(m);
              return (
                <tr key={m.id} data-instance={m.instance.name} data-phase={m.phase}>
                  <td className="num">{m.position}</td>
                  <td>
                    <Link to={`/instances/${m.instance.id}`} className="strong">
                      {m.instance.name}
                    </Link>
                    <div className="small">
                      <span className="muted">to </span>
                      <Link to={`/servers/${m.target.id}`}>{m.target.name}</Link>
                    </div>
                  </td>
                  <td>
                    <PhaseBadge phase={m.phase} />
                  </td>
                  <td>
                    <MovePhases phase={m.phase} label={`Phases of ${m.instance.name}`} />
                    {error && (
                      <p className="field-error" data-testid="move-error">
                        {m.phase === 'ROLLED_BACK' ? 'Rolled back: ' : 'Failed: '}
                        {error}
                      </p>
                    )}
                    {m.phase === 'CANCELLED' && !error && <p className="muted small">Never started: the drain stopped first.</p>}
                  </td>
                  <td className="num mono small" title="How far the new copy trailed the primary when last measured">
                    {m.lagBytes != null ? bytes(m.lagBytes) : '—'}
                  </td>
                  <td className="small">
                    <WritesPaused move={m} />
                  </td>
                </tr>
              );
            })}
        </tbody>
      </table>
    </div>
  );
}

/** `2 of 3 moved, longest write pause 812 ms`, with the ones rolled back or cancelled. */
export function movesSummary(moves: readonly Move[]): string {
  const done = moves.filter((m) => m.phase === 'DONE' || m.phase === 'SWITCHED').length;
  const back = moves.filter((m) => m.phase === 'ROLLED_BACK').length;
  const cancelled = moves.filter((m) => m.phase === 'CANCELLED').length;
  const pauses = moves.map((m) => m.unavailableMs).filter((v): v is number => v != null);
  const parts = [`${done} of ${moves.length} moved`];
  if (back) parts.push(`${back} rolled back`);
  if (cancelled) parts.push(`${cancelled} cancelled`);
  if (pauses.length) parts.push(`longest write pause ${pauseMs(Math.max(...pauses))}`);
  return parts.join(', ');
}

/** What each action of a drain plan is called. */
export const DRAIN_ACTION: Record<DrainAction, string> = {
  MOVE: 'Move',
  SWITCHOVER: 'Switch over',
  RELOCATE_STANDBY: 'Relocate standby',
};

/**
 * A drain's plan before it starts: each action (a move, a switchover to a standby elsewhere, a standby's relocation) and
 * where it goes, in order, or why it cannot be done.
 */
export function DrainPreview({
  serverName,
  plan,
  busy = false,
  error,
  onStart,
  onCancel,
}: {
  serverName: string;
  plan: DrainPlanFieldsFragment;
  busy?: boolean;
  error?: string | null;
  onStart: () => void;
  onCancel: () => void;
}) {
  const blocked = plan.blocked;
  const handsOver = plan.moves.some((m) => m.action !== 'MOVE');
  return (
    <div className={`card drain-preview ${blocked ? 'drain-blocked' : ''}`} data-testid="drain-preview" aria-labelledby="drain-preview-title" role="region">
      <h2 id="drain-preview-title">{blocked ? `${serverName} cannot be drained` : `Drain ${serverName}?`}</h2>
      {blocked ? (
        <div className="notice notice-bad" role="alert" data-testid="drain-blocked">
          <div>
            <strong>Nothing would move:</strong> <span className="mono-wrap">{blocked}</span>
            <div className="small muted">Make room elsewhere (register or provision a server, or free one), then preview again.</div>
          </div>
        </div>
      ) : plan.moves.length === 0 ? (
        <p data-testid="drain-nothing">
          {serverName} hosts no instances: nothing moves. Draining only stops Toygres placing new instances on it.
        </p>
      ) : (
        <>
          <p className="muted">
            {handsOver &&
              'First, one instance with standbys at a time, a primary hands over to its standby on another server, and each standby on this server gets a fresh copy elsewhere. '}
            One after the other, each instance gets a copy on its new server that streams its changes and takes over once caught up; writes pause only for
            each cutover. Then nothing new is placed on {serverName}. Nothing has changed yet.
          </p>
          <table className="table" aria-label="Drain plan">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>Instance</th>
                <th>Action</th>
                <th>To</th>
              </tr>
            </thead>
            <tbody>
              {[...plan.moves]
                .sort((a, b) => a.position - b.position)
                .map((m) => (
                  <tr key={m.position} data-instance={m.instanceName} data-action={m.action} data-target={m.targetServerName}>
                    <td className="num">{m.position}</td>
                    <td>
                      <Link to={`/instances/${m.instanceId}`} className="strong">
                        {m.instanceName}
                      </Link>
                    </td>
                    <td>{DRAIN_ACTION[m.action]}</td>
                    <td>
                      <span aria-hidden>→ </span>
                      <Link to={`/servers/${m.targetServerId}`}>{m.targetServerName}</Link>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </>
      )}
      {error && (
        <p className="field-error" role="alert" data-testid="drain-error">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="btn" onClick={onCancel} disabled={busy}>
          {blocked ? 'Close' : 'Cancel'}
        </button>
        {!blocked && (
          <button type="button" className="btn btn-primary" onClick={onStart} disabled={busy} autoFocus>
            {busy ? 'Starting…' : 'Start drain'}
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * A drain (or a removal) followed live: its status, then each move with its phase, lag and
 * write pause. Every `operationUpdated` (the drain's, and each move's) refetches the moves.
 * `onChange` hears each new version, so the page can refetch what the drain changes.
 */
export function DrainProgress({ id, onChange, link = true }: { id: string; onChange?: () => void; link?: boolean }) {
  const [result, reexecute] = useQuery({ query: DrainProgressQuery, variables: { id }, requestPolicy: 'network-only' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const soon = useThrottled(refetch, 300);
  useLive(OperationUpdatedSubscription, {}, soon, refetch);
  const op = result.data?.operation?.id === id ? result.data.operation : null;
  const running = !op || unfinished(op.status) || op.moves.some((m) => !FINAL_PHASES.includes(m.phase));
  // A safety net for changes made between the query and the subscription starting.
  usePollWhile(running, refetch, 3000);

  // The page refetches what the drain changes: its state, and the instances on it.
  const signature = op ? `${op.status}|${op.moves.map((m) => m.phase).join(',')}` : '';
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    if (signature) onChangeRef.current?.();
  }, [signature]);

  const err = apiError(result.error);
  return (
    <div className="card op-progress" data-testid="drain-progress" aria-live="polite">
      <div className="page-head">
        <h2>
          {op?.kind === 'remove_server' ? 'Removal' : 'Drain'} {op && <StatusBadge status={op.status} />}
        </h2>
        {link && (
          <Link to={`/operations/${id}`} className="small">
            Open the operation →
          </Link>
        )}
      </div>
      {err && !op ? (
        <p className="field-error">Could not load the drain: {err.message}</p>
      ) : !op ? (
        <p className="muted">
          <span className="spinner" aria-hidden /> Loading the drain…
        </p>
      ) : (
        <>
          {op.error && (
            <p className={op.status === 'FAILED' ? 'field-error' : 'muted small'} data-testid="drain-failure">
              {op.status === 'FAILED' ? 'Failed' : 'Last failure (will retry)'}: {op.error}
            </p>
          )}
          {op.moves.length === 0 ? (
            <p className="muted" data-testid="drain-summary">
              {unfinished(op.status)
                ? op.step === 'hand_over'
                  ? 'Switching primaries over to standbys elsewhere and relocating standbys, one instance at a time…'
                  : 'Planning the moves…'
                : op.status === 'SUCCEEDED'
                  ? 'Nothing had to move: the server hosted no instances, or only members of instances with standbys, which were handed over.'
                  : 'No instance was moved.'}
            </p>
          ) : (
            <>
              <p className="small muted" data-testid="drain-summary">
                {movesSummary(op.moves)} · started {relativeTime(op.createdAt)}
              </p>
              <MovesTable moves={op.moves} />
            </>
          )}
        </>
      )}
    </div>
  );
}

/** One `move_instance` operation followed live: where to, its phase, lag and the write pause. */
export function MoveProgress({ id, onChange, link = true }: { id: string; onChange?: () => void; link?: boolean }) {
  const [result, reexecute] = useQuery({ query: MoveProgressQuery, variables: { id }, requestPolicy: 'network-only' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const soon = useThrottled(refetch, 300);
  useLive(OperationUpdatedSubscription, { id }, soon, refetch);
  const op = result.data?.operation?.id === id ? result.data.operation : null;
  const move = op?.move ?? null;
  const running = !op || unfinished(op.status) || (move != null && !FINAL_PHASES.includes(move.phase));
  usePollWhile(running, refetch, 3000);

  const signature = op ? `${op.status}|${move?.phase ?? ''}` : '';
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    if (signature) onChangeRef.current?.();
  }, [signature]);

  const err = apiError(result.error);
  const error = move ? moveError(move) : op?.status === 'FAILED' ? op.error : null;
  return (
    <div className="card op-progress" data-testid="move-progress" aria-live="polite">
      <div className="page-head">
        <h2>
          {move ? (
            <>
              Move from {move.source.name} to <Link to={`/servers/${move.target.id}`}>{move.target.name}</Link>
            </>
          ) : (
            'Move'
          )}{' '}
          {op && <StatusBadge status={op.status} />}
        </h2>
        {link && (
          <Link to={`/operations/${id}`} className="small">
            Open the operation →
          </Link>
        )}
      </div>
      {err && !op ? (
        <p className="field-error">Could not load the move: {err.message}</p>
      ) : !op ? (
        <p className="muted">
          <span className="spinner" aria-hidden /> Loading the move…
        </p>
      ) : !move ? (
        <p className="muted">{error ? <span className="field-error">Failed: {error}</span> : 'Preparing the move…'}</p>
      ) : (
        <>
          <div className="move-progress">
            <PhaseBadge phase={move.phase} />
            <MovePhases phase={move.phase} label={`Phases of ${move.instance.name}`} />
          </div>
          <dl className="props">
            <dt>Lag</dt>
            <dd className="mono" data-testid="move-lag">
              {move.lagBytes != null ? bytes(move.lagBytes) : '—'}
            </dd>
            <dt>Writes</dt>
            <dd>
              <WritesPaused move={move} />
            </dd>
          </dl>
          {error && (
            <p className="field-error" data-testid="move-error">
              {move.phase === 'ROLLED_BACK' ? 'Rolled back: ' : 'Failed: '}
              {error}
            </p>
          )}
        </>
      )}
    </div>
  );
}

/**
 * Ask where to move a SERVER instance (a server of its project, or the best one by the
 * placement rule) and start the move; `onStarted` gets its `move_instance` operation's id.
 */
export function MoveInstanceDialog({
  instance,
  onCancel,
  onStarted,
}: {
  instance: { id: string; name: string; projectId: string; serverId: string | null };
  onCancel: () => void;
  onStarted: (operationId: string) => void;
}) {
  const [servers] = useQuery({ query: ActiveServersQuery, requestPolicy: 'network-only' });
  const [{ fetching }, move] = useMutation(MoveInstanceMutation);
  const [target, setTarget] = useState('');
  const [error, setError] = useState<string | null>(null);
  // Servers that could take it: active, reached over SSH, in its project, not where it is.
  const choices = (servers.data?.servers.nodes ?? []).filter((s) => s.projectId === instance.projectId && s.id !== instance.serverId && s.sshHostKey);
  return (
    <ConfirmDialog
      title={`Move ${instance.name}?`}
      confirmLabel="Move instance"
      busyLabel="Starting…"
      busy={fetching}
      error={error}
      onCancel={onCancel}
      onConfirm={async () => {
        setError(null);
        const res = await move(target ? { id: instance.id, serverId: target } : { id: instance.id });
        const e = apiError(res.error);
        if (e) setError(e.message);
        else if (res.data) onStarted(res.data.moveInstance.id);
      }}
    >
      <p>
        A copy is made on the new server from a base backup, streams the instance's changes until it has caught up, then takes over. Writes pause only for
        the cutover, which is measured.
      </p>
      <label htmlFor="move-target">Move to</label>
      <select id="move-target" className="input" value={target} onChange={(e) => setTarget(e.target.value)}>
        <option value="">The best server by the placement rule</option>
        {choices.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name} — {s.region}
            {s.memoryGb != null ? ` · ${gb(s.memoryGb)}` : ''} · {s.instanceCount} instance{s.instanceCount === 1 ? '' : 's'}
          </option>
        ))}
      </select>
      <p className="field-hint">
        {servers.fetching && !servers.data
          ? 'Loading servers…'
          : choices.length === 0
            ? 'No other active server in this project: the placement rule will say why it cannot move.'
            : 'The placement rule picks the active server with the most free memory, then disk, then the fewest instances.'}
      </p>
    </ConfirmDialog>
  );
}
