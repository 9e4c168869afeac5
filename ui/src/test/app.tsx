import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { Provider as Urql } from 'urql';
import { AuthProvider } from '../lib/auth';
import { ProjectsProvider } from '../lib/projects';
import type { Role } from '../gql/graphql';
import { mockClient } from './mockClient';

export const ADMIN_ID = 'u-admin';
export const P1 = { id: 'p1', name: 'payments', createdAt: '2026-01-01T00:00:00Z' };
export const P2 = { id: 'p2', name: 'search', createdAt: '2026-01-02T00:00:00Z' };

export interface As {
  id?: string;
  email?: string;
  isSiteAdmin?: boolean;
  /** The caller's role in each project, by project id. */
  roles?: Record<string, Role>;
}

/** A session in localStorage, as the login page leaves it. */
export function logIn({ id = ADMIN_ID, email = 'admin@example.com', isSiteAdmin = false, roles = {} }: As = {}) {
  const user = {
    id,
    email,
    isSiteAdmin,
    roles: Object.entries(roles).map(([projectId, role]) => ({ projectId, projectName: projectId === P2.id ? P2.name : P1.name, role })),
  };
  localStorage.setItem('toygres.session', JSON.stringify({ token: 't', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user }));
  return user;
}

/** What `Projects` answers for a caller: `me`, and their projects with `myRole`. */
export function projectsAnswer({ id = ADMIN_ID, email = 'admin@example.com', isSiteAdmin = false, roles = {} }: As = {}, projects = [P1, P2]) {
  const visible = isSiteAdmin ? projects : projects.filter((p) => roles[p.id]);
  return {
    me: {
      id,
      email,
      isSiteAdmin,
      disabled: false,
      roles: Object.entries(roles).map(([projectId, role]) => ({ projectId, projectName: projects.find((p) => p.id === projectId)?.name ?? projectId, role })),
    },
    projects: visible.map((p) => ({ ...p, myRole: isSiteAdmin ? 'ADMIN' : roles[p.id] ?? null })),
  };
}

/**
 * Render `routes` at `at` the way the app does (session, projects, router) on a mock client
 * answering with `answer`; `Projects` is answered for `as` unless `answer` does.
 */
export function renderApp(routes: ReactNode, { at, as = {}, answer }: { at: string; as?: As; answer: (name: string, v: Record<string, unknown>) => unknown }) {
  logIn(as);
  const mock = mockClient((name, v) => {
    const a = answer(name, v);
    if (a !== undefined) return a;
    if (name === 'Projects') return projectsAnswer(as);
    throw new Error(`unexpected ${name}`);
  });
  const view = render(
    <Urql value={mock.client}>
      <AuthProvider>
        <ProjectsProvider>
          <MemoryRouter initialEntries={[at]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
            <Routes>{routes}</Routes>
          </MemoryRouter>
        </ProjectsProvider>
      </AuthProvider>
    </Urql>,
  );
  return { ...mock, view };
}

export { Route };
