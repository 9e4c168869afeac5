import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { Provider as Urql } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InstanceDetailPage } from './InstanceDetail';
import { AuthProvider } from '../lib/auth';
import { gqlError, mockClient } from '../test/mockClient';
import type { InstanceDetailQuery } from '../gql/graphql';
import { backupsAnswer, highAvailability, member } from '../test/fixtures';

type Instance = NonNullable<InstanceDetailQuery['instance']>;

const PULL = 'ImagePullBackOff: Back-off pulling image "docker.io/library/postgres:99"';
const plans = [{ name: 'small', cpuRequestMillis: 250, cpuLimitMillis: 1000, memoryMib: 512 }];
const ev = (id: string, kind: string, severity: string, message: string, createdAt: string) => ({ id, serverId: null, instanceId: 'i1', kind, severity, message, createdAt });

const instance: Instance = {
  id: 'i1',
  projectId: 'p1',
  name: 'orders',
  provider: 'KUBERNETES',
  plan: 'small',
  serviceType: 'LOAD_BALANCER',
  statusMessage: PULL,
  version: 15,
  storageGb: 10,
  state: 'CREATING',
  health: 'UNKNOWN',
  failureReason: null,
  username: 'app',
  database: 'app',
  host: null,
  port: null,
  connectionString: null,
  lastCheckedAt: null,
  latencyMs: null,
  serverVersion: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:05Z',
  restoredFrom: null,
  readOnlyConnectionString: null,
  members: [],
  highAvailability: highAvailability(),
  archiving: null,
  lastDrill: [],
  server: null,
  moves: [],
  healthChecks: [],
  operations: [],
  events: {
    pageInfo: { hasNextPage: false, endCursor: null },
    nodes: [ev('e1', 'pod_problem', 'warning', `pod tg-orders-0: ${PULL}`, '2026-01-01T00:00:05Z')],
  },
};

/** An operator's session, so the page offers its actions. */
function logIn() {
  const user = { id: 'u1', email: 'op@example.com', isSiteAdmin: false, roles: [{ projectId: 'p1', projectName: 'default', role: 'OPERATOR' }] };
  localStorage.setItem('toygres.session', JSON.stringify({ token: 't', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user }));
}
afterEach(() => localStorage.clear());

/** What the last `renderPage` answers `InstanceDetail` with; a test may change it. */
const renderedAnswer: { instance: Instance } = { instance };

function renderPage(data: Instance = instance) {
  renderedAnswer.instance = data;
  const mock = mockClient((name) => {
    if (name === 'InstanceDetail') return { instance: renderedAnswer.instance, instancePlans: plans };
    if (name === 'InstanceBackups') return backupsAnswer();
    if (name === 'RestoreDrillPolicy') return { restoreDrillPolicy: { projectId: 'p1', schedule: '0 4 * * 0' } };
    if (name === 'DeleteInstance') return { deleteInstance: { id: 'o2', kind: 'delete_instance', status: 'QUEUED' } };
    throw new Error(`unexpected ${name}`);
  });
  render(
    <Urql value={mock.client}>
      <AuthProvider>
        <MemoryRouter initialEntries={['/instances/i1']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes>
            <Route path="/instances/:id" element={<InstanceDetailPage />} />
            <Route path="/instances" element={<p>the list</p>} />
          </Routes>
        </MemoryRouter>
      </AuthProvider>
    </Urql>,
  );
  return mock;
}

describe('InstanceDetailPage for a Kubernetes instance', () => {
  it("shows the provider's problem in a banner, and its events; both change live", async () => {
    const { push, subscriptions } = renderPage();
    const banner = await screen.findByTestId('status-message');
    expect(banner).toHaveRole('alert');
    expect(banner).toHaveTextContent(`Kubernetes reports a problem: ${PULL}`);
    expect(screen.getByTestId('provider')).toHaveTextContent('Kubernetes');
    expect(screen.getByTestId('service-type')).toHaveTextContent('Load balancer (a cloud load balancer, reachable from outside)');
    expect(screen.getByText('(0.25 to 1 CPU · 512 MiB)')).toBeInTheDocument();
    const events = screen.getByRole('table', { name: 'Instance events' });
    expect(within(events).getByText(/pod tg-orders-0: ImagePullBackOff/)).toBeInTheDocument();
    expect(subscriptions.find((s) => s.name === 'ClusterEventAdded')?.variables).toEqual({ instanceId: 'i1' });

    // The pod recovers: instanceUpdated clears the message, clusterEvents brings the event.
    act(() =>
      push('InstanceUpdated', { instanceUpdated: { ...instance, statusMessage: null, state: 'RUNNING', updatedAt: '2026-01-01T00:00:09Z', healthChecks: undefined } }, { id: 'i1' }),
    );
    act(() => push('ClusterEventAdded', { clusterEvents: ev('e2', 'pod_recovered', 'info', 'pod tg-orders-0 has no problem any more', '2026-01-01T00:00:09Z') }));
    expect(screen.queryByTestId('status-message')).not.toBeInTheDocument();
    const rows = within(events).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-event'))).toEqual(['pod_recovered', 'pod_problem']);
  });

  it('offers to keep the volume when deleting, and sends retainStorage', async () => {
    logIn();
    const { sent } = renderPage({ ...instance, statusMessage: null, state: 'RUNNING' });
    await userEvent.click(await screen.findByRole('button', { name: 'Delete…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete orders?' });
    expect(dialog).toHaveTextContent('with all its data');
    // Kubernetes instances have no backups to keep or delete.
    expect(within(dialog).queryByLabelText('Delete its backups too')).not.toBeInTheDocument();
    await userEvent.click(within(dialog).getByLabelText('Keep the volume (PVC)'));
    expect(dialog).toHaveTextContent('keeps its volume (the PVC)');
    await userEvent.type(within(dialog).getByLabelText(/Type orders to confirm/), 'orders');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete instance' }));
    await screen.findByText('the list');
    expect(sent.find((s) => s.name === 'DeleteInstance')?.variables).toEqual({ id: 'i1', retainStorage: true });
  });
});

describe('InstanceDetailPage for a local instance', () => {
  it('has no service type, no problem banner, and deletes without retainStorage', async () => {
    logIn();
    const { sent } = renderPage({ ...instance, provider: 'LOCAL', serviceType: null, statusMessage: null, state: 'RUNNING', events: { ...instance.events, nodes: [] } });
    await screen.findByRole('button', { name: 'Delete…' });
    expect(screen.getByTestId('provider')).toHaveTextContent('Local');
    expect(screen.queryByTestId('service-type')).not.toBeInTheDocument();
    expect(screen.queryByTestId('status-message')).not.toBeInTheDocument();
    expect(screen.getByText('No events yet.')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Delete…' }));
    expect(screen.queryByLabelText('Keep the volume (PVC)')).not.toBeInTheDocument();
    // Its backups are kept unless asked.
    expect(screen.getByRole('dialog')).toHaveTextContent('Its backups are kept for their retention period');
    expect(screen.getByLabelText('Delete its backups too')).not.toBeChecked();
    await userEvent.type(screen.getByLabelText(/Type orders to confirm/), 'orders{enter}');
    await screen.findByText('the list');
    expect(sent.find((s) => s.name === 'DeleteInstance')?.variables).toEqual({ id: 'i1', purgeBackups: false });
  });
});

describe('InstanceDetailPage’s High availability', () => {
  const withStandby: Instance = {
    ...instance,
    provider: 'LOCAL',
    serviceType: null,
    statusMessage: null,
    state: 'RUNNING',
    host: '127.0.0.1',
    port: 5433,
    connectionString: 'postgresql://app:secret-password@127.0.0.1:5433,127.0.0.1:5434/app?target_session_attrs=read-write',
    readOnlyConnectionString: 'postgresql://app:secret-password@127.0.0.1:5433,127.0.0.1:5434/app?target_session_attrs=prefer-standby',
    members: [member('m1', 'PRIMARY'), member('m2', 'STANDBY', { lagBytes: 0 })],
    highAvailability: highAvailability({ standbys: 1 }),
    events: { ...instance.events, nodes: [] },
  };

  it('lists the members, refetched when the instance changes, with the read-only connection string beside the other', async () => {
    logIn();
    const { push } = renderPage(withStandby);
    const card = await screen.findByTestId('high-availability');
    const role = (id: string) => card.querySelector(`tr[data-member="${id}"]`)?.getAttribute('data-role');
    expect([role('m1'), role('m2')]).toEqual(['PRIMARY', 'STANDBY']);
    expect(within(card).getByRole('button', { name: 'Switch over…' })).toBeEnabled();
    const readOnly = screen.getByTestId('read-only-connection-string');
    expect(readOnly).toHaveTextContent('target_session_attrs=prefer-standby');
    expect(readOnly).not.toHaveTextContent('secret-password');
    expect(screen.getAllByRole('button', { name: 'Copy' })).toHaveLength(2);

    // A switchover elsewhere (the watcher's failover, another client): instanceUpdated refetches.
    renderedAnswer.instance = {
      ...withStandby,
      members: [member('m2', 'PRIMARY', { port: 5434 }), member('m1', 'STANDBY', { port: 5433, state: 'CREATING' })],
    };
    act(() => push('InstanceUpdated', { instanceUpdated: { ...withStandby, updatedAt: '2026-01-01T00:00:09Z' } }, { id: 'i1' }));
    await waitFor(() => expect(role('m1')).toBe('STANDBY'));
    expect(role('m2')).toBe('PRIMARY');
  });

  it('offers a viewer no standby actions', async () => {
    const user = { id: 'u2', email: 'v@example.com', isSiteAdmin: false, roles: [{ projectId: 'p1', projectName: 'default', role: 'VIEWER' }] };
    localStorage.setItem('toygres.session', JSON.stringify({ token: 't', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user }));
    renderPage(withStandby);
    const card = await screen.findByTestId('high-availability');
    expect(within(card).getByRole('table', { name: 'Members' })).toBeInTheDocument();
    expect(within(card).queryAllByRole('button')).toEqual([]);
  });

  it('shows no read-only connection string without a standby', async () => {
    logIn();
    renderPage({ ...withStandby, members: [member('m1', 'PRIMARY')], highAvailability: highAvailability() });
    await screen.findByTestId('high-availability');
    expect(screen.queryByTestId('read-only-connection-string')).not.toBeInTheDocument();
  });
});

describe('InstanceDetailPage’s Data tab', () => {
  function renderAs(role: 'OPERATOR' | 'VIEWER', state: Instance['state']) {
    const user = { id: 'u1', email: 'u@example.com', isSiteAdmin: false, roles: [{ projectId: 'p1', projectName: 'default', role }] };
    localStorage.setItem('toygres.session', JSON.stringify({ token: 't', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user }));
    const mock = mockClient((name) => {
      if (name === 'InstanceDetail') return { instance: { ...instance, provider: 'LOCAL', serviceType: null, statusMessage: null, state }, instancePlans: plans };
      if (name === 'InstanceTables') return { instance: { id: 'i1', tables: [] } };
      throw new Error(`unexpected ${name}`);
    });
    render(
      <Urql value={mock.client}>
        <AuthProvider>
          <MemoryRouter initialEntries={['/instances/i1']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
            <Routes>
              <Route path="/instances/:id" element={<InstanceDetailPage />} />
            </Routes>
          </MemoryRouter>
        </AuthProvider>
      </Urql>,
    );
    return mock;
  }

  it('browses a running instance’s data for its operators', async () => {
    const { sent } = renderAs('OPERATOR', 'RUNNING');
    const tabs = await screen.findByRole('tablist', { name: 'Instance views' });
    expect(within(tabs).getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true');
    expect(sent.some((s) => s.name === 'InstanceTables')).toBe(false);
    await userEvent.click(within(tabs).getByRole('tab', { name: 'Data' }));
    expect(within(tabs).getByRole('tab', { name: 'Data' })).toHaveAttribute('aria-selected', 'true');
    await screen.findByTestId('no-tables');
    expect(screen.getByLabelText('Read-only SQL')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Connection' })).not.toBeInTheDocument();
    await userEvent.click(within(tabs).getByRole('tab', { name: 'Overview' }));
    await screen.findByRole('heading', { name: 'Connection' });
  });

  it('is not offered to viewers, whom the API refuses', async () => {
    renderAs('VIEWER', 'RUNNING');
    await screen.findByRole('heading', { name: 'Connection' });
    const tabs = screen.getByRole('tablist', { name: 'Instance views' });
    expect(within(tabs).getAllByRole('tab').map((t) => t.textContent)).toEqual(['Overview', 'Backups']);
    expect(screen.queryByRole('tab', { name: 'Data' })).not.toBeInTheDocument();
  });

  it('is not offered while the instance is not running', async () => {
    renderAs('OPERATOR', 'STOPPED');
    await screen.findByRole('heading', { name: 'Connection' });
    expect(screen.queryByRole('tab', { name: 'Data' })).not.toBeInTheDocument();
  });
});

describe('InstanceDetailPage for an instance on a fleet server', () => {
  const onServer: Instance = {
    ...instance,
    provider: 'SERVER',
    serviceType: null,
    statusMessage: null,
    state: 'RUNNING',
    health: 'HEALTHY',
    host: '127.0.33.1',
    port: 5433,
    server: { id: 's1', name: 'alpha', state: 'ACTIVE', region: 'default' },
    events: { ...instance.events, nodes: [] },
  };
  const active = (id: string, name: string, sshHostKey: string | null = 'ssh-ed25519 A') => ({
    id,
    projectId: 'p1',
    name,
    provider: 'EXISTING',
    region: 'default',
    state: 'ACTIVE',
    sshHostKey,
    memoryGb: 4,
    diskGb: 50,
    pgVersions: [15],
    instanceCount: 0,
  });
  const moveOp = (phase: string, unavailableMs: number | null) => ({
    operation: {
      id: 'mo1',
      kind: 'move_instance',
      status: phase === 'DONE' ? 'SUCCEEDED' : 'RUNNING',
      step: 'catch_up',
      error: null,
      targetId: 'i1',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      finishedAt: null,
      move: {
        id: 'm1',
        instanceId: 'i1',
        position: 1,
        phase,
        instance: { id: 'i1', name: 'orders' },
        source: { id: 's1', name: 'alpha' },
        target: { id: 's2', name: 'beta' },
        operation: { id: 'mo1', status: 'RUNNING', step: 'catch_up', error: null },
        lagBytes: 0,
        unavailableMs,
        writesStoppedAt: null,
        writesResumedAt: null,
        error: null,
        createdAt: '2026-01-01T00:00:00Z',
        finishedAt: null,
      },
    },
  });

  function renderMovable(moveAnswer: () => unknown) {
    logIn();
    const state = { move: moveOp('CATCHING_UP', null) };
    const mock = mockClient((name) => {
      if (name === 'InstanceDetail') return { instance: onServer, instancePlans: plans };
      if (name === 'ActiveServers') return { servers: { nodes: [active('s1', 'alpha'), active('s2', 'beta'), active('s3', 'gamma', null)] } };
      if (name === 'MoveInstance') return moveAnswer() ?? { moveInstance: { id: 'mo1', kind: 'move_instance', status: 'QUEUED' } };
      if (name === 'MoveProgress') return state.move;
      throw new Error(`unexpected ${name}`);
    });
    render(
      <Urql value={mock.client}>
        <AuthProvider>
          <MemoryRouter initialEntries={['/instances/i1']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
            <Routes>
              <Route path="/instances/:id" element={<InstanceDetailPage />} />
            </Routes>
          </MemoryRouter>
        </AuthProvider>
      </Urql>,
    );
    return { ...mock, state };
  }

  it('links its server, and moves it to a picked server, following the move live', async () => {
    const { sent, push, state } = renderMovable(() => null);
    const server = await screen.findByTestId('instance-server');
    expect(within(server).getByRole('link', { name: 'alpha' })).toHaveAttribute('href', '/servers/s1');
    expect(screen.getByTestId('provider')).toHaveTextContent('Fleet server');

    await userEvent.click(screen.getByRole('button', { name: 'Move…' }));
    const dialog = screen.getByRole('dialog', { name: 'Move orders?' });
    const target = within(dialog).getByLabelText('Move to');
    await within(target).findByRole('option', { name: /^beta/ });
    // Not where it is, nor a server never reached over SSH.
    expect(within(target).getAllByRole('option').map((o) => o.textContent)).toEqual(['The best server by the placement rule', 'beta — default · 4 GB · 0 instances']);
    await userEvent.selectOptions(target, 's2');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Move instance' }));
    expect(sent.find((s) => s.name === 'MoveInstance')?.variables).toEqual({ id: 'i1', serverId: 's2' });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();

    const panel = await screen.findByTestId('move-progress');
    await vi.waitFor(() => expect(panel).toHaveTextContent('Move from alpha to beta'));
    expect(panel).toHaveTextContent('Catching up');
    state.move = moveOp('DONE', 812.4);
    act(() => push('OperationUpdated', { operationUpdated: { id: 'mo1' } }, { id: 'mo1' }));
    await vi.waitFor(() => expect(within(panel).getByTestId('writes-paused')).toHaveTextContent('writes paused 812 ms'));
  });

  it('moves by the placement rule when no server is picked, and shows a refusal in the dialog', async () => {
    const { sent } = renderMovable(() => gqlError('INVALID_INPUT', 'instance orders cannot move: no server has room for it (512 MB memory, 10 GB disk, PostgreSQL 15): beta is draining'));
    await userEvent.click(await screen.findByRole('button', { name: 'Move…' }));
    const dialog = screen.getByRole('dialog', { name: 'Move orders?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Move instance' }));
    expect(sent.find((s) => s.name === 'MoveInstance')?.variables).toEqual({ id: 'i1' });
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('cannot move: no server has room for it');
    expect(screen.queryByTestId('move-progress')).not.toBeInTheDocument();
  });
});

describe('InstanceDetailPage’s header, about backups', () => {
  const local: Instance = { ...instance, provider: 'LOCAL', serviceType: null, statusMessage: null, state: 'RUNNING', health: 'HEALTHY', events: { ...instance.events, nodes: [] } };

  it('shows archiving that fails, with what it means for restores, and clears it live', async () => {
    const archiving = { lastArchivedAt: '2026-01-01T00:00:00Z', lastFailedAt: '2026-01-01T00:05:00Z', lastError: 'archive-push: unable to write to repository: No space left on device' };
    const { push } = renderPage({ ...local, archiving });
    const banner = await screen.findByTestId('archiving-error');
    expect(banner).toHaveRole('alert');
    expect(banner).toHaveTextContent('WAL archiving is failing');
    expect(banner).toHaveTextContent('No space left on device');
    expect(banner).toHaveTextContent(`restores reach only to ${new Date('2026-01-01T00:00:00Z').toLocaleString()}`);
    expect(within(banner).getByText(new Date('2026-01-01T00:00:00Z').toLocaleString())).toHaveAttribute('title', '2026-01-01 00:00:00 UTC');
    // Archiving works again: the update refetches the page, which no longer reports it.
    renderedAnswer.instance = { ...local, archiving: { ...archiving, lastError: null }, updatedAt: '2026-01-01T00:06:00Z' };
    const { id, name, state, health, failureReason, statusMessage, host, port, latencyMs, lastCheckedAt, serverVersion, updatedAt, lastDrill } = renderedAnswer.instance;
    const event = { id, name, state, health, failureReason, statusMessage, host, port, latencyMs, lastCheckedAt, serverVersion, updatedAt, lastDrill };
    act(() => push('InstanceUpdated', { instanceUpdated: event }, { id: 'i1' }));
    await waitFor(() => expect(screen.queryByTestId('archiving-error')).not.toBeInTheDocument());
  });

  it('shows a failed restore drill in red, and opens the Backups tab from it', async () => {
    const lastDrill = [{ id: 'd1', status: 'FAILED' as const, at: '2026-01-01T04:00:00Z', error: 'the canary row is missing from the restored copy' }];
    renderPage({ ...local, lastDrill });
    const banner = await screen.findByTestId('drill-failed');
    expect(banner).toHaveClass('notice-bad');
    expect(banner).toHaveTextContent('The last restore drill failed');
    expect(banner).toHaveTextContent('the canary row is missing from the restored copy');
    expect(screen.queryByTestId('archiving-error')).not.toBeInTheDocument();
    await userEvent.click(within(banner).getByRole('button', { name: 'Open Backups' }));
    expect(screen.getByRole('tab', { name: 'Backups' })).toHaveAttribute('aria-selected', 'true');
  });
});
