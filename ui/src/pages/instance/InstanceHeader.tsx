import { Link } from 'react-router-dom';
import { useMutation, type CombinedError } from 'urql';
import { RestartInstanceMutation, StartInstanceMutation, StopInstanceMutation } from '../../lib/documents';
import { HealthBadge, StateBadge } from '../../components/Badge';
import { Notice, type PageNotice } from '../../components/States';
import { apiError } from '../../lib/errors';
import { providerName } from '../../lib/states';
import type { InstanceData } from './types';

/**
 * The instance's name, state and health, and for its operators the buttons that stop, start,
 * restart, move (on a fleet server, when no move `moveRunning`) and delete it. What a button
 * did goes to `onNotice`; `onChanged` refetches; Move… and Delete… open their dialogs.
 */
export function InstanceHeader({
  instance,
  operate,
  moveRunning,
  onNotice,
  onChanged,
  onMove,
  onDelete,
}: {
  instance: InstanceData;
  operate: boolean;
  moveRunning: boolean;
  onNotice: (notice: PageNotice) => void;
  onChanged: () => void;
  onMove: () => void;
  onDelete: () => void;
}) {
  const { id, name, state } = instance;
  const [stop, doStop] = useMutation(StopInstanceMutation);
  const [start, doStart] = useMutation(StartInstanceMutation);
  const [restart, doRestart] = useMutation(RestartInstanceMutation);
  const busy = stop.fetching || start.fetching || restart.fetching;

  /** Say what `label` led to: refused, or requested with a link to its operation. */
  const act = async (label: string, sent: Promise<{ error?: CombinedError; operationId?: string }>) => {
    const { error, operationId } = await sent;
    const e = apiError(error);
    if (e) onNotice({ tone: 'bad', text: `${label} refused: ${e.message}` });
    else {
      onNotice({ tone: 'info', text: <>{label} requested. {operationId && <Link to={`/operations/${operationId}`}>Follow the operation</Link>}</> });
      onChanged();
    }
  };

  return (
    <>
      <p className="crumbs">
        <Link to="/instances">Instances</Link> / {name}
      </p>
      <div className="page-head">
        <h1>
          {name} <StateBadge state={state} /> <HealthBadge health={instance.health} />
        </h1>
        {operate && state !== 'DELETED' && (
          <div className="actions">
            <button
              className="btn"
              disabled={busy || state !== 'RUNNING'}
              onClick={() => act('Stop', doStop({ id }).then((r) => ({ error: r.error, operationId: r.data?.stopInstance.id })))}
            >
              Stop
            </button>
            <button
              className="btn"
              disabled={busy || !(state === 'STOPPED' || state === 'FAILED')}
              onClick={() => act('Start', doStart({ id }).then((r) => ({ error: r.error, operationId: r.data?.startInstance.id })))}
            >
              Start
            </button>
            <button
              className="btn"
              disabled={busy || state !== 'RUNNING'}
              onClick={() => act('Restart', doRestart({ id }).then((r) => ({ error: r.error, operationId: r.data?.restartInstance.id })))}
            >
              Restart
            </button>
            {instance.provider === 'SERVER' && (
              <button
                className="btn"
                disabled={busy || state !== 'RUNNING' || moveRunning}
                title={moveRunning ? 'A move is under way' : state === 'RUNNING' ? 'Move it to another server; writes pause only for the cutover' : 'Only a running instance moves'}
                onClick={onMove}
              >
                Move…
              </button>
            )}
            <button className="btn btn-danger" disabled={busy || state === 'DELETING'} onClick={onDelete}>
              Delete…
            </button>
          </div>
        )}
      </div>
    </>
  );
}

/** Why the instance failed, and a problem its provider reports, each in a banner. */
export function InstanceProblems({ instance, operate }: { instance: InstanceData; operate: boolean }) {
  return (
    <>
      {instance.state === 'FAILED' && instance.failureReason && (
        <Notice tone="bad">
          <strong>Failed:</strong> {instance.failureReason}. {operate && 'Start it to try again, or delete it.'}
        </Notice>
      )}
      {instance.statusMessage && instance.state !== 'DELETED' && (
        <Notice tone="warn" testId="status-message">
          <strong>{providerName(instance.provider)} reports a problem:</strong> <span className="mono-wrap">{instance.statusMessage}</span>
          <div className="small muted">This clears by itself once the problem is gone; the events below say when it began.</div>
        </Notice>
      )}
    </>
  );
}
