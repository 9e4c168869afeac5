import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectsPage, validateProjectName } from './Projects';
import { InstancesPage } from './Instances';
import { ProjectSwitcher } from '../components/ProjectSwitcher';
import { P1, P2, Route, projectsAnswer, renderApp } from '../test/app';
import { gqlError } from '../test/mockClient';
import { DEFAULT_PROJECT_ID, pickCurrent } from '../lib/projects';

afterEach(() => localStorage.clear());

const DEFAULT = { id: DEFAULT_PROJECT_ID, name: 'default', createdAt: '2025-12-01T00:00:00Z' };
const ADMIN = { isSiteAdmin: true };

describe('ProjectsPage', () => {
  it('creates a project, then switches to it', async () => {
    let projects = [DEFAULT, P1];
    const { sent } = renderApp(
      <Route
        path="/projects"
        element={
          <>
            <ProjectSwitcher />
            <ProjectsPage />
          </>
        }
      />,
      {
        at: '/projects',
        as: ADMIN,
        answer: (name, v) => {
          if (name === 'Projects') return projectsAnswer(ADMIN, projects);
          if (name === 'CreateProject') {
            projects = [...projects, P2].sort((a, b) => a.name.localeCompare(b.name));
            return { createProject: { ...P2, name: v.name, myRole: 'ADMIN' } };
          }
          return undefined;
        },
      },
    );
    const switcher = await screen.findByLabelText('Project');
    expect(switcher).toHaveValue(DEFAULT_PROJECT_ID);
    await userEvent.type(screen.getByLabelText('New project'), '  search ');
    await userEvent.click(screen.getByRole('button', { name: 'Create project' }));
    expect(await screen.findByTestId('projects-notice')).toHaveTextContent('Created search.');
    expect(sent.find((s) => s.name === 'CreateProject')?.variables).toEqual({ name: 'search' });
    await within(screen.getByRole('table', { name: 'Projects' })).findByText('search');
    await userEvent.click(screen.getByRole('button', { name: 'Switch to it' }));
    expect(switcher).toHaveValue(P2.id);
    expect(localStorage.getItem('toygres.project')).toBe(P2.id);
    expect(within(screen.getByRole('row', { name: /search/ })).getByText('current')).toBeInTheDocument();
  });

  it('shows why a project that still holds instances cannot be deleted', async () => {
    const { sent } = renderApp(<Route path="/projects" element={<ProjectsPage />} />, {
      at: '/projects',
      as: { roles: { [P1.id]: 'ADMIN', [P2.id]: 'VIEWER' } },
      answer: (name) => (name === 'DeleteProject' ? gqlError('CONFLICT', 'the project still holds 1 instance(s) and 0 server(s): delete them first') : undefined),
    });
    const table = await screen.findByRole('table', { name: 'Projects' });
    // Only admins may rename or delete.
    const search = within(table).getByRole('row', { name: /search/ });
    expect(within(search).queryByRole('button', { name: /Delete|Rename/ })).not.toBeInTheDocument();

    await userEvent.click(within(within(table).getByRole('row', { name: /payments/ })).getByRole('button', { name: 'Delete…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete project payments?' });
    const confirm = within(dialog).getByRole('button', { name: 'Delete project' });
    expect(confirm).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText(/Type payments to confirm/), 'payments');
    await userEvent.click(confirm);
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('payments cannot be deleted: the project still holds 1 instance(s) and 0 server(s): delete them first.');
    expect(sent.find((s) => s.name === 'DeleteProject')?.variables).toEqual({ id: P1.id });
  });

  it('renames in place and puts a taken name under the field', async () => {
    let taken = true;
    const { sent } = renderApp(<Route path="/projects" element={<ProjectsPage />} />, {
      at: '/projects',
      as: { roles: { [P1.id]: 'ADMIN' } },
      answer: (name, v) =>
        name === 'RenameProject' ? (taken ? gqlError('CONFLICT', 'a project named "search" already exists') : { renameProject: { ...P1, name: v.name, myRole: 'ADMIN' } }) : undefined,
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Rename' }));
    const input = screen.getByLabelText('New name');
    await userEvent.clear(input);
    await userEvent.type(input, 'search{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('already exists');
    taken = false;
    await userEvent.clear(input);
    await userEvent.type(input, 'billing{Enter}');
    await waitFor(() => expect(screen.queryByLabelText('New name')).not.toBeInTheDocument());
    expect(sent.filter((s) => s.name === 'RenameProject').map((s) => s.variables.name)).toEqual(['search', 'billing']);
  });

  it('does not offer to delete the default project', async () => {
    renderApp(<Route path="/projects" element={<ProjectsPage />} />, {
      at: '/projects',
      as: ADMIN,
      answer: (name) => (name === 'Projects' ? projectsAnswer(ADMIN, [DEFAULT, P1]) : undefined),
    });
    const row = await screen.findByRole('row', { name: /default/ });
    expect(within(row).queryByRole('button', { name: 'Delete…' })).not.toBeInTheDocument();
    expect(within(screen.getByRole('row', { name: /payments/ })).getByRole('button', { name: 'Delete…' })).toBeInTheDocument();
  });
});

describe('the current project', () => {
  it('is the one chosen before if still visible, else the default, else the first', () => {
    const all = [{ ...P1, myRole: null }, { ...DEFAULT, myRole: null }, { ...P2, myRole: null }];
    expect(pickCurrent(all, P2.id)?.id).toBe(P2.id);
    expect(pickCurrent(all, 'gone')?.id).toBe(DEFAULT_PROJECT_ID);
    expect(pickCurrent([all[2], all[0]], null)?.id).toBe(P2.id);
    expect(pickCurrent([], null)).toBeNull();
  });

  it('filters the instance list, which follows the switcher', async () => {
    const inst = (id: string, name: string, projectId: string) => ({
      id,
      projectId,
      name,
      provider: 'LOCAL',
      plan: 'small',
      version: 15,
      storageGb: 10,
      state: 'RUNNING',
      health: 'HEALTHY',
      host: '127.0.0.1',
      port: 5432,
      latencyMs: 1,
      lastCheckedAt: null,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    localStorage.setItem('toygres.project', P1.id);
    renderApp(
      <Route
        path="/instances"
        element={
          <>
            <ProjectSwitcher />
            <InstancesPage />
          </>
        }
      />,
      {
        at: '/instances',
        as: { roles: { [P1.id]: 'VIEWER', [P2.id]: 'OPERATOR' } },
        // The API answers the project asked for (the filter's projectId).
        answer: (name, v) => {
          if (name !== 'Instances') return undefined;
          const asked = (v.filter as { projectId?: string } | undefined)?.projectId;
          const all = [inst('i1', 'orders', P1.id), inst('i2', 'catalog', P2.id)];
          return { instances: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: all.filter((i) => !asked || i.projectId === asked) } };
        },
      },
    );
    const table = await screen.findByTestId('instances-table');
    expect(screen.getByTestId('list-project')).toHaveTextContent('in payments');
    expect(table.querySelector('tr[data-instance="orders"]')).not.toBeNull();
    expect(table.querySelector('tr[data-instance="catalog"]')).toBeNull();
    // A viewer here: nothing to create.
    expect(screen.queryByRole('link', { name: /New instance/ })).not.toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText('Project'), P2.id);
    await waitFor(() => expect(table.querySelector('tr[data-instance="catalog"]')).not.toBeNull());
    expect(table.querySelector('tr[data-instance="orders"]')).toBeNull();
    expect(screen.getByTestId('list-project')).toHaveTextContent('in search');
    expect(screen.getByRole('link', { name: /New instance/ })).toBeInTheDocument();
    expect(localStorage.getItem('toygres.project')).toBe(P2.id);
  });
});

describe('validateProjectName', () => {
  it('wants 1 to 100 printable characters', () => {
    expect(validateProjectName('  ')).toMatch(/required/);
    expect(validateProjectName('x'.repeat(101))).toMatch(/at most 100/);
    expect(validateProjectName('a\tb')).toMatch(/printable/);
    expect(validateProjectName('Payments team')).toBeNull();
  });
});
