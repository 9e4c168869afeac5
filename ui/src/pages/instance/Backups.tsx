import { useCallback, useId, useState, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import type { BackupFieldsFragment as Backup, BackupKind, InstanceBackupsQuery } from '../../gql/graphql';
import {
  CreateBackupMutation,
  InstanceBackupsPageQuery,
  InstanceBackupsQuery as BackupsQuery,
  InstanceUpdatedSubscription,
  OperationUpdatedSubscription,
  SetBackupPolicyMutation,
} from '../../lib/documents';
import { Badge } from '../../components/Badge';
import { ListFoot } from '../../components/ListFoot';
import { ErrorState, Loading, Notice, type PageNotice } from '../../components/States';
import { BACKUP_KIND, BACKUP_STATUS, POLICY_RULES, backupsSupported, restoreWindow, utc } from '../../lib/backups';
import { apiError, errorField, type ApiError } from '../../lib/errors';
import { bytes } from '../../lib/fleet';
import { dateTime, duration, relativeTime } from '../../lib/format';
import { useLive, usePollWhile, useThrottled } from '../../lib/live';
import { uniqueById, useLoadMore } from '../../lib/liveList';
import { labelOf, lookOf, providerName } from '../../lib/states';
import { DrillHistory } from './DrillHistory';
import { RestoreDialog } from './RestoreDialog';
import { RestoreTimeline } from './RestoreTimeline';
import type { InstanceData } from './types';

const PAGE = 20;
const DRILLS = 20;

type Fetched = NonNullable<InstanceBackupsQuery['instance']>;
type Source = Pick<InstanceData, 'id' | 'name' | 'projectId' | 'provider' | 'plan' | 'storageGb' | 'state'>;

/** A backup's status as a badge. */
export function BackupStatusBadge({ status }: { status: Backup['status'] }) {
  const look = lookOf(BACKUP_STATUS, status);
  return (
    <Badge tone={look.tone} title={look.help}>
      {look.tone === 'busy' && <span className="spinner-dot" aria-hidden />}
      {status}
    </Badge>
  );
}

/**
 * The Backups tab's data: the instance's policy, window, archiving, first page of backups and
 * drills, fetched again (at most every half second) whenever the instance changes (its backups,
 * drills and archiving failures touch it) or one of its operations does. It is also polled:
 * often while a backup or a drill runs, and otherwise every 15 s while the instance archives,
 * since the window's end moves forward with the archived WAL without an event. "Load more"
 * fetches older backups.
 */
function useBackups(id: string, archives: boolean) {
  const [result, reexecute] = useQuery({ query: BackupsQuery, variables: { id, first: PAGE, drills: DRILLS }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const soon = useThrottled(refetch, 500);
  useLive(InstanceUpdatedSubscription, { id }, soon, refetch);
  useLive(OperationUpdatedSubscription, {}, (d) => d.operationUpdated.targetId === id && soon(), refetch);
  const inst = result.data?.instance ?? null;
  const busy = !!inst && (inst.backups.nodes.some((b) => b.status === 'RUNNING') || inst.restoreDrills.some((d) => d.status === 'RUNNING'));
  usePollWhile(busy || archives, refetch, busy ? 4000 : 15_000);
  const more = useLoadMore(
    InstanceBackupsPageQuery,
    { id, first: PAGE },
    (d) => d.instance?.backups ?? { nodes: [], pageInfo: { hasNextPage: false, endCursor: null } },
    inst?.backups.pageInfo,
  );
  const backups = uniqueById([...(inst?.backups.nodes ?? []), ...more.rows]);
  return { result, refetch, inst, backups, more };
}

/** The backups, newest first: kind, status, when, how long, how big. */
function BackupsTable({ backups }: { backups: readonly Backup[] }) {
  return (
    <table className="table" aria-label="Backups">
      <thead>
        <tr>
          <th>Started</th>
          <th>Kind</th>
          <th>Status</th>
          <th>Took</th>
          <th className="num">Size</th>
          <th className="num">Stored</th>
          <th>Label</th>
        </tr>
      </thead>
      <tbody>
        {backups.map((b) => (
          <tr key={b.id} data-status={b.status} data-kind={b.kind} className={b.status === 'FAILED' ? 'row-bad' : b.status === 'EXPIRED' ? 'row-muted' : undefined}>
            <td title={utc(b.startedAt)}>
              {dateTime(b.startedAt)} <span className="muted small">({relativeTime(b.startedAt)})</span>
              {b.error && <p className="field-error">{b.error}</p>}
            </td>
            <td title={BACKUP_KIND[b.kind]?.help}>{labelOf(BACKUP_KIND, b.kind)}</td>
            <td>
              {b.operationId ? (
                <Link to={`/operations/${b.operationId}`}>
                  <BackupStatusBadge status={b.status} />
                </Link>
              ) : (
                <BackupStatusBadge status={b.status} />
              )}
            </td>
            <td className="small">{b.finishedAt || b.status === 'RUNNING' ? duration(b.startedAt, b.finishedAt) : '—'}</td>
            <td className="num small" title="The database's size">
              {b.sizeBytes != null ? bytes(b.sizeBytes) : '—'}
            </td>
            <td className="num small" title="What it takes in the repository: compressed, and only the changes for a differential">
              {b.storedBytes != null ? bytes(b.storedBytes) : '—'}
            </td>
            <td className="mono small">{b.label ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** When the instance is backed up in full and how far back it restores; its operators change it here. */
function BackupPolicyCard({ instanceId, policy, operate, onSaved }: { instanceId: string; policy: Fetched['backupPolicy']; operate: boolean; onSaved: () => void }) {
  const id = useId();
  const [editing, setEditing] = useState<{ schedule: string; retentionDays: string } | null>(null);
  const [errors, setErrors] = useState<Partial<Record<'schedule' | 'retentionDays' | 'form', string>>>({});
  const [{ fetching }, save] = useMutation(SetBackupPolicyMutation);
  const cancel = () => {
    setEditing(null);
    setErrors({});
  };
  return (
    <div className="card" data-testid="backup-policy">
      <div className="page-head">
        <h2>Backup policy</h2>
        {operate && !editing && (
          <button type="button" className="btn btn-sm" onClick={() => setEditing({ schedule: policy.schedule, retentionDays: String(policy.retentionDays) })}>
            Edit policy
          </button>
        )}
      </div>
      {!editing ? (
        <dl className="props">
          <dt>Full backup</dt>
          <dd>
            <code>{policy.schedule}</code> <span className="muted small">(cron: minute hour day month weekday, in UTC)</span>
          </dd>
          <dt>Retention</dt>
          <dd>
            {policy.retentionDays} day{policy.retentionDays === 1 ? '' : 's'} <span className="muted small">(how far back a restore reaches)</span>
          </dd>
        </dl>
      ) : (
        <form
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            const days = Number(editing.retentionDays);
            const next: typeof errors = {};
            if (!editing.schedule.trim()) next.schedule = 'Give a cron schedule of five fields, such as 0 3 * * *.';
            else if (editing.schedule.trim().split(/\s+/).length !== 5) next.schedule = 'A cron schedule has five fields: minute hour day-of-month month day-of-week.';
            if (!Number.isInteger(days) || days < 1 || days > 3650) next.retentionDays = 'Retention is a whole number of days from 1 to 3650.';
            setErrors(next);
            if (Object.keys(next).length) return;
            const res = await save({ instanceId, schedule: editing.schedule.trim(), retentionDays: days });
            const err = apiError(res.error);
            if (err) {
              setErrors({ [errorField(err, POLICY_RULES) ?? 'form']: err.message });
              return;
            }
            cancel();
            onSaved();
          }}
        >
          <div className="field-row">
            <div className="field">
              <label htmlFor={`${id}-schedule`}>Full backup schedule (cron, UTC)</label>
              <input
                id={`${id}-schedule`}
                className="input mono"
                value={editing.schedule}
                onChange={(e) => setEditing({ ...editing, schedule: e.target.value })}
                aria-invalid={!!errors.schedule}
                aria-describedby={`${id}-schedule-hint`}
                spellCheck={false}
              />
              {errors.schedule ? (
                <p className="field-error" role="alert">
                  {errors.schedule}
                </p>
              ) : (
                <p className="field-hint" id={`${id}-schedule-hint`}>
                  <code>0 3 * * *</code> daily at 03:00 UTC, <code>0 */6 * * *</code> every six hours, <code>0 2 * * 0</code> Sundays at 02:00.
                </p>
              )}
            </div>
            <div className="field">
              <label htmlFor={`${id}-retention`}>Retention (days)</label>
              <input
                id={`${id}-retention`}
                className="input"
                type="number"
                min={1}
                max={3650}
                value={editing.retentionDays}
                onChange={(e) => setEditing({ ...editing, retentionDays: e.target.value })}
                aria-invalid={!!errors.retentionDays}
              />
              {errors.retentionDays && (
                <p className="field-error" role="alert">
                  {errors.retentionDays}
                </p>
              )}
            </div>
          </div>
          {errors.form && (
            <p className="field-error" role="alert">
              {errors.form}
            </p>
          )}
          <div className="form-actions">
            <button type="button" className="btn" onClick={cancel}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={fetching}>
              {fetching ? 'Saving…' : 'Save policy'}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

/** Why backups cannot be used here, in place of the buttons that would fail. */
function Unsupported({ children }: { children: ReactNode }) {
  return (
    <Notice tone="info" testId="backups-unsupported">
      {children}
    </Notice>
  );
}

/**
 * The Backups tab: the restore window as a timeline (Restore… into a new instance), the
 * backups (Back up now), the backup policy, and the restore drills with their RTO chart.
 * Kubernetes instances are not backed up yet: the tab says so and offers nothing. A refusal
 * UNSUPPORTED (no pgBackRest on this installation, a fleet server without object storage)
 * replaces the buttons with its reason.
 */
export function BackupsTab({ instance, operate }: { instance: Source; operate: boolean }) {
  if (!backupsSupported(instance.provider))
    return (
      <Unsupported>
        <strong>Backups of {providerName(instance.provider)} instances are not supported yet.</strong> Toygres takes no backups of {instance.name}, so it
        cannot be restored to a point in time. Back it up with your cluster's own tools for now.
      </Unsupported>
    );
  return <Backups instance={instance} operate={operate} />;
}

function Backups({ instance, operate }: { instance: Source; operate: boolean }) {
  const navigate = useNavigate();
  const { result, refetch, inst, backups, more } = useBackups(instance.id, instance.state === 'RUNNING');
  const [notice, setNotice] = useState<PageNotice | null>(null);
  const [refused, setRefused] = useState<ApiError | null>(null);
  const [restoring, setRestoring] = useState(false);
  const [kind, setKind] = useState<BackupKind>('FULL');
  const [backup, doBackup] = useMutation(CreateBackupMutation);

  const err = apiError(result.error);
  if (err && !inst) return <ErrorState error={err} onRetry={refetch} title="Could not load the backups" />;
  if (!inst) return <Loading what="Loading backups" />;

  const refuse = (e: ApiError) => {
    setRefused(e);
    setRestoring(false);
  };
  const actions = operate && !refused;
  const win = restoreWindow(inst.earliestRestoreTime, inst.latestRestoreTime);
  const kept = backups.filter((b) => b.status === 'SUCCEEDED' && b.finishedAt).map((b) => b.finishedAt as string);
  const backupRunning = backups.some((b) => b.status === 'RUNNING');
  const whyNoBackup = instance.state !== 'RUNNING' ? 'Only a running instance is backed up' : backupRunning ? 'A backup is being taken' : null;

  return (
    <div data-testid="backups-tab">
      {refused && (
        <Unsupported>
          <strong>Backups are not available for this instance:</strong> <span className="mono-wrap">{refused.message}</span>
        </Unsupported>
      )}
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)}>
          {notice.text}
        </Notice>
      )}

      <div className="card" data-testid="restore-window">
        <div className="page-head">
          <h2>Restore window</h2>
          {actions && (
            <button
              type="button"
              className="btn btn-primary"
              disabled={!win}
              title={win ? 'Make a new instance from the backups, as it was at a moment you pick' : 'There is nothing to restore until the first backup has finished'}
              onClick={() => setRestoring(true)}
            >
              Restore to a point in time…
            </button>
          )}
        </div>
        {win && inst.earliestRestoreTime && inst.latestRestoreTime ? (
          <>
            <RestoreTimeline earliest={inst.earliestRestoreTime} latest={inst.latestRestoreTime} backups={kept} />
            <p className="small muted">
              It can be restored to any second from <span title={utc(inst.earliestRestoreTime)}>{dateTime(inst.earliestRestoreTime)}</span> to{' '}
              <span title={utc(inst.latestRestoreTime)}>{dateTime(inst.latestRestoreTime)}</span> (your local time; hover for UTC). The window's end follows the
              archived WAL, a little behind the present.
            </p>
          </>
        ) : (
          <p className="muted" data-testid="no-window">
            {instance.state === 'DELETED'
              ? 'Nothing to restore: it had no backup kept.'
              : 'Nothing to restore yet. The first full backup is taken as soon as the instance runs; the window opens when it has finished.'}
          </p>
        )}
        {inst.archiving && (
          <p className="small muted" data-testid="archiving">
            WAL last archived <span title={utc(inst.archiving.lastArchivedAt)}>{relativeTime(inst.archiving.lastArchivedAt)}</span>.
            {inst.archiving.lastError && (
              <span className="field-error">
                {' '}
                Archiving is failing: {inst.archiving.lastError}
              </span>
            )}
          </p>
        )}
      </div>

      <div className="card">
        <div className="page-head">
          <h2>Backups</h2>
          {actions && instance.state !== 'DELETED' && (
            <div className="inline-tools">
              <select className="input input-sm" aria-label="Kind of backup" value={kind} onChange={(e) => setKind(e.target.value as BackupKind)}>
                <option value="FULL">Full</option>
                <option value="DIFFERENTIAL">Differential</option>
              </select>
              <button
                type="button"
                className="btn"
                disabled={backup.fetching || whyNoBackup != null}
                title={whyNoBackup ?? 'Take a backup now, besides the scheduled ones'}
                onClick={async () => {
                  const res = await doBackup({ instanceId: instance.id, kind });
                  const e = apiError(res.error);
                  if (e?.code === 'UNSUPPORTED') refuse(e);
                  else if (e) setNotice({ tone: 'bad', text: `Backup refused: ${e.message}` });
                  else {
                    const op = res.data?.createBackup.id;
                    setNotice({
                      tone: 'info',
                      text: (
                        <>
                          Backup requested; it appears below when it starts. {op && <Link to={`/operations/${op}`}>Follow the operation</Link>}
                        </>
                      ),
                    });
                    refetch();
                  }
                }}
              >
                {backup.fetching ? 'Requesting…' : 'Back up now'}
              </button>
            </div>
          )}
        </div>
        {backups.length === 0 ? (
          <p className="muted" data-testid="no-backups">
            No backups yet.
          </p>
        ) : (
          <>
            <BackupsTable backups={backups} />
            <ListFoot shown={backups.length} more={more} small countTestId="backups-count" />
          </>
        )}
      </div>

      <BackupPolicyCard
        instanceId={instance.id}
        policy={inst.backupPolicy}
        operate={actions && instance.state !== 'DELETED'}
        onSaved={() => {
          setNotice({ tone: 'ok', text: 'Backup policy saved. The scheduler follows it from now on.' });
          refetch();
        }}
      />

      <DrillHistory
        instance={instance}
        drills={inst.restoreDrills}
        operate={operate && instance.state !== 'DELETED'}
        canRun={!refused}
        onNotice={setNotice}
        onRefused={refuse}
        onChanged={refetch}
      />

      {restoring && inst.earliestRestoreTime && inst.latestRestoreTime && (
        <RestoreDialog
          source={{ ...instance, earliestRestoreTime: inst.earliestRestoreTime, latestRestoreTime: inst.latestRestoreTime, backups: kept }}
          onCancel={() => setRestoring(false)}
          onRefused={refuse}
          onRestored={(newId, operationId, name) => navigate(`/instances/${newId}`, { state: { created: true, operationId, restoredFrom: instance.name, name } })}
        />
      )}
    </div>
  );
}
