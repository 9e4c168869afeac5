import { useCallback, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { CreateApiTokenMutation, ProjectTokensQuery, RevokeApiTokenMutation } from '../lib/documents';
import type { ApiTokenFieldsFragment as Token, Role } from '../gql/graphql';
import { Badge, RoleBadge } from '../components/Badge';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyButton } from '../components/CopyButton';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { TOKEN_RULES, apiError, errorField } from '../lib/errors';
import { dateTime, relativeTime } from '../lib/format';
import { useAccess } from '../lib/projects';
import { ROLE, ROLES, TOKEN_STATE, roleName } from '../lib/states';
import { ProjectTabs } from './ProjectTabs';

/** How long a new token lasts: days, `never`, or until a chosen `date`. */
export const EXPIRY_CHOICES = [
  { value: 'never', label: 'Never' },
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'date', label: 'On a date…' },
] as const;
export type Expiry = (typeof EXPIRY_CHOICES)[number]['value'];

export interface TokenValues {
  name: string;
  role: Role;
  expiry: Expiry;
  /** `YYYY-MM-DD`, for `expiry: 'date'`: the token works until the end of that day. */
  date: string;
}
type TokenField = 'name' | 'role' | 'expiresAt';

/** The `expiresAt` to send: null for never; undefined when the date is missing or invalid. */
export function expiresAt(v: Pick<TokenValues, 'expiry' | 'date'>, now: number = Date.now()): string | null | undefined {
  if (v.expiry === 'never') return null;
  if (v.expiry === 'date') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.date)) return undefined;
    const end = new Date(`${v.date}T23:59:59`);
    return Number.isNaN(end.getTime()) ? undefined : end.toISOString();
  }
  return new Date(now + Number(v.expiry) * 86_400_000).toISOString();
}

export function validateToken(v: TokenValues, now: number = Date.now()): Partial<Record<TokenField, string>> {
  const e: Partial<Record<TokenField, string>> = {};
  const name = v.name.trim();
  if (!name) e.name = 'Name is required.';
  else if ([...name].length > 100) e.name = 'Use at most 100 characters.';
  const at = expiresAt(v, now);
  if (at === undefined) e.expiresAt = 'Choose the day it stops working.';
  else if (at && Date.parse(at) <= now) e.expiresAt = 'Choose a day in the future.';
  return e;
}

/** A token's state, from what the API says. */
export function tokenStatus(t: Pick<Token, 'active' | 'revokedAt' | 'expiresAt'>): 'active' | 'revoked' | 'expired' {
  if (t.revokedAt) return 'revoked';
  if (!t.active) return 'expired';
  return 'active';
}

function StatusBadge({ token }: { token: Token }) {
  const s = tokenStatus(token);
  const title = s === 'revoked' ? `Revoked ${dateTime(token.revokedAt)}` : s === 'expired' ? `Expired ${dateTime(token.expiresAt)}` : undefined;
  return (
    <Badge tone={TOKEN_STATE[s].tone} title={title}>
      {s}
    </Badge>
  );
}

/** The new token's secret, shown this once: it lives only in this component's state. */
export function SecretOnce({ token, secret, onDone }: { token: Token; secret: string; onDone: () => void }) {
  return (
    <div className="card secret-card" data-testid="token-secret">
      <h2>Copy the secret of {token.name} now</h2>
      <div className="notice notice-warn" role="alert">
        <div>
          <strong>It will not be shown again.</strong> Toygres keeps only a hash of it. If it is lost, revoke the token and create another.
        </div>
      </div>
      <div className="conn">
        <code className="conn-value" data-testid="token-secret-value">
          {secret}
        </code>
        <div className="conn-actions">
          <CopyButton text={secret} label="Copy secret" />
          <button type="button" className="btn btn-sm" onClick={onDone}>
            I have copied it
          </button>
        </div>
      </div>
      <p className="muted small">
        Programs send it as <code>Authorization: Bearer {secret.slice(0, 8)}…</code> to <code>/graphql</code>; it acts in this project as{' '}
        {roleName(token.role).toLowerCase()}
        {token.expiresAt ? ` until ${dateTime(token.expiresAt)}` : ''}.
      </p>
    </div>
  );
}

function CreateTokenForm({ projectId, onCreated }: { projectId: string; onCreated: (token: Token, secret: string) => void }) {
  const [values, setValues] = useState<TokenValues>({ name: '', role: 'VIEWER', expiry: '90', date: '' });
  const [errors, setErrors] = useState<Partial<Record<TokenField, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching }, create] = useMutation(CreateApiTokenMutation);
  const set = <K extends keyof TokenValues>(k: K, v: TokenValues[K]) => {
    setValues((x) => ({ ...x, [k]: v }));
    setErrors({});
  };
  const err = (f: TokenField, id: string) =>
    errors[f] && (
      <p className="field-error" id={id} role="alert">
        {errors[f]}
      </p>
    );
  return (
    <form
      className="card form"
      aria-label="New API token"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setFormError(null);
        const local = validateToken(values);
        setErrors(local);
        if (Object.keys(local).length) return;
        const res = await create({ projectId, name: values.name.trim(), role: values.role, expiresAt: expiresAt(values) ?? null });
        const apiErr = apiError(res.error);
        if (apiErr) {
          const f = errorField(apiErr, TOKEN_RULES);
          if (f) setErrors({ [f]: apiErr.message });
          else setFormError(apiErr.message);
          return;
        }
        if (res.data) {
          setValues((x) => ({ ...x, name: '' }));
          onCreated(res.data.createApiToken.token, res.data.createApiToken.secret);
        }
      }}
    >
      <h2>New API token</h2>
      {formError && (
        <div className="notice notice-bad" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}
      <div className="field-row field-row-3">
        <div className={`field ${errors.name ? 'field-invalid' : ''}`}>
          <label htmlFor="t-name">Name</label>
          <input
            id="t-name"
            className="input"
            value={values.name}
            placeholder="ci-deploy"
            onChange={(e) => set('name', e.target.value)}
            aria-invalid={!!errors.name || undefined}
            aria-describedby={errors.name ? 't-name-error' : undefined}
          />
          {err('name', 't-name-error') || <p className="field-hint">Unique in the project.</p>}
        </div>
        <div className={`field ${errors.role ? 'field-invalid' : ''}`}>
          <label htmlFor="t-role">Role</label>
          <select id="t-role" className="input" value={values.role} onChange={(e) => set('role', e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {roleName(r)}
              </option>
            ))}
          </select>
          {err('role', 't-role-error') || <p className="field-hint">{ROLE[values.role].help}.</p>}
        </div>
        <div className={`field ${errors.expiresAt ? 'field-invalid' : ''}`}>
          <label htmlFor="t-expiry">Expires</label>
          <select id="t-expiry" className="input" value={values.expiry} onChange={(e) => set('expiry', e.target.value as Expiry)}>
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          {values.expiry === 'date' && (
            <input
              type="date"
              className="input spaced-top"
              aria-label="Expiry date"
              value={values.date}
              onChange={(e) => set('date', e.target.value)}
              aria-invalid={!!errors.expiresAt || undefined}
              aria-describedby={errors.expiresAt ? 't-expiresAt-error' : undefined}
            />
          )}
          {err('expiresAt', 't-expiresAt-error') || <p className="field-hint">{values.expiry === 'never' ? 'It works until revoked.' : 'It stops working then.'}</p>}
        </div>
      </div>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={fetching}>
          {fetching ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}

export function ApiTokensPage() {
  const { id = '' } = useParams();
  const a = useAccess();
  const admin = a.isAdminOf(id);
  const [result, reexecute] = useQuery({ query: ProjectTokensQuery, variables: { id, withTokens: admin }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [created, setCreated] = useState<{ token: Token; secret: string } | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [revoke, doRevoke] = useMutation(RevokeApiTokenMutation);

  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load the API tokens" />;
  if (!result.data) return <Loading what="Loading API tokens" />;
  const project = result.data.project;
  if (!project)
    return (
      <Empty title="Project not found">
        <p className="muted">It may have been deleted, or you may not be in it.</p>
        <Link className="btn" to="/projects">
          Back to projects
        </Link>
      </Empty>
    );
  if (project.myRole !== 'ADMIN' || !project.apiTokens)
    return (
      <section>
        <ProjectTabs project={project} tab="tokens" />
        <Empty title="Only project admins manage API tokens">
          <p className="muted">Ask an admin of {project.name} for a token.</p>
        </Empty>
      </section>
    );

  const tokens = project.apiTokens;
  return (
    <section>
      <ProjectTabs project={project} tab="tokens" />
      <p className="muted">Tokens let programs use the API in this project with a role of their own, without a person's password.</p>
      {created && (
        <SecretOnce
          token={created.token}
          secret={created.secret}
          onDone={() => {
            setCreated(null);
          }}
        />
      )}
      {notice && (
        <Notice tone="info" onClose={() => setNotice(null)}>
          {notice}
        </Notice>
      )}
      <CreateTokenForm
        projectId={project.id}
        onCreated={(token, secret) => {
          setNotice(null);
          setCreated({ token, secret });
          refetch();
        }}
      />
      {tokens.length === 0 ? (
        <Empty title="No API tokens yet">
          <p className="muted">Create one above for a CI job, a script or a monitoring system.</p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" aria-label="API tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Status</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th className="num">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} data-token={t.name}>
                  <td className="strong">{t.name}</td>
                  <td>
                    <RoleBadge role={t.role} />
                  </td>
                  <td data-testid="token-status">
                    <StatusBadge token={t} />
                  </td>
                  <td className="small muted" title={dateTime(t.createdAt)}>
                    {relativeTime(t.createdAt)}
                  </td>
                  <td className="small" title={t.expiresAt ? dateTime(t.expiresAt) : undefined}>
                    {t.expiresAt ? relativeTime(t.expiresAt) : <span className="muted">never</span>}
                  </td>
                  <td className="small" data-testid="token-last-used" title={t.lastUsedAt ? dateTime(t.lastUsedAt) : undefined}>
                    {t.lastUsedAt ? relativeTime(t.lastUsedAt) : <span className="muted">never</span>}
                  </td>
                  <td className="num">
                    {tokenStatus(t) === 'active' && (
                      <button
                        className="btn btn-sm btn-danger"
                        onClick={() => {
                          setRevokeError(null);
                          setRevoking(t);
                        }}
                      >
                        Revoke…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke token"
          busyLabel="Revoking…"
          danger
          busy={revoke.fetching}
          error={revokeError}
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            const res = await doRevoke({ id: revoking.id });
            const e = apiError(res.error);
            if (e) {
              setRevokeError(e.message);
              return;
            }
            if (created?.token.id === revoking.id) setCreated(null);
            setNotice(`Revoked ${revoking.name}. Programs using it are refused from now on.`);
            setRevoking(null);
            refetch();
          }}
        >
          <p>Programs using it are refused at once (HTTP 401), open subscriptions included. It cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
