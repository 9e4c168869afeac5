import { Link, NavLink, Outlet, useLocation } from 'react-router-dom';
import { useAuth } from '../lib/auth';
import { useTheme } from '../lib/theme';
import { ProjectSwitcher } from './ProjectSwitcher';

export function ThemeToggle() {
  const [theme, toggle] = useTheme();
  return (
    <button className="btn btn-ghost btn-sm" onClick={toggle} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} title="Toggle theme">
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}

/** The pages under Settings: projects, members, tokens, users, keys, the audit log, the account. */
export const SETTINGS_PATHS = ['/projects', '/users', '/signing-keys', '/audit', '/account'];

export function Layout() {
  const { session, logout } = useAuth();
  const { pathname } = useLocation();
  const inSettings = SETTINGS_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`));
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden>
            ◆
          </span>{' '}
          Toygres
        </div>
        {session && <ProjectSwitcher />}
        <nav className="nav" aria-label="Main">
          <NavLink to="/instances">Instances</NavLink>
          <NavLink to="/servers">Servers</NavLink>
          <NavLink to="/operations">Operations</NavLink>
          <NavLink to="/activity">Activity</NavLink>
          <NavLink to="/cluster">Cluster</NavLink>
          <NavLink to="/projects" className={() => (inSettings ? 'active' : undefined)} aria-current={inSettings ? 'page' : undefined}>
            Settings
          </NavLink>
          {/* Served by the backend, not a client-side route: a full page load. */}
          <a href="/playground">Playground</a>
        </nav>
        <div className="topbar-right">
          <ThemeToggle />
          {session && (
            <>
              <Link to="/account" className="muted small" title={session.user.isSiteAdmin ? 'Site admin · your account' : 'Your account'}>
                {session.user.email}
              </Link>
              <button className="btn btn-sm" onClick={() => logout()}>
                Log out
              </button>
            </>
          )}
        </div>
      </header>
      <main className="main">
        <Outlet />
      </main>
    </div>
  );
}
