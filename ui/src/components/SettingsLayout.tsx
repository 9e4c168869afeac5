import { NavLink, Outlet } from 'react-router-dom';
import { useAccess, useProjects } from '../lib/projects';

/**
 * The Settings pages beside their own navigation: projects, the current project's members and
 * API tokens, the audit log, users and signing keys (site admins), and the caller's account.
 * Links someone cannot use are left out; the API refuses them anyway.
 */
export function SettingsLayout() {
  const { current } = useProjects();
  const a = useAccess();
  return (
    <div className="settings">
      <nav className="side-nav" aria-label="Settings">
        <div className="side-nav-group">Projects</div>
        <NavLink to="/projects" end>
          All projects
        </NavLink>
        {current && (
          <>
            <div className="side-nav-group" title="The current project">
              {current.name}
            </div>
            <NavLink to={`/projects/${current.id}/members`}>Members &amp; roles</NavLink>
            {a.isAdminOf(current.id) && <NavLink to={`/projects/${current.id}/tokens`}>API tokens</NavLink>}
          </>
        )}
        {(a.adminSomewhere || a.isSiteAdmin) && (
          <>
            <div className="side-nav-group">Security</div>
            <NavLink to="/audit">Audit log</NavLink>
            {a.isSiteAdmin && <NavLink to="/users">Users</NavLink>}
            {a.isSiteAdmin && <NavLink to="/signing-keys">Signing keys</NavLink>}
          </>
        )}
        <div className="side-nav-group">You</div>
        <NavLink to="/account">Account</NavLink>
      </nav>
      <div className="settings-main">
        <Outlet />
      </div>
    </div>
  );
}
