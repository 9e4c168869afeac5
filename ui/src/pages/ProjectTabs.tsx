import { Link, NavLink } from 'react-router-dom';
import type { ProjectFieldsFragment } from '../gql/graphql';
import { RoleBadge } from '../components/Badge';
import { useProjects } from '../lib/projects';

/** The head of a project's settings: its name, the caller's role, and its tabs. */
export function ProjectTabs({ project, tab }: { project: ProjectFieldsFragment; tab: 'members' | 'tokens' }) {
  const { current, setCurrent } = useProjects();
  return (
    <>
      <p className="crumbs">
        <Link to="/projects">Projects</Link> / {project.name}
      </p>
      <div className="page-head">
        <h1>
          {project.name} {project.myRole && <RoleBadge role={project.myRole} />}
        </h1>
        {current && current.id !== project.id && (
          <button className="btn btn-sm" onClick={() => setCurrent(project.id)}>
            Switch to this project
          </button>
        )}
      </div>
      <nav className="tabs" aria-label="Project settings">
        <NavLink to={`/projects/${project.id}/members`} aria-current={tab === 'members' ? 'page' : undefined}>
          Members &amp; roles
        </NavLink>
        {project.myRole === 'ADMIN' && (
          <NavLink to={`/projects/${project.id}/tokens`} aria-current={tab === 'tokens' ? 'page' : undefined}>
            API tokens
          </NavLink>
        )}
      </nav>
    </>
  );
}
