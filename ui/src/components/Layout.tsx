import { NavLink, Outlet } from 'react-router-dom';
import { useAuth } from '../lib/auth';
import { useTheme } from '../lib/theme';

export function ThemeToggle() {
  const [theme, toggle] = useTheme();
  return (
    <button className="btn btn-ghost btn-sm" onClick={toggle} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} title="Toggle theme">
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}

export function Layout() {
  const { session, logout } = useAuth();
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden>
            ◆
          </span>{' '}
          Toygres
        </div>
        <nav className="nav" aria-label="Main">
          <NavLink to="/instances">Instances</NavLink>
          <NavLink to="/servers">Servers</NavLink>
          <NavLink to="/operations">Operations</NavLink>
          <NavLink to="/activity">Activity</NavLink>
          <NavLink to="/cluster">Cluster</NavLink>
          {/* Served by the backend, not a client-side route: a full page load. */}
          <a href="/playground">Playground</a>
        </nav>
        <div className="topbar-right">
          <ThemeToggle />
          {session && (
            <>
              <span className="muted small" title={session.user.isSiteAdmin ? 'Site admin' : undefined}>
                {session.user.email}
              </span>
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
