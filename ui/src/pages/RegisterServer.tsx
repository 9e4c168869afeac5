import { useState, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation } from 'urql';
import { RegisterServerMutation } from '../lib/documents';
import type { RegisterServerInput } from '../gql/graphql';
import { Empty } from '../components/States';
import { apiError, type ApiError } from '../lib/errors';
import { registerErrorField, toRegisterInput, validateRegister, type RegisterErrors, type RegisterField, type RegisterValues } from '../lib/fleet';
import { useCanOperateHere, useProjects } from '../lib/projects';

export const REGISTER_DEFAULTS: RegisterValues = { name: '', address: '', sshPort: '22', sshUser: 'root', region: '', memoryGb: '', diskGb: '' };

export interface RegisterFormProps {
  submitting: boolean;
  onSubmit: (input: RegisterServerInput) => Promise<ApiError | null>;
  onCancel?: () => void;
}

/**
 * The form alone, so tests can drive it with a fake `onSubmit`: a host Toygres did not make,
 * by address and SSH login. Each server error lands under the field it is about.
 */
export function RegisterServerForm({ submitting, onSubmit, onCancel }: RegisterFormProps) {
  const [values, setValues] = useState<RegisterValues>(REGISTER_DEFAULTS);
  const [errors, setErrors] = useState<RegisterErrors>({});
  const [formError, setFormError] = useState<string | null>(null);

  const set = (f: RegisterField) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const v = e.target.value;
    setValues((x) => ({ ...x, [f]: v }));
    if (errors[f]) setErrors((x) => ({ ...x, [f]: undefined }));
  };
  const field = (f: RegisterField, label: ReactNode, input: ReactNode, hint?: ReactNode) => (
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
  const props = (f: RegisterField) => ({
    id: `f-${f}`,
    className: 'input',
    value: values[f],
    onChange: set(f),
    autoComplete: 'off',
    spellCheck: false,
    'aria-invalid': !!errors[f] || undefined,
    'aria-describedby': errors[f] ? `f-${f}-error` : undefined,
  });

  return (
    <form
      className="card form"
      noValidate
      aria-label="Register a server"
      onSubmit={async (e) => {
        e.preventDefault();
        setFormError(null);
        const local = validateRegister(values);
        setErrors(local);
        if (Object.keys(local).length) return;
        const err = await onSubmit(toRegisterInput(values));
        if (!err) return;
        const f = registerErrorField(err);
        if (f) setErrors({ [f]: err.message });
        else setFormError(err.message);
      }}
    >
      {formError && (
        <div className="notice notice-bad" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}
      <div className="field-row">
        {field('name', 'Name', <input {...props('name')} placeholder="db-host-1" autoFocus />, 'Lower-case letters, digits and -, unique in the project.')}
        {field('address', 'Address', <input {...props('address')} placeholder="203.0.113.10" />, 'Its IP address: SSH is reached there, and its instances listen there.')}
      </div>
      <div className="field-row">
        {field('sshPort', 'SSH port', <input {...props('sshPort')} type="number" min={1} max={65535} inputMode="numeric" />)}
        {field('sshUser', 'SSH user', <input {...props('sshUser')} />, 'root, postgres, or a user that may sudo -u postgres.')}
      </div>
      {field('region', 'Region (optional)', <input {...props('region')} placeholder="default" />, 'A name of your choosing; placement can ask for one. Empty: default.')}
      <div className="field-row">
        {field('memoryGb', 'Memory for instances, GB (optional)', <input {...props('memoryGb')} type="number" min={0.25} step="any" placeholder="measured if empty" />, 'Empty: measured at the first login.')}
        {field('diskGb', 'Disk for instances, GB (optional)', <input {...props('diskGb')} type="number" min={1} step={1} placeholder="measured if empty" />, 'Empty: the free disk under its instances’ directory.')}
      </div>
      <p className="field-hint">
        Toygres makes the server an SSH key of its own and shows it next: add it to the SSH user’s authorized_keys on the host. Toygres logs in with that key
        alone, trusts and records the host key the server presents (a server that later presents another is refused), finds its PostgreSQL versions, memory
        and disk, and makes it active.
      </p>
      <div className="form-actions">
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="btn btn-primary" disabled={submitting}>
          {submitting ? 'Registering…' : 'Register server'}
        </button>
      </div>
    </form>
  );
}

export function RegisterServerPage() {
  const navigate = useNavigate();
  const operate = useCanOperateHere();
  const { current: project } = useProjects();
  const [{ fetching }, register] = useMutation(RegisterServerMutation);
  if (!operate)
    return (
      <Empty title="Read-only">
        <p className="muted">Your role is read-only; ask a project operator to register a server.</p>
      </Empty>
    );
  return (
    <section className="narrow">
      <p className="crumbs">
        <Link to="/servers">Servers</Link> / Register
      </p>
      <h1>Register a server {project && <span className="h1-sub">in {project.name}</span>}</h1>
      <p className="muted">A host Toygres did not make (bare metal, or a VM from elsewhere) that it can place instances on, reached over SSH.</p>
      <RegisterServerForm
        submitting={fetching}
        onCancel={() => navigate('/servers')}
        onSubmit={async (input) => {
          const res = await register({ input: project ? { ...input, projectId: project.id } : input });
          const err = apiError(res.error);
          if (err) return err;
          if (res.data) {
            const { server, operation } = res.data.registerServer;
            navigate(`/servers/${server.id}`, { state: { registered: true, operationId: operation.id } });
          }
          return null;
        }}
      />
    </section>
  );
}
