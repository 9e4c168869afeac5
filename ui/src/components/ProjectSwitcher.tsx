import { useProjects } from '../lib/projects';

/**
 * The project the dashboard works in, in the top bar: instances and servers are listed and
 * made there. The choice is kept in localStorage.
 */
export function ProjectSwitcher() {
  const { projects, current, setCurrent } = useProjects();
  if (!projects) return null;
  return (
    <label className="switcher" title="The project you work in: instances and servers are listed and created here">
      <span className="switcher-label">Project</span>
      <select
        className="input input-sm"
        aria-label="Project"
        data-testid="project-switcher"
        value={current?.id ?? ''}
        onChange={(e) => setCurrent(e.target.value)}
        disabled={projects.length === 0}
      >
        {projects.length === 0 && <option value="">No projects</option>}
        {projects.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
    </label>
  );
}
