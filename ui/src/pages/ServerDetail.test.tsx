import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServerDetailPage } from './ServerDetail';
import { Route, renderApp } from '../test/app';
import type { ServerDetailQuery } from '../gql/graphql';
import { move } from '../test/fixtures';

type Server = NonNullable<ServerDetailQuery['server']>;

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILpfbccAOxEUyLoikFt02cO4tjP4Cc4F4+czJ2NAA4w0';
const OWN_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO3d1ukCqu7ZmuB3f4ifd4JE+NHLzaGGd7l8iPPrGtxq toygres-alpha';
const inst = (id: string, name: string, over = {}) => ({
  id,
  name,
  state: 'RUNNING' as const,
  health: 'HEALTHY' as const,
  host: '127.0.33.1',
  port: 5433,
  plan: 'small',
  storageGb: 1,
  version: 15,
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

const alpha: Server = {
  id: 's1',
  projectId: 'p1',
  name: 'alpha',
  provider: 'EXISTING',
  plan: 'existing',
  region: 'default',
  providerId: 's1',
  vmName: 'tg-s1',
  ipv4: '127.0.33.1',
  ipv6: null,
  state: 'ACTIVE',
  failureReason: null,
  template: 'none',
  image: '',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  stateChangedAt: '2026-01-01T00:00:00Z',
  removedAt: null,
  sshPort: 2222,
  sshUser: 'root',
  sshHostKey: HOST_KEY,
  sshPublicKey: OWN_KEY,
  memoryGb: 23.54,
  diskGb: 50,
  pgVersions: [15],
  labels: [],
  instanceCount: 2,
  instances: [inst('i1', 'one'), inst('i2', 'two', { port: 5434 })],
  latestMetrics: null,
  operations: [],
};

const plan = {
  serverId: 's1',
  blocked: null,
  moves: [
    { position: 1, action: 'MOVE', instanceId: 'i1', instanceName: 'one', memberId: null, targetServerId: 's2', targetServerName: 'beta' },
    { position: 2, action: 'MOVE', instanceId: 'i2', instanceName: 'two', memberId: null, targetServerId: 's2', targetServerName: 'beta' },
  ],
};

const drain = (status: string, moves = [move(1, 'one', 'COPYING'), move(2, 'two', 'PLANNED')]) => ({
  operation: {
    id: 'd1',
    kind: 'drain_server',
    status,
    step: 'move_instances',
    error: null,
    targetId: 's1',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:01Z',
    finishedAt: null,
    moves,
  },
});

afterEach(() => localStorage.clear());

function renderPage(server: Server, answers: Record<string, (v: Record<string, unknown>) => unknown> = {}) {
  const data = { now: server };
  const mock = renderApp(<Route path="/servers/:id" element={<ServerDetailPage />} />, {
    at: '/servers/s1',
    as: { roles: { p1: 'OPERATOR' } },
    answer: (name, v) => {
      if (name === 'ServerDetail') return { server: data.now };
      if (name === 'ClusterEvents') return { clusterEvents: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } };
      return answers[name]?.(v);
    },
  });
  return { ...mock, data };
}

describe('ServerDetailPage', () => {
  it("lists the server's instances, live", async () => {
    const { push, data, sent } = renderPage(alpha);
    const table = await screen.findByRole('table', { name: 'Instances on this server' });
    const one = table.querySelector('tr[data-instance="one"]') as HTMLElement;
    expect(within(one).getByRole('link', { name: 'one' })).toHaveAttribute('href', '/instances/i1');
    expect(one).toHaveTextContent('RUNNING');
    expect(one).toHaveTextContent('HEALTHY');
    expect(one).toHaveTextContent('5433');
    expect(one).toHaveTextContent('small');
    expect(one).toHaveTextContent('1 GB');
    expect(screen.getByTestId('instance-count')).toHaveTextContent('2 live');

    // A change of a listed instance arrives by subscription.
    act(() => push('ServerInstanceUpdated', { instanceUpdated: { ...inst('i1', 'one', { health: 'UNHEALTHY', updatedAt: '2026-01-01T00:01:00Z' }), server: { id: 's1' } } }));
    expect(one).toHaveTextContent('UNHEALTHY');

    // One that arrives on this server (created, or moved here): the list is fetched again.
    const before = sent.filter((s) => s.name === 'ServerDetail').length;
    data.now = { ...alpha, instances: [...alpha.instances, inst('i3', 'three')] };
    act(() => push('ServerInstanceUpdated', { instanceUpdated: { ...inst('i3', 'three'), server: { id: 's1' } } }));
    await vi.waitFor(() => expect(table.querySelector('tr[data-instance="three"]')).not.toBeNull());
    expect(sent.filter((s) => s.name === 'ServerDetail').length).toBe(before + 1);
    // Elsewhere, and not listed: nothing to do.
    act(() => push('ServerInstanceUpdated', { instanceUpdated: { ...inst('i9', 'nine'), server: { id: 's2' } } }));
    expect(sent.filter((s) => s.name === 'ServerDetail').length).toBe(before + 1);
  });

  it('shows what a registered host was found to be: SSH login, host key, PostgreSQL, memory and disk', async () => {
    renderPage(alpha);
    expect(await screen.findByTestId('server-ssh')).toHaveTextContent('root@127.0.33.1:2222');
    expect(screen.getByTestId('server-host-key')).toHaveTextContent(HOST_KEY);
    expect(screen.getByTestId('server-pg-versions')).toHaveTextContent('15');
    expect(screen.getByTestId('server-memory')).toHaveTextContent('23.5 GB for instances');
    expect(screen.getByTestId('server-disk')).toHaveTextContent('50 GB for instances');
    expect(screen.getByText('Registered host (added by address)')).toBeInTheDocument();
    expect(screen.queryByText('VM name')).not.toBeInTheDocument();
  });

  it('goes from BOOTSTRAPPING to ACTIVE live, and shows the host key once recorded', async () => {
    const boot = { ...alpha, state: 'BOOTSTRAPPING' as const, sshHostKey: null, memoryGb: null, diskGb: null, pgVersions: [], instances: [], instanceCount: 0 };
    const { push } = renderPage(boot);
    expect(await screen.findByTestId('server-state')).toHaveTextContent('BOOTSTRAPPING');
    expect(screen.getByTestId('server-host-key')).toHaveTextContent('not recorded yet');
    expect(screen.getByTestId('server-public-key')).toHaveTextContent(OWN_KEY);
    expect(screen.getByTestId('server-public-key')).toHaveTextContent('~root/.ssh/authorized_keys');
    const { labels: _l, instanceCount: _c, instances: _i, latestMetrics: _m, operations: _o, ...fields } = alpha;
    act(() => push('ServerUpdated', { serverUpdated: { ...fields, updatedAt: '2026-01-01T00:00:02Z' } }));
    expect(screen.getByTestId('server-state')).toHaveTextContent('ACTIVE');
    expect(screen.getByTestId('server-host-key')).toHaveTextContent(HOST_KEY);
    expect(screen.getByTestId('server-public-key')).not.toHaveTextContent('authorized_keys');
  });

  it('previews a drain first, and sends it only on "Start drain"; then follows its moves', async () => {
    const drains: Record<string, unknown>[] = [];
    renderPage(alpha, {
      DrainServer: (v) => {
        drains.push(v);
        return { drainServer: { dryRun: v.dryRun, plan, operation: v.dryRun ? null : { id: 'd1', kind: 'drain_server', status: 'QUEUED' } } };
      },
      DrainProgress: () => drain('RUNNING'),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Drain…' }));
    const preview = await screen.findByTestId('drain-preview');
    expect(drains).toEqual([{ id: 's1', dryRun: true }]);
    const rows = within(preview).getAllByRole('row').slice(1);
    expect(rows.map((r) => [r.getAttribute('data-instance'), r.getAttribute('data-target')])).toEqual([
      ['one', 'beta'],
      ['two', 'beta'],
    ]);
    expect(screen.queryByTestId('drain-progress')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Drain…' })).toBeDisabled();

    await userEvent.click(within(preview).getByRole('button', { name: 'Start drain' }));
    expect(drains).toEqual([
      { id: 's1', dryRun: true },
      { id: 's1', dryRun: false },
    ]);
    const progress = await screen.findByTestId('drain-progress');
    expect(screen.queryByTestId('drain-preview')).not.toBeInTheDocument();
    await vi.waitFor(() => expect(within(progress).getByRole('table', { name: 'Moves' })).toBeInTheDocument());
    expect(progress.querySelector('tr[data-instance="one"]')).toHaveAttribute('data-phase', 'COPYING');
  });

  it('shows why a drain is blocked, with no way to start it', async () => {
    const blocked = 'instance one cannot move off alpha: no server has room for it (512 MB memory, 1 GB disk, PostgreSQL 15): beta is draining';
    const drains: unknown[] = [];
    renderPage(alpha, {
      DrainServer: (v) => {
        drains.push(v);
        return { drainServer: { dryRun: true, plan: { serverId: 's1', blocked, moves: [] }, operation: null } };
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Drain…' }));
    expect(await screen.findByTestId('drain-blocked')).toHaveTextContent(blocked);
    expect(screen.queryByRole('button', { name: 'Start drain' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('drain-preview')).not.toBeInTheDocument();
    expect(drains).toHaveLength(1);
  });

  it("shows the latest drain's moves when opened", async () => {
    const draining = {
      ...alpha,
      state: 'DRAINING' as const,
      instances: [],
      instanceCount: 0,
      operations: [
        { id: 'd1', kind: 'drain_server', status: 'SUCCEEDED' as const, step: 'mark_drained', attempts: 1, error: null, createdAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:30Z' },
        { id: 'r1', kind: 'register_server', status: 'SUCCEEDED' as const, step: 'mark_active', attempts: 1, error: null, createdAt: '2025-12-31T00:00:00Z', finishedAt: null },
      ],
    };
    const { sent } = renderPage(draining, {
      DrainProgress: () =>
        drain('SUCCEEDED', [move(1, 'one', 'DONE', { unavailableMs: 626.1, lagBytes: 0 }), move(2, 'two', 'DONE', { unavailableMs: 536.1, lagBytes: 0 })]),
    });
    const progress = await screen.findByTestId('drain-progress');
    await vi.waitFor(() => expect(within(progress).getByTestId('drain-summary')).toHaveTextContent('2 of 2 moved, longest write pause 626 ms'));
    expect(sent.find((s) => s.name === 'DrainProgress')?.variables).toEqual({ id: 'd1' });
    expect(within(progress.querySelector('tr[data-instance="two"]') as HTMLElement).getByTestId('writes-paused')).toHaveTextContent('writes paused 536 ms');
    expect(screen.getByTestId('no-server-instances')).toHaveTextContent('No instances run on alpha.');
  });
});
