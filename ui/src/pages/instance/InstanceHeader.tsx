import { Link } from 'react-router-dom';
import { useMutation, type CombinedError } from 'urql';
import { RestartInstanceMutation, StartInstanceMutation, StopInstanceMutation } from '../../lib/documents';
import { HealthBadge, StateBadge } from '../../components/Badge';
import { Notice, type PageNotice } from '../../components/States';
import { apiError } from '../../lib/errors';
import { providerName } from '../../lib/states';
import { utc } from '../../lib/backups';
import { dateTime, relativeTime } from '../../lib/format';
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

/**
 * What is wrong, each in a banner: why the instance failed, a problem its provider reports,
 * WAL archiving that fails (restores cannot reach past the last archived WAL), and a failed
 * restore drill (its backups may not restore). `onBackups` opens the Backups tab.
 */
export function InstanceProblems({ instance, operate, onBackups }: { instance: InstanceData; operate: boolean; onBackups?: () => void }) {
  const archiving = instance.archiving;
  // `?.`: a live event from an older server may not carry it.
  const drill = instance.lastDrill?.[0];
  const live = instance.state !== 'DELETED';
  const toBackups = onBackups && (
    <button type="button" className="link-button" onClick={onBackups}>
      Open Backups
    </button>
  );
  return (
    <>
      {instance.state === 'FAILED' && instance.failureReason && (
        <Notice tone="bad">
          <strong>Failed:</strong> {instance.failureReason}. {operate && 'Start it to try again, or delete it.'}
        </Notice>
      )}
      {instance.statusMessage && live && (
        <Notice tone="warn" testId="status-message">
          <strong>{providerName(instance.provider)} reports a problem:</strong> <span className="mono-wrap">{instance.statusMessage}</span>
          <div className="small muted">This clears by itself once the problem is gone; the events below say when it began.</div>
        </Notice>
      )}
      {archiving?.lastError && live && (
        <Notice tone="bad" testId="archiving-error">
          <strong>WAL archiving is failing</strong>
          {archiving.lastFailedAt && (
            <span title={utc(archiving.lastFailedAt)}> (last failure {relativeTime(archiving.lastFailedAt)})</span>
          )}
          : <span className="mono-wrap">{archiving.lastError}</span>
          <div className="small muted">
            Until it works again, restores reach only to{' '}
            {archiving.lastArchivedAt ? <span title={utc(archiving.lastArchivedAt)}>{dateTime(archiving.lastArchivedAt)}</span> : 'the last archived WAL'}, and
            the WAL waiting to be archived fills the disk. {toBackups}
          </div>
        </Notice>
      )}
      {drill?.status === 'FAILED' && live && (
        <Notice tone="bad" testId="drill-failed">
          <strong>The last restore drill failed</strong> <span title={utc(drill.at)}>({relativeTime(drill.at)})</span>
          {drill.error && (
            <>
              : <span className="mono-wrap">{drill.error}</span>
            </>
          )}
          <div className="small muted">Its backups may not restore. Run a drill again once the cause is fixed. {toBackups}</div>
        </Notice>
      )}
    </>
  );
}
