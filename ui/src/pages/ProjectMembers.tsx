import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { ProjectMembersQuery, RemoveMemberMutation, SetMemberRoleMutation } from '../lib/documents';
import type { MemberFieldsFragment as Member, Role } from '../gql/graphql';
import { Badge, RoleBadge } from '../components/Badge';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { MEMBER_RULES, apiError, errorField, memberErrorMessage } from '../lib/errors';
import { relativeTime } from '../lib/format';
import { useAccess, useProjects } from '../lib/projects';
import { ROLE, ROLES, roleName } from '../lib/states';
import { ProjectQuota } from '../components/ProjectQuota';
import { ProjectTabs } from './ProjectTabs';

type Candidate = { id: string; email: string; disabled: boolean };

/** Add a user to the project: picked from every user (site admins), or by id. */
function AddMemberForm({
  projectId,
  candidates,
  onAdded,
}: {
  projectId: string;
  /** Users who are not members yet; null when the caller cannot list users. */
  candidates: Candidate[] | null;
  onAdded: (members: Member[], email: string) => void;
}) {
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('VIEWER');
  const [errors, setErrors] = useState<{ user?: string; role?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching }, setMemberRole] = useMutation(SetMemberRoleMutation);
  const picked = candidates?.find((c) => c.id === userId);

  return (
    <form
      className="card inline-form"
      aria-label="Add a member"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setFormError(null);
        const id = userId.trim();
        if (!id) {
          setErrors({ user: candidates ? 'Choose a user.' : 'Enter the user id.' });
          return;
        }
        setErrors({});
        const res = await setMemberRole({ projectId, userId: id, role });
        const err = apiError(res.error);
        if (err) {
          const f = errorField(err, MEMBER_RULES);
          if (f) setErrors({ [f]: err.message });
          else setFormError(err.message);
          return;
        }
        if (res.data) {
          setUserId('');
          onAdded(res.data.setMemberRole, picked?.email ?? res.data.setMemberRole.find((m) => m.userId === id)?.email ?? id);
        }
      }}
    >
      <div className={`field grow ${errors.user ? 'field-invalid' : ''}`}>
        <label htmlFor="m-user">{candidates ? 'User' : 'User id'}</label>
        {candidates ? (
          <select
            id="m-user"
            className="input"
            value={userId}
            onChange={(e) => {
              setUserId(e.target.value);
              setErrors({});
            }}
            aria-invalid={!!errors.user || undefined}
            aria-describedby={errors.user ? 'm-user-error' : 'm-user-hint'}
          >
            <option value="">{candidates.length ? 'Choose a user…' : 'Every user is a member already'}</option>
            {candidates.map((c) => (
              <option key={c.id} value={c.id}>
                {c.email}
                {c.disabled ? ' (disabled)' : ''}
              </option>
            ))}
          </select>
        ) : (
          <input
            id="m-user"
            className="input mono"
            value={userId}
            placeholder="00000000-0000-0000-0000-000000000000"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => {
              setUserId(e.target.value);
              setErrors({});
            }}
            aria-invalid={!!errors.user || undefined}
            aria-describedby={errors.user ? 'm-user-error' : 'm-user-hint'}
          />
        )}
        {errors.user ? (
          <p className="field-error" id="m-user-error" role="alert">
            {errors.user}
          </p>
        ) : (
          <p className="field-hint" id="m-user-hint">
            {candidates ? (
              <>
                Someone missing? <Link to="/users">Create the user</Link> first.
              </>
            ) : (
              'The API adds members by user id: the user finds theirs on their Account page.'
            )}
          </p>
        )}
      </div>
      <div className={`field ${errors.role ? 'field-invalid' : ''}`}>
        <label htmlFor="m-role">Role</label>
        <select id="m-role" className="input" value={role} onChange={(e) => setRole(e.target.value as Role)} aria-describedby="m-role-hint">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {roleName(r)}
            </option>
          ))}
        </select>
        {errors.role ? (
          <p className="field-error" role="alert">
            {errors.role}
          </p>
        ) : (
          <p className="field-hint" id="m-role-hint">
            {ROLE[role].help}
          </p>
        )}
      </div>
      <button type="submit" className="btn btn-primary" disabled={fetching}>
        {fetching ? 'Adding…' : 'Add member'}
      </button>
      {formError && (
        <div className="notice notice-bad full" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}
    </form>
  );
}

export function ProjectMembersPage() {
  const { id = '' } = useParams();
  const a = useAccess();
  const { me, refetch: refetchProjects } = useProjects();
  const [result, reexecute] = useQuery({ query: ProjectMembersQuery, variables: { id, withUsers: a.isSiteAdmin }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  // The list a mutation returned, newer than the query's until it is fetched again.
  const [members, setMembers] = useState<Member[] | null>(null);
  useEffect(() => setMembers(null), [result.data]);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad'; text: string } | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);
  const [busyUser, setBusyUser] = useState<string | null>(null);
  const [, setMemberRole] = useMutation(SetMemberRoleMutation);
  const [remove, doRemove] = useMutation(RemoveMemberMutation);

  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load the members" />;
  if (!result.data) return <Loading what="Loading members" />;
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

  const list = members ?? project.members;
  const admin = project.myRole === 'ADMIN';
  const memberIds = new Set(list.map((m) => m.userId));
  const candidates = result.data.users ? result.data.users.filter((u) => !memberIds.has(u.id)) : null;
  // A change to the caller's own membership changes what they may do.
  const changed = (userId: string) => {
    if (userId === me?.id) {
      refetchProjects();
      refetch();
    }
  };

  const changeRole = async (m: Member, role: Role) => {
    setNotice(null);
    setBusyUser(m.userId);
    const res = await setMemberRole({ projectId: project.id, userId: m.userId, role });
    setBusyUser(null);
    const e = apiError(res.error);
    if (e) {
      setNotice({ tone: 'bad', text: memberErrorMessage(e, m.email) });
      return;
    }
    if (res.data) setMembers(res.data.setMemberRole);
    setNotice({ tone: 'ok', text: `${m.email} is now ${roleName(role).toLowerCase()}.` });
    changed(m.userId);
  };

  return (
    <section>
      <ProjectTabs project={project} tab="members" />
      <ProjectQuota projectId={project.id} canEdit={a.isSiteAdmin} />
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)} testId="member-notice">
          {notice.text}
        </Notice>
      )}
      {admin ? (
        <AddMemberForm
          projectId={project.id}
          candidates={a.isSiteAdmin ? candidates ?? [] : null}
          onAdded={(next, email) => {
            setMembers(next);
            const role = next.find((m) => m.email === email)?.role;
            setNotice({ tone: 'ok', text: `Added ${email}${role ? ` as ${roleName(role).toLowerCase()}` : ''}.` });
          }}
        />
      ) : (
        <p className="muted" data-testid="members-read-only">
          You are {project.myRole ? `${roleName(project.myRole).toLowerCase()}` : 'not a member'} here: the list is read-only. A project admin manages members.
        </p>
      )}
      <div className="table-wrap">
        <table className="table" aria-label="Members">
          <thead>
            <tr>
              <th>Email</th>
              <th>Role</th>
              <th>Member since</th>
              {admin && <th className="num">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.map((m) => (
              <tr key={m.userId} data-member={m.email}>
                <td>
                  <span className="strong">{m.email}</span> {m.userId === me?.id && <Badge tone="info">you</Badge>}{' '}
                  {m.disabled && (
                    <Badge tone="bad" title="Disabled users cannot log in">
                      disabled
                    </Badge>
                  )}
                </td>
                <td>
                  {admin ? (
                    <select
                      className="input input-sm"
                      aria-label={`Role of ${m.email}`}
                      value={m.role}
                      disabled={busyUser === m.userId}
                      onChange={(e) => changeRole(m, e.target.value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {roleName(r)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <RoleBadge role={m.role} />
                  )}
                </td>
                <td className="small muted" title={m.since}>
                  {relativeTime(m.since)}
                </td>
                {admin && (
                  <td className="num">
                    <button
                      className="btn btn-sm"
                      onClick={() => {
                        setRemoveError(null);
                        setRemoving(m);
                      }}
                    >
                      Remove…
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.length === 0 && <p className="muted">No members. Site admins can still manage it.</p>}

      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.email} from ${project.name}?`}
          confirmLabel="Remove member"
          busyLabel="Removing…"
          danger
          busy={remove.fetching}
          error={removeError}
          onCancel={() => setRemoving(null)}
          onConfirm={async () => {
            const res = await doRemove({ projectId: project.id, userId: removing.userId });
            const e = apiError(res.error);
            if (e) {
              setRemoveError(memberErrorMessage(e, removing.email));
              return;
            }
            if (res.data) setMembers(res.data.removeMember);
            setNotice({ tone: 'ok', text: `Removed ${removing.email}.` });
            setRemoving(null);
            changed(removing.userId);
          }}
        >
          <p>They lose access to its instances, servers and operations at once. API tokens they made keep working until revoked.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
