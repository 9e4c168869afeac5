import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLogPage, shortAgent, targetLink } from './AuditLog';
import { P1, P2, Route, renderApp } from '../test/app';

afterEach(() => localStorage.clear());

describe('AuditLogPage', () => {
  const entry = (id: string, action: string, over: Record<string, unknown> = {}) => ({
    id,
    at: '2026-01-01T00:00:00Z',
    actor: 'admin@example.com',
    actorUserId: 'u-admin',
    tokenId: null,
    projectId: P1.id,
    action,
    targetId: 'a1b2c3d4-0000-0000-0000-000000000000',
    arguments: { name: 'x', password: '[redacted]' },
    sourceIp: '127.0.0.1',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.7339.80 Safari/537.36',
    outcome: 'succeeded',
    errorCode: null,
    errorMessage: null,
    ...over,
  });

  it('lists entries newest first, loads more with after, and filters by project', async () => {
    const { sent } = renderApp(<Route path="/audit" element={<AuditLogPage />} />, {
      at: '/audit',
      as: { roles: { [P1.id]: 'ADMIN', [P2.id]: 'VIEWER' } },
      answer: (name, v) => {
        if (name !== 'AuditLog') return undefined;
        if (v.after)
          return { auditLog: { pageInfo: { hasNextPage: false, endCursor: 'e3' }, nodes: [entry('e3', 'createProject')] } };
        return {
          auditLog: {
            pageInfo: { hasNextPage: true, endCursor: 'e2' },
            nodes: [
              entry('e1', 'deleteProject', { outcome: 'failed', errorCode: 'CONFLICT', errorMessage: 'the project still holds 1 instance(s)' }),
              entry('e2', 'createApiToken', { actor: 'API token ci', tokenId: 't1' }),
            ],
          },
        };
      },
    });
    const table = await screen.findByRole('table', { name: 'Audit log' });
    expect(within(table).getAllByTestId('audit-action').map((c) => c.textContent)).toEqual(['deleteProject', 'createApiToken']);
    const failed = table.querySelector('tr[data-action="deleteProject"]') as HTMLElement;
    expect(failed).toHaveTextContent('failed · CONFLICT');
    expect(failed).toHaveTextContent('the project still holds 1 instance(s)');
    expect(failed).toHaveTextContent('payments');
    expect(failed).toHaveTextContent('HeadlessChrome/140.0');
    expect(within(table.querySelector('tr[data-action="createApiToken"]') as HTMLElement).getByText('API token')).toBeInTheDocument();

    await userEvent.click(within(failed).getByRole('button', { name: 'Details' }));
    expect(screen.getByText(/"password": "\[redacted\]"/)).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await within(table).findByText('createProject');
    expect(screen.getByTestId('audit-count')).toHaveTextContent('3 shown');
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();

    // Only projects the caller administers are offered as filters.
    const filter = screen.getByLabelText('Filter by project');
    expect(within(filter).queryByRole('option', { name: 'search' })).not.toBeInTheDocument();
    await userEvent.selectOptions(filter, P1.id);
    await waitFor(() => expect(sent.filter((s) => s.name === 'AuditLog').at(-1)?.variables).toEqual({ first: 20, projectId: P1.id }));
    // The first page, the next one after its cursor, then the filtered first page.
    const asked = sent.filter((s) => s.name === 'AuditLog').map((s) => `${s.variables.projectId ?? 'all'}:${s.variables.after ?? 'start'}`);
    expect(asked.filter((a, i) => a !== asked[i - 1])).toEqual(['all:start', 'all:e2', `${P1.id}:start`]);
  });

  it('links targets to their pages and shortens user agents', () => {
    expect(targetLink('deleteInstance', 'i1')).toBe('/instances/i1');
    expect(targetLink('runReadOnlyQuery', 'i1')).toBe('/instances/i1');
    expect(targetLink('drainServer', 's1')).toBe('/servers/s1');
    expect(targetLink('renameProject', 'p1')).toBe('/projects/p1/members');
    expect(targetLink('revokeApiToken', 't1')).toBeNull();
    expect(targetLink('login', null)).toBeNull();
    expect(shortAgent('curl/7.88.1')).toBe('curl/7.88');
    expect(shortAgent('node')).toBe('node');
    expect(shortAgent(null)).toBe('');
  });
});
