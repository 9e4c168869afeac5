import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectQuota } from './ProjectQuota';
import { P1, Route, renderApp, type As } from '../test/app';
import { gqlError } from '../test/mockClient';

afterEach(() => localStorage.clear());

const project = (over: Record<string, unknown> = {}) => ({
  id: P1.id,
  quota: { instances: 10, storageGb: 250, servers: 5, standbys: null, isDefault: true },
  usage: { instances: 3, storageGb: 30, servers: 1, standbys: 0 },
  ...over,
});

function renderQuota(as: As, canEdit: boolean, answer: (name: string, v: Record<string, unknown>) => unknown = () => undefined) {
  return renderApp(<Route path="/projects/:id/members" element={<ProjectQuota projectId={P1.id} canEdit={canEdit} />} />, {
    at: `/projects/${P1.id}/members`,
    as,
    answer: (name, v) => {
      const a = answer(name, v);
      if (a !== undefined) return a;
      if (name === 'ProjectQuota') return { project: project() };
      return undefined;
    },
  });
}

const cells = (limit: string) =>
  Array.from((document.querySelector(`tr[data-limit="${limit}"]`) as HTMLElement).querySelectorAll('td')).map((td) => td.textContent);

describe('ProjectQuota', () => {
  it('shows each limit next to what the project holds, and no editing to members', async () => {
    renderQuota({ roles: { [P1.id]: 'ADMIN' } }, false);
    await screen.findByRole('table', { name: 'Quota and usage' });
    expect(cells('instances')).toEqual(['Instances', '3', '10']);
    expect(cells('storageGb')).toEqual(['Storage', '30 GB', '250 GB']);
    expect(cells('servers')).toEqual(['Servers', '1', '5']);
    expect(cells('standbys')).toEqual(['Standbys', '0', 'unlimited']);
    expect(screen.getByTestId('quota-source')).toHaveTextContent("The installation's default quota applies.");
    expect(screen.queryByRole('button', { name: 'Edit quota…' })).not.toBeInTheDocument();
  });

  it('lets a site admin set limits, blank meaning unlimited, and checks them first', async () => {
    const { sent } = renderQuota({ isSiteAdmin: true }, true, (name) =>
      name === 'SetProjectQuota'
        ? { setProjectQuota: project({ quota: { instances: 2, storageGb: null, servers: 5, standbys: null, isDefault: false } }) }
        : undefined,
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Edit quota…' }));
    const form = screen.getByRole('form', { name: 'Edit quota' });
    const instances = within(form).getByLabelText('Instances');
    await userEvent.clear(instances);
    await userEvent.type(instances, '-1');
    await userEvent.click(within(form).getByRole('button', { name: 'Save quota' }));
    expect(await screen.findByText('A whole number from 0, or blank for unlimited.')).toHaveAttribute('id', 'q-instances-error');
    expect(sent.some((s) => s.name === 'SetProjectQuota')).toBe(false);

    await userEvent.clear(instances);
    await userEvent.type(instances, '2');
    await userEvent.clear(within(form).getByLabelText('Storage (GB)'));
    await userEvent.click(within(form).getByRole('button', { name: 'Save quota' }));
    expect(await screen.findByTestId('quota-notice')).toHaveTextContent('Quota saved.');
    expect(sent.find((s) => s.name === 'SetProjectQuota')?.variables).toEqual({
      projectId: P1.id,
      input: { instances: 2, storageGb: null, servers: 5, standbys: null },
    });
    expect(cells('instances')).toEqual(['Instances', '3', '2']);
    expect(cells('storageGb')).toEqual(['Storage', '30 GB', 'unlimited']);
    expect(screen.getByTestId('quota-source')).toHaveTextContent('A site admin set this project its own quota.');
  });

  it('returns a project to the installation default, and shows a refusal in the form', async () => {
    let refuse = true;
    const { sent } = renderQuota({ isSiteAdmin: true }, true, (name) => {
      if (name !== 'SetProjectQuota') return undefined;
      if (refuse) return gqlError('FORBIDDEN', 'only site admins may set quotas');
      return { setProjectQuota: project() };
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Edit quota…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Use installation default' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('only site admins may set quotas');
    refuse = false;
    await userEvent.click(screen.getByRole('button', { name: 'Use installation default' }));
    expect(await screen.findByTestId('quota-notice')).toHaveTextContent('The installation default applies again.');
    expect(sent.filter((s) => s.name === 'SetProjectQuota').at(-1)?.variables).toEqual({ projectId: P1.id, input: { useDefault: true } });
  });
});
