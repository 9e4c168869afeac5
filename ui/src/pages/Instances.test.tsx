import { act, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { InstancesPage } from './Instances';
import { P1, Route, renderApp } from '../test/app';

afterEach(() => localStorage.clear());

const row = (id: string, name: string, state: string, updatedAt: string) => ({
  id,
  projectId: P1.id,
  name,
  provider: 'LOCAL',
  plan: 'small',
  version: 15,
  storageGb: 10,
  state,
  health: 'UNKNOWN',
  host: null,
  port: null,
  latencyMs: null,
  lastCheckedAt: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt,
});

const event = (id: string, name: string, state: string, updatedAt: string) => ({
  instanceUpdated: { id, name, state, health: 'UNKNOWN', failureReason: null, statusMessage: null, host: null, port: null, latencyMs: null, lastCheckedAt: null, serverVersion: null, updatedAt },
});

describe('InstancesPage', () => {
  it('keeps a refetched row when an older event about it arrives late', async () => {
    localStorage.setItem('toygres.project', P1.id);
    // What the API lists now.
    let listed = [row('i1', 'orders', 'CREATING', '2026-01-01T00:00:01Z')];
    const { push } = renderApp(<Route path="/instances" element={<InstancesPage />} />, {
      at: '/instances',
      as: { roles: { [P1.id]: 'OPERATOR' } },
      answer: (name) => {
        if (name !== 'Instances') return undefined;
        return { instances: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: listed } };
      },
    });
    const table = await screen.findByTestId('instances-table');
    const state = (name: string) => within(table.querySelector(`tr[data-instance="${name}"]`) as HTMLElement).getByTestId('state');
    expect(state('orders')).toHaveTextContent('CREATING');

    // An instance made elsewhere: the list is fetched again, and orders has since started.
    listed = [row('i2', 'catalog', 'CREATING', '2026-01-01T00:00:02Z'), row('i1', 'orders', 'RUNNING', '2026-01-01T00:00:03Z')];
    act(() => push('InstanceUpdated', event('i2', 'catalog', 'CREATING', '2026-01-01T00:00:02Z')));
    await waitFor(() => expect(state('orders')).toHaveTextContent('RUNNING'));

    // An event from before that fetch, delivered late, does not take it back.
    act(() => push('InstanceUpdated', event('i1', 'orders', 'CREATING', '2026-01-01T00:00:02Z')));
    expect(state('orders')).toHaveTextContent('RUNNING');

    // A newer one does apply.
    act(() => push('InstanceUpdated', event('i1', 'orders', 'STOPPING', '2026-01-01T00:00:04Z')));
    expect(state('orders')).toHaveTextContent('STOPPING');
  });

  it('shows an instance whose last restore drill failed in red, live', async () => {
    localStorage.setItem('toygres.project', P1.id);
    const ok = [{ id: 'd1', status: 'SUCCEEDED', at: '2026-01-01T04:00:00Z', error: null }];
    const { push } = renderApp(<Route path="/instances" element={<InstancesPage />} />, {
      at: '/instances',
      as: { roles: { [P1.id]: 'OPERATOR' } },
      answer: (name) =>
        name === 'Instances'
          ? { instances: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [{ ...row('i1', 'orders', 'RUNNING', '2026-01-01T00:00:01Z'), lastDrill: ok }] } }
          : undefined,
    });
    const table = await screen.findByTestId('instances-table');
    const orders = table.querySelector('tr[data-instance="orders"]') as HTMLElement;
    expect(within(orders).queryByTestId('drill-failed')).not.toBeInTheDocument();

    // The drill fails: its row touches the instance, and the event carries the drill.
    const failed = [{ id: 'd2', status: 'FAILED', at: '2026-01-02T04:00:00Z', error: 'the canary row is missing' }];
    act(() => push('InstanceUpdated', { instanceUpdated: { ...event('i1', 'orders', 'RUNNING', '2026-01-02T04:05:00Z').instanceUpdated, lastDrill: failed } }));
    const badge = await within(orders).findByTestId('drill-failed');
    expect(badge).toHaveTextContent('drill failed');
    expect(within(badge).getByText('drill failed')).toHaveClass('badge-bad');
    expect(within(badge).getByText('drill failed')).toHaveAttribute('title', 'The last restore drill failed: the canary row is missing');
  });
});
