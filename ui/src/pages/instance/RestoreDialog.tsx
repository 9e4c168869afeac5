import { useId, useState } from 'react';
import { useMutation } from 'urql';
import type { Provider } from '../../gql/graphql';
import { RestoreInstanceMutation } from '../../lib/documents';
import { apiError, type ApiError } from '../../lib/errors';
import { dateTime } from '../../lib/format';
import { checkTargetTime, fromLocalInput, restoredName, restoreErrorField, restoreWindow, toLocalInput, utc, type RestoreField } from '../../lib/backups';
import { RestoreTimeline } from './RestoreTimeline';

/** What a restore starts from: the source instance and its restore window (RFC 3339 ends). */
export interface RestoreSource {
  id: string;
  name: string;
  provider: Provider;
  plan: string;
  storageGb: number;
  earliestRestoreTime: string;
  latestRestoreTime: string;
  /** When its backups kept finished, for the timeline. */
  backups?: readonly string[];
}

/**
 * Restore `source` into a new instance: its name, and the moment to restore to, the latest
 * restorable one or a date and time picked in local time (sent as UTC). A time outside the
 * window is refused here, before anything is sent; the server's refusals land under the field
 * they are about. `onRestored` gets the new instance and its operation.
 */
export function RestoreDialog({
  source,
  onCancel,
  onRestored,
  onRefused,
}: {
  source: RestoreSource;
  onCancel: () => void;
  onRestored: (instanceId: string, operationId: string, name: string) => void;
  /** A refusal no field explains and the form cannot fix (UNSUPPORTED): the tab says so instead. */
  onRefused?: (err: ApiError) => void;
}) {
  const id = useId();
  const win = restoreWindow(source.earliestRestoreTime, source.latestRestoreTime);
  const [name, setName] = useState(() => restoredName(source.name));
  const [mode, setMode] = useState<'latest' | 'time'>('latest');
  const [time, setTime] = useState(() => (win ? toLocalInput(win.latest) : ''));
  const [errors, setErrors] = useState<Partial<Record<RestoreField | 'form', string>>>({});
  const [{ fetching }, restore] = useMutation(RestoreInstanceMutation);
  const picked = fromLocalInput(time);
  /** Change the picked time; what was said about the last one no longer applies. */
  const pick = (value: string) => {
    setTime(value);
    setErrors(({ targetTime: _, ...rest }) => rest);
  };

  const submit = async () => {
    const next: typeof errors = {};
    if (!name.trim()) next.name = 'Name the new instance.';
    if (mode === 'time') {
      const why = win ? checkTargetTime(time, win) : 'There is no restore window yet.';
      if (why) next.targetTime = why;
    }
    setErrors(next);
    if (Object.keys(next).length) return;
    const res = await restore({
      input: {
        sourceInstanceId: source.id,
        name: name.trim(),
        ...(mode === 'time' && picked != null ? { targetTime: new Date(picked).toISOString() } : {}),
        provider: source.provider,
        plan: source.plan,
        storageGb: source.storageGb,
      },
    });
    const err = apiError(res.error);
    if (err) {
      if (err.code === 'UNSUPPORTED' && onRefused) {
        onRefused(err);
        return;
      }
      const field = restoreErrorField(err);
      // The plan and storage are the source's: their refusals belong to the form.
      setErrors({ [field === 'name' || field === 'targetTime' ? field : 'form']: err.message });
      return;
    }
    const made = res.data?.restoreInstance;
    if (made) onRestored(made.instance.id, made.operation.id, made.instance.name);
  };

  const fieldError = (f: RestoreField) =>
    errors[f] && (
      <p className="field-error" id={`${id}-${f}-error`} role="alert">
        {errors[f]}
      </p>
    );

  return (
    <div className="dialog-backdrop" role="presentation" onClick={onCancel}>
      <form
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        className="dialog dialog-wide"
        noValidate
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
        onSubmit={(e) => {
          e.preventDefault();
          if (!fetching) void submit();
        }}
      >
        <h2 id={`${id}-title`}>Restore {source.name}</h2>
        <p className="muted">
          A <strong>new instance</strong> is made from its backups and archived WAL, as it was at the moment you pick. {source.name} itself is not touched. The
          new instance gets its own password.
        </p>

        <div className="field">
          <label htmlFor={`${id}-name`}>New instance name</label>
          <input
            id={`${id}-name`}
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={!!errors.name}
            aria-describedby={errors.name ? `${id}-name-error` : undefined}
          />
          {fieldError('name')}
        </div>

        <fieldset className="field plain-fieldset">
          <legend>Restore to</legend>
          <label className="radio-line">
            <input type="radio" name={`${id}-mode`} checked={mode === 'latest'} onChange={() => setMode('latest')} /> The latest restorable point{' '}
            <span className="muted small" title={utc(source.latestRestoreTime)}>
              (now {dateTime(source.latestRestoreTime)}, later if more is archived by then)
            </span>
          </label>
          <label className="radio-line">
            <input type="radio" name={`${id}-mode`} checked={mode === 'time'} onChange={() => setMode('time')} /> A point in time
          </label>
        </fieldset>

        {mode === 'time' && (
          <div className="field">
            <label htmlFor={`${id}-time`}>Date and time (your local time)</label>
            <div className="inline-tools">
              <input
                id={`${id}-time`}
                className="input input-time"
                type="datetime-local"
                step={1}
                min={win ? toLocalInput(win.earliest) : undefined}
                max={win ? toLocalInput(win.latest) : undefined}
                value={time}
                onChange={(e) => pick(e.target.value)}
                aria-invalid={!!errors.targetTime}
                aria-describedby={errors.targetTime ? `${id}-targetTime-error` : `${id}-time-utc`}
              />
              {win && (
                <>
                  <button type="button" className="btn btn-sm" onClick={() => pick(toLocalInput(win.earliest))}>
                    Earliest
                  </button>
                  <button type="button" className="btn btn-sm" onClick={() => pick(toLocalInput(win.latest))}>
                    Latest
                  </button>
                </>
              )}
            </div>
            <p className="field-hint" id={`${id}-time-utc`} data-testid="restore-time-utc">
              {picked != null ? `${utc(new Date(picked).toISOString())}` : 'No time picked.'}
            </p>
            {fieldError('targetTime')}
          </div>
        )}

        <RestoreTimeline
          earliest={source.earliestRestoreTime}
          latest={source.latestRestoreTime}
          backups={source.backups}
          selected={mode === 'time' ? picked : win?.latest}
          onPick={(t) => {
            setMode('time');
            pick(toLocalInput(t));
          }}
        />

        {errors.form && (
          <p className="field-error" role="alert">
            {errors.form}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={fetching}>
            {fetching ? 'Restoring…' : 'Restore into a new instance'}
          </button>
        </div>
      </form>
    </div>
  );
}
