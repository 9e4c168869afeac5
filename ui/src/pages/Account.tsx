import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation } from 'urql';
import { ChangePasswordMutation } from '../lib/documents';
import { Badge, RoleBadge } from '../components/Badge';
import { CopyButton } from '../components/CopyButton';
import { Loading } from '../components/States';
import { CHANGE_PASSWORD_RULES, apiError, errorField } from '../lib/errors';
import { useAuth } from '../lib/auth';
import { useProjects } from '../lib/projects';
import { validatePassword } from './Users';

type Field = 'current' | 'next' | 'confirm';

export function validateChangePassword(v: Record<Field, string>): Partial<Record<Field, string>> {
  const e: Partial<Record<Field, string>> = {};
  if (!v.current) e.current = 'Enter your current password.';
  const next = validatePassword(v.next);
  if (next) e.next = next;
  else if (v.next === v.current) e.next = 'Choose a password different from the current one.';
  if (!e.next && v.confirm !== v.next) e.confirm = 'The two new passwords differ.';
  return e;
}

/** Why the login page shows again after a password change. */
export const PASSWORD_CHANGED = 'Password changed, and every session of yours ended with it: log in with the new password.';

export function ChangePasswordForm() {
  const { logout } = useAuth();
  const [values, setValues] = useState<Record<Field, string>>({ current: '', next: '', confirm: '' });
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching }, change] = useMutation(ChangePasswordMutation);
  const field = (f: Field, label: string, autoComplete: string, hint?: string) => (
    <div className={`field ${errors[f] ? 'field-invalid' : ''}`}>
      <label htmlFor={`pw-${f}`}>{label}</label>
      <input
        id={`pw-${f}`}
        className="input"
        type="password"
        autoComplete={autoComplete}
        value={values[f]}
        onChange={(e) => {
          setValues((x) => ({ ...x, [f]: e.target.value }));
          setErrors((x) => ({ ...x, [f]: undefined }));
        }}
        aria-invalid={!!errors[f] || undefined}
        aria-describedby={errors[f] ? `pw-${f}-error` : undefined}
      />
      {errors[f] ? (
        <p className="field-error" id={`pw-${f}-error`} role="alert">
          {errors[f]}
        </p>
      ) : (
        hint && <p className="field-hint">{hint}</p>
      )}
    </div>
  );
  return (
    <form
      className="card form"
      aria-label="Change password"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setFormError(null);
        const local = validateChangePassword(values);
        setErrors(local);
        if (Object.keys(local).length) return;
        const res = await change({ currentPassword: values.current, newPassword: values.next });
        const err = apiError(res.error);
        if (err) {
          const f = errorField(err, CHANGE_PASSWORD_RULES);
          if (f) setErrors({ [f]: err.message });
          else setFormError(err.message);
          return;
        }
        // The server ended every session of ours, this one included.
        logout(PASSWORD_CHANGED);
      }}
    >
      <h2>Change password</h2>
      {formError && (
        <div className="notice notice-bad" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}
      {field('current', 'Current password', 'current-password')}
      {field('next', 'New password', 'new-password', 'At least 12 characters.')}
      {field('confirm', 'New password again', 'new-password')}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={fetching}>
          {fetching ? 'Changing…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}

export function AccountPage() {
  const { session } = useAuth();
  const { me, projects } = useProjects();
  const user = me ?? session?.user ?? null;
  if (!user) return <Loading what="Loading your account" />;
  const roles = me?.roles ?? session?.user.roles ?? [];
  return (
    <section className="narrow">
      <div className="page-head">
        <h1>Account</h1>
      </div>
      <div className="card">
        <h2>You</h2>
        <dl className="props">
          <dt>Email</dt>
          <dd data-testid="account-email">
            {user.email} {user.isSiteAdmin && <Badge tone="busy">site admin</Badge>}
          </dd>
          <dt>User id</dt>
          <dd>
            <span className="mono small" data-testid="account-id">
              {user.id}
            </span>{' '}
            <CopyButton text={user.id} label="Copy id" />
            <div className="muted small">A project admin adds you to a project by this id.</div>
          </dd>
          <dt>Projects</dt>
          <dd>
            {roles.length === 0 ? (
              <span className="muted">{user.isSiteAdmin ? 'None as a member; as a site admin you administer every project.' : 'None yet: ask a project admin to add you.'}</span>
            ) : (
              <ul className="plain-list">
                {roles.map((r) => (
                  <li key={r.projectId}>
                    <Link to={`/projects/${r.projectId}/members`}>{projects?.find((p) => p.id === r.projectId)?.name ?? r.projectName}</Link> <RoleBadge role={r.role} />
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </dl>
      </div>
      <ChangePasswordForm />
    </section>
  );
}
