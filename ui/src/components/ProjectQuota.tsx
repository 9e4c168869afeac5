import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { ProjectQuotaQuery, SetProjectQuotaMutation } from '../lib/documents';
import type { ProjectQuotaFieldsFragment } from '../gql/graphql';
import { ErrorState, Loading, Notice } from './States';
import { apiError } from '../lib/errors';

type Limit = 'instances' | 'storageGb' | 'servers' | 'standbys';

const LIMITS: { key: Limit; label: string; unit?: string }[] = [
  { key: 'instances', label: 'Instances' },
  { key: 'storageGb', label: 'Storage', unit: 'GB' },
  { key: 'servers', label: 'Servers' },
  { key: 'standbys', label: 'Standbys' },
];

const shown = (n: number | null, unit?: string) => (n === null ? 'unlimited' : unit ? `${n} ${unit}` : `${n}`);

/** A limit typed in the form: blank is unlimited; otherwise a whole number from 0, or an error. */
function parseLimit(text: string): number | null | 'bad' {
  const t = text.trim();
  if (t === '') return null;
  return /^\d+$/.test(t) && Number(t) <= 2147483647 ? Number(t) : 'bad';
}

/** A project's quota next to what it holds; site admins may change it. */
export function ProjectQuota({ projectId, canEdit }: { projectId: string; canEdit: boolean }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ProjectQuotaQuery, variables: { id: projectId } });
  const [project, setProject] = useState<ProjectQuotaFieldsFragment | null>(null);
  useEffect(() => {
    if (data?.project) setProject(data.project);
  }, [data]);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad'; text: string } | null>(null);

  if (!project) {
    if (error) return <ErrorState error={apiError(error)!} onRetry={() => refetch({ requestPolicy: 'network-only' })} title="Could not load the quota" />;
    return fetching ? <Loading what="Loading the quota" /> : null;
  }
  const { quota, usage } = project;
  return (
    <section className="card" aria-label="Quota">
      <div className="page-head">
        <h2>Quota</h2>
        {canEdit && !editing && (
          <button className="btn btn-sm" onClick={() => setEditing(true)}>
            Edit quota…
          </button>
        )}
      </div>
      <p className="muted small" data-testid="quota-source">
        {quota.isDefault ? "The installation's default quota applies." : 'A site admin set this project its own quota.'}
      </p>
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)} testId="quota-notice">
          {notice.text}
        </Notice>
      )}
      <table className="table" aria-label="Quota and usage">
        <thead>
          <tr>
            <th>Limit</th>
            <th className="num">Used</th>
            <th className="num">Quota</th>
          </tr>
        </thead>
        <tbody>
          {LIMITS.map(({ key, label, unit }) => (
            <tr key={key} data-limit={key}>
              <td>{label}</td>
              <td className="num">{shown(usage[key], unit)}</td>
              <td className="num">{shown(quota[key], unit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && (
        <QuotaForm
          projectId={projectId}
          quota={quota}
          onCancel={() => setEditing(false)}
          onSaved={(next, text) => {
            setProject(next);
            setEditing(false);
            setNotice({ tone: 'ok', text });
          }}
        />
      )}
    </section>
  );
}

function QuotaForm({
  projectId,
  quota,
  onCancel,
  onSaved,
}: {
  projectId: string;
  quota: ProjectQuotaFieldsFragment['quota'];
  onCancel: () => void;
  onSaved: (project: ProjectQuotaFieldsFragment, text: string) => void;
}) {
  const [values, setValues] = useState<Record<Limit, string>>(() => ({
    instances: quota.instances?.toString() ?? '',
    storageGb: quota.storageGb?.toString() ?? '',
    servers: quota.servers?.toString() ?? '',
    standbys: quota.standbys?.toString() ?? '',
  }));
  const [errors, setErrors] = useState<Partial<Record<Limit, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching }, setQuota] = useMutation(SetProjectQuotaMutation);

  const save = async (input: Record<string, number | null | boolean>, text: string) => {
    setFormError(null);
    const res = await setQuota({ projectId, input });
    const err = apiError(res.error);
    if (err) {
      setFormError(err.message);
      return;
    }
    if (res.data) onSaved(res.data.setProjectQuota, text);
  };

  return (
    <form
      className="inline-form"
      aria-label="Edit quota"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const input: Record<string, number | null> = {};
        const bad: Partial<Record<Limit, string>> = {};
        for (const { key } of LIMITS) {
          const v = parseLimit(values[key]);
          if (v === 'bad') bad[key] = 'A whole number from 0, or blank for unlimited.';
          else input[key] = v;
        }
        setErrors(bad);
        if (Object.keys(bad).length) return;
        await save(input, 'Quota saved.');
      }}
    >
      {LIMITS.map(({ key, label, unit }) => (
        <div key={key} className={`field ${errors[key] ? 'field-invalid' : ''}`}>
          <label htmlFor={`q-${key}`}>
            {label}
            {unit ? ` (${unit})` : ''}
          </label>
          <input
            id={`q-${key}`}
            className="input"
            inputMode="numeric"
            placeholder="unlimited"
            value={values[key]}
            onChange={(e) => {
              setValues({ ...values, [key]: e.target.value });
              setErrors({ ...errors, [key]: undefined });
            }}
            aria-invalid={!!errors[key] || undefined}
            aria-describedby={errors[key] ? `q-${key}-error` : undefined}
          />
          {errors[key] && (
            <p className="field-error" id={`q-${key}-error`} role="alert">
              {errors[key]}
            </p>
          )}
        </div>
      ))}
      {formError && (
        <p className="field-error" role="alert">
          {formError}
        </p>
      )}
      <div className="actions">
        <button className="btn btn-primary" type="submit" disabled={fetching}>
          Save quota
        </button>
        <button className="btn" type="button" disabled={fetching} onClick={() => save({ useDefault: true }, 'The installation default applies again.')}>
          Use installation default
        </button>
        <button className="btn" type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
