import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { ProjectsQuery } from './documents';
import type { ProjectFieldsFragment, Role, UserFieldsFragment } from '../gql/graphql';
import { useAuth, type Session } from './auth';
import { apiError, type ApiError } from './errors';

export type ProjectRow = ProjectFieldsFragment;
const KEY = 'toygres.project';
/**
 * The project every installation has (made by the first migration); `createInstance` and
 * friends use it when told none, and it cannot be deleted.
 */
export const DEFAULT_PROJECT_ID = '00000000-0000-0000-0000-000000000001';

interface ProjectsValue {
  /** The caller's projects (site admins: all), by name; null while loading. */
  projects: ProjectRow[] | null;
  /** The caller as the server sees them now (the session's copy is from login time). */
  me: UserFieldsFragment | null;
  /** The project the dashboard works in: instances and servers are listed and made there. */
  current: ProjectRow | null;
  setCurrent(id: string): void;
  /** Fetch projects and roles again (after creating, renaming, deleting, or a role change). */
  refetch(): void;
  error: ApiError | null;
}

const ProjectsContext = createContext<ProjectsValue | null>(null);

function stored(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/**
 * The current project: the one chosen before (kept in localStorage) if the caller still sees
 * it, else the default project, else the first.
 */
export function pickCurrent(projects: readonly ProjectRow[], chosen: string | null): ProjectRow | null {
  return projects.find((p) => p.id === chosen) ?? projects.find((p) => p.id === DEFAULT_PROJECT_ID) ?? projects[0] ?? null;
}

export function ProjectsProvider({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  const [result, reexecute] = useQuery({ query: ProjectsQuery, pause: !session, requestPolicy: 'cache-and-network' });
  const [chosen, setChosen] = useState<string | null>(stored);
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);

  // Another tab switched projects: follow it.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key === KEY) setChosen(e.newValue);
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const setCurrent = useCallback((id: string) => {
    try {
      localStorage.setItem(KEY, id);
    } catch {
      /* storage may be unavailable: the choice lasts this page */
    }
    setChosen(id);
  }, []);

  const projects = session && result.data ? result.data.projects : null;
  const value = useMemo<ProjectsValue>(
    () => ({
      projects,
      me: session && result.data ? result.data.me : null,
      current: projects ? pickCurrent(projects, chosen) : null,
      setCurrent,
      refetch,
      error: apiError(result.error),
    }),
    [projects, session, result.data, result.error, chosen, setCurrent, refetch],
  );
  return <ProjectsContext.Provider value={value}>{children}</ProjectsContext.Provider>;
}

const NONE: ProjectsValue = { projects: null, me: null, current: null, setCurrent: () => {}, refetch: () => {}, error: null };

/** The projects context; outside a provider (a page tested alone), nothing is known. */
export function useProjects(): ProjectsValue {
  return useContext(ProjectsContext) ?? NONE;
}

export interface Access {
  isSiteAdmin: boolean;
  /** The caller's role in a project, or null when not a member. */
  roleIn(projectId: string | null | undefined): Role | null;
  /** Whether the caller may change things in a project (its admins and operators). */
  canOperateIn(projectId: string | null | undefined): boolean;
  /** Whether the caller administers a project. */
  isAdminOf(projectId: string | null | undefined): boolean;
  /** Whether the caller administers any project (or the site): the audit log has something for them. */
  adminSomewhere: boolean;
}

/**
 * What the caller may do, from the server's current view (`projects { myRole }`) once loaded,
 * else from the session's copy made at login.
 */
export function access(session: Session | null, projects: readonly ProjectRow[] | null, me: UserFieldsFragment | null): Access {
  const isSiteAdmin = me?.isSiteAdmin ?? session?.user.isSiteAdmin ?? false;
  const roleIn = (projectId: string | null | undefined): Role | null => {
    if (!projectId || !session) return null;
    if (projects) return projects.find((p) => p.id === projectId)?.myRole ?? (isSiteAdmin ? 'ADMIN' : null);
    if (isSiteAdmin) return 'ADMIN';
    return session.user.roles.find((r) => r.projectId === projectId)?.role ?? null;
  };
  const canOperateIn = (id: string | null | undefined) => {
    const r = roleIn(id);
    return r === 'ADMIN' || r === 'OPERATOR';
  };
  const isAdminOf = (id: string | null | undefined) => roleIn(id) === 'ADMIN';
  const adminSomewhere = isSiteAdmin || (projects ? projects.some((p) => p.myRole === 'ADMIN') : !!session?.user.roles.some((r) => r.role === 'ADMIN'));
  return { isSiteAdmin, roleIn, canOperateIn, isAdminOf, adminSomewhere };
}

export function useAccess(): Access {
  const { session } = useAuth();
  const { projects, me } = useProjects();
  return useMemo(() => access(session, projects, me), [session, projects, me]);
}

/**
 * Whether the caller may make instances and servers where the dashboard works now: in the
 * current project, or (no project known, e.g. a page tested alone) in any.
 */
export function useCanOperateHere(): boolean {
  const { session } = useAuth();
  const { current } = useProjects();
  const a = useAccess();
  if (current) return a.canOperateIn(current.id);
  return !!session && (a.isSiteAdmin || session.user.roles.some((r) => r.role === 'ADMIN' || r.role === 'OPERATOR'));
}
