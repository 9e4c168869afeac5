import { useCallback, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { CreateUserMutation, DeleteUserMutation, DisableUserMutation, EnableUserMutation, ResetPasswordMutation, UsersQuery } from '../lib/documents';
import type { UserFieldsFragment as User } from '../gql/graphql';
import { Badge } from '../components/Badge';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { USER_RULES, apiError, errorField } from '../lib/errors';
import { useAccess, useProjects } from '../lib/projects';

/** The server's minimum password length. */
export const MIN_PASSWORD = 12;

export function validateEmail(email: string): string | null {
  const e = email.trim();
  if (!e) return 'Email is required.';
  if (!/^[^\s@]+@[^\s@]+$/.test(e)) return 'Use an address like name@example.com.';
  return null;
}

export function validatePassword(password: string): string | null {
  if (!password) return 'Password is required.';
  if ([...password].length < MIN_PASSWORD) return `Use at least ${MIN_PASSWORD} characters.`;
  return null;
}

function CreateUserForm({ onCreated }: { onCreated: (u: User) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [siteAdmin, setSiteAdmin] = useState(false);
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching }, create] = useMutation(CreateUserMutation);
  return (
    <form
      className="card form"
      aria-label="New user"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setFormError(null);
        const local = { email: validateEmail(email) ?? undefined, password: validatePassword(password) ?? undefined };
        setErrors(local);
        if (local.email || local.password) return;
        const res = await create({ email: email.trim(), password, siteAdmin });
        const err = apiError(res.error);
        if (err) {
          const f = errorField(err, USER_RULES);
          if (f) setErrors({ [f]: err.message });
          else setFormError(err.message);
          return;
        }
        if (res.data) {
          setEmail('');
          setPassword('');
          setSiteAdmin(false);
          onCreated(res.data.createUser);
        }
      }}
    >
      <h2>New user</h2>
      {formError && (
        <div className="notice notice-bad" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}
      <div className="field-row">
        <div className={`field ${errors.email ? 'field-invalid' : ''}`}>
          <label htmlFor="u-email">Email</label>
          <input
            id="u-email"
            className="input"
            type="email"
            autoComplete="off"
            value={email}
            onChange={(e) => {
              setEmail(e.target.value);
              setErrors((x) => ({ ...x, email: undefined }));
            }}
            aria-invalid={!!errors.email || undefined}
            aria-describedby={errors.email ? 'u-email-error' : undefined}
          />
          {errors.email && (
            <p className="field-error" id="u-email-error" role="alert">
              {errors.email}
            </p>
          )}
        </div>
        <div className={`field ${errors.password ? 'field-invalid' : ''}`}>
          <label htmlFor="u-password">Password</label>
          <input
            id="u-password"
            className="input"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setErrors((x) => ({ ...x, password: undefined }));
            }}
            aria-invalid={!!errors.password || undefined}
            aria-describedby={errors.password ? 'u-password-error' : 'u-password-hint'}
          />
          {errors.password ? (
            <p className="field-error" id="u-password-error" role="alert">
              {errors.password}
            </p>
          ) : (
            <p className="field-hint" id="u-password-hint">
              At least {MIN_PASSWORD} characters. Tell it to them; they can change it on their Account page.
            </p>
          )}
        </div>
      </div>
      <label className="inline spaced-top">
        <input type="checkbox" checked={siteAdmin} onChange={(e) => setSiteAdmin(e.target.checked)} /> Site admin (manages users, signing keys and every
        project)
      </label>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={fetching}>
          {fetching ? 'Creating…' : 'Create user'}
        </button>
      </div>
    </form>
  );
}

function ResetPasswordDialog({ user, onDone }: { user: User; onDone: (changed: boolean) => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, reset] = useMutation(ResetPasswordMutation);
  return (
    <ConfirmDialog
      title={`Set a new password for ${user.email}`}
      confirmLabel="Set password"
      busyLabel="Setting…"
      busy={fetching}
      error={error}
      onCancel={() => onDone(false)}
      onConfirm={async () => {
        const local = validatePassword(password);
        if (local) return setError(local);
        const res = await reset({ userId: user.id, password });
        const err = apiError(res.error);
        if (err) return setError(err.message);
        onDone(true);
      }}
    >
      <label htmlFor="r-password">New password</label>
      <input
        id="r-password"
        className="input"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => {
          setPassword(e.target.value);
          setError(null);
        }}
      />
      <p className="field-hint">At least {MIN_PASSWORD} characters. Sessions they already have keep working until they expire.</p>
    </ConfirmDialog>
  );
}

export function UsersPage() {
  const a = useAccess();
  const { me } = useProjects();
  const [result, reexecute] = useQuery({ query: UsersQuery, pause: !a.isSiteAdmin, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad' | 'info'; text: string } | null>(null);
  const [disabling, setDisabling] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  const [dialogError, setDialogError] = useState<string | null>(null);
  const [disable, doDisable] = useMutation(DisableUserMutation);
  const [enable, doEnable] = useMutation(EnableUserMutation);
  const [del, doDelete] = useMutation(DeleteUserMutation);

  if (!a.isSiteAdmin)
    return (
      <Empty title="Only site admins manage users">
        <p className="muted">Project admins add existing users to their projects on the project's Members page.</p>
      </Empty>
    );
  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load users" />;
  if (!result.data) return <Loading what="Loading users" />;
  const users = result.data.users;

  return (
    <section>
      <div className="page-head">
        <h1>Users</h1>
        <span className="muted small">Everyone who can log in. A new user belongs to no project until a project admin adds them.</span>
      </div>
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)} testId="users-notice">
          {notice.text}
        </Notice>
      )}
      <CreateUserForm
        onCreated={(u) => {
          setNotice({ tone: 'ok', text: `Created ${u.email}. Add them to a project on its Members page.` });
          refetch();
        }}
      />
      <div className="table-wrap">
        <table className="table" aria-label="Users">
          <thead>
            <tr>
              <th>Email</th>
              <th>Status</th>
              <th>ID</th>
              <th className="num">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => {
              const self = u.id === me?.id;
              return (
                <tr key={u.id} data-user={u.email}>
                  <td>
                    <span className="strong">{u.email}</span> {u.isSiteAdmin && <Badge tone="busy">site admin</Badge>} {self && <Badge tone="info">you</Badge>}
                  </td>
                  <td data-testid="user-status">{u.disabled ? <Badge tone="bad">disabled</Badge> : <Badge tone="ok">active</Badge>}</td>
                  <td className="mono small muted">{u.id}</td>
                  <td className="num">
                    <div className="actions end">
                      <button
                        className="btn btn-sm"
                        onClick={() => {
                          setNotice(null);
                          setResetting(u);
                        }}
                      >
                        Reset password…
                      </button>
                      {!self &&
                        (u.disabled ? (
                          <button
                            className="btn btn-sm"
                            disabled={enable.fetching}
                            onClick={async () => {
                              const res = await doEnable({ id: u.id });
                              const e = apiError(res.error);
                              setNotice(e ? { tone: 'bad', text: `Could not enable ${u.email}: ${e.message}` } : { tone: 'ok', text: `Enabled ${u.email}.` });
                              refetch();
                            }}
                          >
                            Enable
                          </button>
                        ) : (
                          <button
                            className="btn btn-sm"
                            onClick={() => {
                              setDialogError(null);
                              setDisabling(u);
                            }}
                          >
                            Disable…
                          </button>
                        ))}
                      {!self && (
                        <button
                          className="btn btn-sm btn-danger"
                          onClick={() => {
                            setDialogError(null);
                            setDeleting(u);
                          }}
                        >
                          Delete…
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      {resetting && (
        <ResetPasswordDialog
          user={resetting}
          onDone={(changed) => {
            if (changed) setNotice({ tone: 'ok', text: `Set a new password for ${resetting.email}.` });
            setResetting(null);
          }}
        />
      )}
      {disabling && (
        <ConfirmDialog
          title={`Disable ${disabling.email}?`}
          confirmLabel="Disable user"
          busyLabel="Disabling…"
          danger
          busy={disable.fetching}
          error={dialogError}
          onCancel={() => setDisabling(null)}
          onConfirm={async () => {
            const res = await doDisable({ id: disabling.id });
            const e = apiError(res.error);
            if (e) return setDialogError(e.message);
            setNotice({ tone: 'ok', text: `Disabled ${disabling.email}.` });
            setDisabling(null);
            refetch();
          }}
        >
          <p>They cannot log in, and their sessions, the API tokens they made and their open subscriptions stop working at once. You can enable them again.</p>
        </ConfirmDialog>
      )}
      {deleting && (
        <ConfirmDelete
          name={deleting.email}
          title={`Delete ${deleting.email}?`}
          confirmLabel="Delete user"
          busy={del.fetching}
          error={dialogError}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            const res = await doDelete({ id: deleting.id });
            const e = apiError(res.error);
            if (e) return setDialogError(e.message);
            setNotice({ tone: 'ok', text: `Deleted ${deleting.email}.` });
            setDeleting(null);
            refetch();
          }}
        >
          <p>
            They lose every membership and cannot log in. What they made (instances, servers, operations) stays. To keep them out only for a while,
            disable them instead.
          </p>
        </ConfirmDelete>
      )}
    </section>
  );
}
