import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation } from 'urql';
import { CreateProjectMutation, DeleteProjectMutation, RenameProjectMutation } from '../lib/documents';
import { RoleBadge } from '../components/Badge';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { ErrorState, Loading, Notice } from '../components/States';
import { PROJECT_NAME_RULES, apiError, deleteProjectMessage, errorField } from '../lib/errors';
import { relativeTime } from '../lib/format';
import { DEFAULT_PROJECT_ID, useAccess, useProjects, type ProjectRow } from '../lib/projects';

const MAX_NAME = 100;

/** A project name as the server takes it: 1 to 100 printable characters, trimmed. */
export function validateProjectName(name: string): string | null {
  const n = name.trim();
  if (!n) return 'Name is required.';
  if ([...n].length > MAX_NAME) return `Use at most ${MAX_NAME} characters.`;
  if (/[\u0000-\u001f\u007f]/.test(n)) return 'Use printable characters only.';
  return null;
}

function CreateProjectForm({ onCreated }: { onCreated: (p: ProjectRow) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching }, create] = useMutation(CreateProjectMutation);
  return (
    <form
      className="card inline-form"
      aria-label="Create a project"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setFormError(null);
        const local = validateProjectName(name);
        setError(local);
        if (local) return;
        const res = await create({ name: name.trim() });
        const err = apiError(res.error);
        if (err) {
          if (errorField(err, PROJECT_NAME_RULES)) setError(err.message);
          else setFormError(err.message);
          return;
        }
        if (res.data) {
          setName('');
          onCreated(res.data.createProject);
        }
      }}
    >
      <div className={`field grow ${error ? 'field-invalid' : ''}`}>
        <label htmlFor="p-name">New project</label>
        <input
          id="p-name"
          className="input"
          value={name}
          placeholder="payments-team"
          onChange={(e) => {
            setName(e.target.value);
            setError(null);
          }}
          aria-invalid={!!error || undefined}
          aria-describedby={error ? 'p-name-error' : undefined}
        />
        {error ? (
          <p className="field-error" id="p-name-error" role="alert">
            {error}
          </p>
        ) : (
          <p className="field-hint">You become its admin. Add members and API tokens in its settings.</p>
        )}
      </div>
      <button type="submit" className="btn btn-primary" disabled={fetching}>
        {fetching ? 'Creating…' : 'Create project'}
      </button>
      {formError && (
        <div className="notice notice-bad full" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}
    </form>
  );
}

function RenameRow({ project, onDone }: { project: ProjectRow; onDone: (renamed: boolean) => void }) {
  const [name, setName] = useState(project.name);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, rename] = useMutation(RenameProjectMutation);
  return (
    <form
      className="inline-tools"
      aria-label={`Rename ${project.name}`}
      onSubmit={async (e) => {
        e.preventDefault();
        const local = validateProjectName(name);
        setError(local);
        if (local) return;
        if (name.trim() === project.name) return onDone(false);
        const res = await rename({ id: project.id, name: name.trim() });
        const err = apiError(res.error);
        if (err) return setError(err.message);
        onDone(true);
      }}
    >
      <input className="input input-sm" aria-label="New name" value={name} onChange={(e) => setName(e.target.value)} autoFocus aria-invalid={!!error || undefined} />
      <button type="submit" className="btn btn-sm btn-primary" disabled={fetching}>
        {fetching ? 'Saving…' : 'Save'}
      </button>
      <button type="button" className="btn btn-sm" onClick={() => onDone(false)}>
        Cancel
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

export function ProjectsPage() {
  const { projects, current, setCurrent, refetch, error } = useProjects();
  const a = useAccess();
  const [notice, setNotice] = useState<{ tone: 'ok' | 'info'; text: React.ReactNode } | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<ProjectRow | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [del, doDelete] = useMutation(DeleteProjectMutation);

  if (error && !projects) return <ErrorState error={error} onRetry={refetch} title="Could not load projects" />;
  if (!projects) return <Loading what="Loading projects" />;

  return (
    <section>
      <div className="page-head">
        <h1>Projects</h1>
        <span className="muted small">A project holds instances, servers and operations, and says who may touch them.</span>
      </div>
      {notice && (
        <Notice tone={notice.tone} onClose={() => setNotice(null)} testId="projects-notice">
          {notice.text}
        </Notice>
      )}
      <CreateProjectForm
        onCreated={(p) => {
          refetch();
          setNotice({
            tone: 'ok',
            text: (
              <>
                Created <strong>{p.name}</strong>.{' '}
                <button
                  type="button"
                  className="btn btn-sm"
                  onClick={() => {
                    setCurrent(p.id);
                    setNotice({ tone: 'info', text: <>Now working in <strong>{p.name}</strong>.</> });
                  }}
                >
                  Switch to it
                </button>{' '}
                <Link to={`/projects/${p.id}/members`}>Add members</Link>
              </>
            ),
          });
        }}
      />
      <div className="table-wrap">
        <table className="table" aria-label="Projects">
          <thead>
            <tr>
              <th>Name</th>
              <th>Your role</th>
              <th>Created</th>
              <th className="num">Actions</th>
            </tr>
          </thead>
          <tbody>
            {projects.map((p) => {
              const admin = a.isAdminOf(p.id);
              return (
                <tr key={p.id} data-project={p.name}>
                  <td>
                    {renaming === p.id ? (
                      <RenameRow
                        project={p}
                        onDone={(renamed) => {
                          setRenaming(null);
                          if (renamed) refetch();
                        }}
                      />
                    ) : (
                      <>
                        <Link to={`/projects/${p.id}/members`} className="strong">
                          {p.name}
                        </Link>{' '}
                        {current?.id === p.id && <span className="badge badge-info">current</span>}
                      </>
                    )}
                  </td>
                  <td>{p.myRole ? <RoleBadge role={p.myRole} /> : <span className="muted">—</span>}</td>
                  <td className="small muted" title={p.createdAt}>
                    {relativeTime(p.createdAt)}
                  </td>
                  <td className="num">
                    <div className="actions end">
                      {current?.id !== p.id && (
                        <button className="btn btn-sm" onClick={() => setCurrent(p.id)}>
                          Switch to
                        </button>
                      )}
                      {admin && renaming !== p.id && (
                        <button className="btn btn-sm" onClick={() => setRenaming(p.id)}>
                          Rename
                        </button>
                      )}
                      {admin && p.id !== DEFAULT_PROJECT_ID && (
                        <button
                          className="btn btn-sm btn-danger"
                          onClick={() => {
                            setDeleteError(null);
                            setDeleting(p);
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
      {projects.length === 0 && <p className="muted">You belong to no project yet. Create one, or ask a project admin to add you.</p>}

      {deleting && (
        <ConfirmDelete
          name={deleting.name}
          title={`Delete project ${deleting.name}?`}
          confirmLabel="Delete project"
          busy={del.fetching}
          error={deleteError}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            const res = await doDelete({ id: deleting.id });
            const err = apiError(res.error);
            if (err) {
              setDeleteError(deleteProjectMessage(err, deleting.name));
              return;
            }
            setDeleting(null);
            setNotice({ tone: 'info', text: <>Deleted <strong>{deleting.name}</strong>.</> });
            refetch();
          }}
        >
          <p>
            This deletes the project with its history: deleted instances, removed servers, operations and events. Its members lose access. It is refused
            while the project still holds instances or servers. It cannot be undone.
          </p>
        </ConfirmDelete>
      )}
    </section>
  );
}
