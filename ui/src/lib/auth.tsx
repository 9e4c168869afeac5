import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { LoginMutation } from '../gql/graphql';

export type Session = LoginMutation['login'];
const KEY = 'toygres.session';

function load(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (!s.token || Date.parse(s.expiresAt) <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

interface AuthValue {
  session: Session | null;
  /** Why the last session ended, if it ended on its own (expired, rejected). */
  endedBecause: string | null;
  login(session: Session): void;
  logout(reason?: string): void;
  /** The server refused the session: log out with `reason`, unless it is over already (a
   * password change ends it, then requests still in flight are refused), whose reason stays. */
  sessionEnded(reason: string): void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(load);
  const [endedBecause, setEndedBecause] = useState<string | null>(null);

  const login = useCallback((s: Session) => {
    localStorage.setItem(KEY, JSON.stringify(s));
    setEndedBecause(null);
    setSession(s);
  }, []);

  const logout = useCallback((reason?: string) => {
    localStorage.removeItem(KEY);
    setEndedBecause(reason ?? null);
    setSession(null);
  }, []);

  const sessionEnded = useCallback(
    (reason: string) => {
      if (localStorage.getItem(KEY) !== null) logout(reason);
    },
    [logout],
  );

  // End the session when the token expires.
  useEffect(() => {
    if (!session) return;
    const ms = Date.parse(session.expiresAt) - Date.now();
    const t = setTimeout(() => logout('Your session expired. Log in again.'), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    return () => clearTimeout(t);
  }, [session, logout]);

  // Logging out in one tab logs out the others.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key === KEY) setSession(load());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const value = useMemo(
    () => ({ session, endedBecause, login, logout, sessionEnded }),
    [session, endedBecause, login, logout, sessionEnded],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

// What the caller may do in each project: `useAccess()` in ./projects, from the server's current
// view of their roles (the session's copy is from login time).
