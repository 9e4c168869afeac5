import { useState } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useMutation } from 'urql';
import { LoginMutation } from '../lib/documents';
import { useAuth } from '../lib/auth';
import { apiError } from '../lib/errors';
import { ThemeToggle } from '../components/Layout';

export function LoginPage() {
  const { session, login, endedBecause } = useAuth();
  const location = useLocation();
  const next = new URLSearchParams(location.search).get('next') || '/instances';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, runLogin] = useMutation(LoginMutation);

  if (session) return <Navigate to={next.startsWith('/') ? next : '/instances'} replace />;

  return (
    <div className="login-page">
      <div className="login-theme">
        <ThemeToggle />
      </div>
      <form
        className="card login-card"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          const res = await runLogin({ email: email.trim(), password });
          const err = apiError(res.error);
          if (err) {
            setError(
              err.code === 'UNAUTHENTICATED' || err.code === 'INVALID_INPUT'
                ? `Login failed: ${err.message}. Check your email and password.`
                : err.code === 'NETWORK'
                  ? err.message
                  : `Login failed: ${err.message}`,
            );
            return;
          }
          if (res.data) login(res.data.login);
        }}
      >
        <h1>
          <span className="logo" aria-hidden>
            ◆
          </span>{' '}
          Toygres
        </h1>
        <p className="muted">Log in to manage your PostgreSQL instances.</p>
        {endedBecause && !error && <div className="notice notice-info">{endedBecause}</div>}
        {error && (
          <div className="notice notice-bad" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <label htmlFor="email">Email</label>
        <input id="email" className="input" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          className="input"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button className="btn btn-primary btn-block" type="submit" disabled={fetching}>
          {fetching ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </div>
  );
}
