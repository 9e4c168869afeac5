import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { CreateInstanceMutation, VersionsQuery } from '../lib/documents';
import type { CreateInstanceInput } from '../gql/graphql';
import { apiError, createErrorField, type CreateField } from '../lib/errors';

export interface CreateValues {
  name: string;
  version: string;
  storageGb: string;
  username: string;
  database: string;
  password: string;
}

export type FieldErrors = Partial<Record<CreateField, string>>;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const RESERVED = ['postgres', 'template0', 'template1', 'public'];

/** The server's rules, checked before sending so most mistakes show at once. */
export function validateCreate(v: CreateValues): FieldErrors {
  const e: FieldErrors = {};
  const name = v.name.trim();
  if (!name) e.name = 'Name is required.';
  else if (!DNS_LABEL.test(name)) e.name = "Use 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit.";
  if (v.storageGb.trim()) {
    const n = Number(v.storageGb);
    if (!Number.isInteger(n) || n < 1 || n > 16384) e.storageGb = 'Storage must be a whole number of GB from 1 to 16384.';
  }
  for (const f of ['username', 'database'] as const) {
    const s = v[f].trim();
    if (s && (!IDENT.test(s) || s.startsWith('pg_') || RESERVED.includes(s)))
      e[f] = "Use 1 to 63 lower-case letters, digits or '_', starting with a letter; not postgres or pg_*.";
  }
  if (v.password && v.password.length < 12) e.password = 'Use at least 12 characters, or leave it empty to generate one.';
  return e;
}

export function toInput(v: CreateValues): CreateInstanceInput {
  const input: CreateInstanceInput = { name: v.name.trim() };
  if (v.version) input.version = Number(v.version);
  if (v.storageGb.trim()) input.storageGb = Number(v.storageGb);
  if (v.username.trim()) input.username = v.username.trim();
  if (v.database.trim()) input.database = v.database.trim();
  if (v.password) input.password = v.password;
  return input;
}

export interface CreateFormProps {
  versions: number[];
  submitting: boolean;
  onSubmit: (input: CreateInstanceInput) => Promise<{ code: string; message: string } | null>;
  onCancel?: () => void;
}

/** The form alone, so tests can drive it with a fake `onSubmit`. */
export function CreateInstanceForm({ versions, submitting, onSubmit, onCancel }: CreateFormProps) {
  const [values, setValues] = useState<CreateValues>({ name: '', version: '', storageGb: '10', username: '', database: '', password: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);

  const set = (f: keyof CreateValues) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    setValues((v) => ({ ...v, [f]: e.target.value }));
    if (errors[f as CreateField]) setErrors((x) => ({ ...x, [f]: undefined }));
  };

  const field = (f: CreateField, label: string, input: React.ReactNode, hint?: string) => (
    <div className={`field ${errors[f] ? 'field-invalid' : ''}`}>
      <label htmlFor={`f-${f}`}>{label}</label>
      {input}
      {errors[f] ? (
        <p className="field-error" id={`f-${f}-error`} role="alert">
          {errors[f]}
        </p>
      ) : hint ? (
        <p className="field-hint">{hint}</p>
      ) : null}
    </div>
  );
  const aria = (f: CreateField) => ({ id: `f-${f}`, 'aria-invalid': !!errors[f] || undefined, 'aria-describedby': errors[f] ? `f-${f}-error` : undefined });

  return (
    <form
      className="card form"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setFormError(null);
        const local = validateCreate(values);
        setErrors(local);
        if (Object.keys(local).length) return;
        const err = await onSubmit(toInput(values));
        if (!err) return;
        const f = createErrorField(err as Parameters<typeof createErrorField>[0]);
        if (f) setErrors({ [f]: err.message });
        else setFormError(err.message);
      }}
    >
      {formError && (
        <div className="notice notice-bad" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}
      {field('name', 'Name', <input className="input" {...aria('name')} value={values.name} onChange={set('name')} placeholder="orders-db" autoFocus />, 'Lower-case letters, digits and -, unique in the project.')}
      <div className="field-row">
        {field(
          'version',
          'PostgreSQL version',
          <select className="input" {...aria('version')} value={values.version} onChange={set('version')}>
            <option value="">Newest ({versions.length ? Math.max(...versions) : '…'})</option>
            {[...versions].sort((a, b) => b - a).map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>,
        )}
        {field('storageGb', 'Storage (GB)', <input className="input" type="number" min={1} max={16384} {...aria('storageGb')} value={values.storageGb} onChange={set('storageGb')} />)}
      </div>
      <div className="field-row">
        {field('username', 'Username', <input className="input" {...aria('username')} value={values.username} onChange={set('username')} placeholder="app" autoComplete="off" />, 'Defaults to app.')}
        {field('database', 'Database', <input className="input" {...aria('database')} value={values.database} onChange={set('database')} placeholder="same as username" autoComplete="off" />)}
      </div>
      {field(
        'password',
        'Password',
        <input className="input" type="password" {...aria('password')} value={values.password} onChange={set('password')} autoComplete="new-password" placeholder="leave empty to generate a strong one" />,
        'At least 12 characters; not the username.',
      )}
      <div className="form-actions">
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="btn btn-primary" disabled={submitting}>
          {submitting ? 'Creating…' : 'Create instance'}
        </button>
      </div>
    </form>
  );
}

export function CreateInstancePage() {
  const navigate = useNavigate();
  const [versions] = useQuery({ query: VersionsQuery });
  const [{ fetching }, create] = useMutation(CreateInstanceMutation);
  return (
    <section className="narrow">
      <p className="crumbs">
        <Link to="/instances">Instances</Link> / New
      </p>
      <h1>New instance</h1>
      <CreateInstanceForm
        versions={versions.data?.versions ?? []}
        submitting={fetching}
        onCancel={() => navigate('/instances')}
        onSubmit={async (input) => {
          const res = await create({ input });
          const err = apiError(res.error);
          if (err) return err;
          if (res.data) navigate(`/instances/${res.data.createInstance.instance.id}`, { state: { created: true, operationId: res.data.createInstance.operation.id } });
          return null;
        }}
      />
    </section>
  );
}
