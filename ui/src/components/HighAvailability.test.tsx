import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { Provider as Urql } from 'urql';
import { describe, expect, it, vi } from 'vitest';
import { HighAvailabilityCard, replayLag, type HaInstance } from './HighAvailability';
import type { HighAvailabilityFieldsFragment as HighAvailability, InstanceMemberFieldsFragment as Member, OperationStatus } from '../gql/graphql';
import { gqlError, mockClient } from '../test/mockClient';
import { highAvailability, member } from '../test/fixtures';

const orders: HaInstance = { id: 'i1', name: 'orders', projectId: 'p1', provider: 'LOCAL', state: 'RUNNING' };
const primary = member('m1', 'PRIMARY');
const streaming = member('m2', 'STANDBY', { lagBytes: 2048, replayLagMs: 812.4, checkedAt: '2026-01-01T00:00:00Z' });
const lagging = member('m3', 'STANDBY', { port: 5435, state: 'LAGGING', lagBytes: 20 * 1024 * 1024, replayLagMs: 4200 });

const operation = (id: string, kind: string) => ({
  operation: {
    id,
    projectId: 'p1',
    kind,
    targetKind: 'instance',
    targetId: 'i1',
    status: 'QUEUED',
    step: 'start',
    attempts: 0,
    maxAttempts: 5,
    error: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    startedAt: null,
    finishedAt: null,
    steps: [],
  },
});

/**
 * The card for `instance` with `members`, as an operator unless `operate` is false; the mock
 * answers the four mutations (or `refuse`s one) and the operation each starts.
 */
function renderCard({
  instance = orders,
  members = [primary, streaming],
  ha = highAvailability({ standbys: members.length - 1 }),
  operations = [],
  operate = true,
  refuse,
}: {
  instance?: HaInstance;
  members?: Member[];
  ha?: HighAvailability;
  operations?: { id: string; kind: string; status: OperationStatus }[];
  operate?: boolean;
  refuse?: string;
} = {}) {
  const mock = mockClient((name, v) => {
    if (name === refuse) return gqlError('CONFLICT', 'instance orders is stopped; only a running instance switches over');
    if (name === 'Switchover') return { switchover: { id: 'op-switch', kind: 'switchover', status: 'QUEUED' } };
    if (name === 'Failover') return { failover: { id: 'op-fail', kind: 'failover', status: 'QUEUED' } };
    if (name === 'AddStandby') return { addStandby: { id: 'op-add', kind: 'add_standby', status: 'QUEUED' } };
    if (name === 'RemoveStandby') return { removeStandby: { id: 'op-remove', kind: 'remove_standby', status: 'QUEUED' } };
    if (name === 'OperationDetail') return operation(v.id as string, 'switchover');
    if (name === 'ActiveServers')
      return {
        servers: {
          nodes: [
            { id: 's1', projectId: 'p1', name: 'alpha', provider: 'EXISTING', region: 'home', state: 'ACTIVE', sshHostKey: 'k', memoryGb: 8, diskGb: 50, pgVersions: [15], instanceCount: 1 },
            { id: 's2', projectId: 'p1', name: 'beta', provider: 'EXISTING', region: 'home', state: 'ACTIVE', sshHostKey: 'k', memoryGb: 8, diskGb: 50, pgVersions: [15], instanceCount: 0 },
            { id: 's3', projectId: 'p1', name: 'gamma', provider: 'EXISTING', region: 'lab', state: 'ACTIVE', sshHostKey: 'k', memoryGb: 4, diskGb: 50, pgVersions: [15], instanceCount: 2 },
          ],
        },
      };
    throw new Error(`unexpected ${name}`);
  });
  const onChanged = vi.fn();
  render(
    <Urql value={mock.client}>
      <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <HighAvailabilityCard instance={instance} members={members} ha={ha} operations={operations} operate={operate} onChanged={onChanged} />
      </MemoryRouter>
    </Urql>,
  );
  const card = screen.getByTestId('high-availability');
  const row = (id: string) => card.querySelector(`tr[data-member="${id}"]`) as HTMLElement;
  const sentAs = (name: string) => mock.sent.filter((s) => s.name === name).map((s) => s.variables);
  return { ...mock, card, row, sentAs, onChanged };
}

describe('HighAvailabilityCard', () => {
  it('lists the primary first, then each standby with its state, lag and replay lag', () => {
    const { card, row } = renderCard({
      members: [primary, streaming, lagging],
      ha: highAvailability({ standbys: 2, synchronous: true, lastFailoverAt: '2026-01-01T00:00:00Z' }),
    });
    const rows = within(within(card).getByRole('table', { name: 'Members' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => `${r.getAttribute('data-role')}:${r.getAttribute('data-state')}`)).toEqual(['PRIMARY:SERVING', 'STANDBY:STREAMING', 'STANDBY:LAGGING']);
    expect(row('m1')).toHaveTextContent('Primary');
    expect(row('m1')).toHaveTextContent('this host');
    expect(row('m1')).toHaveTextContent('127.0.0.1:5433');
    expect(row('m1')).toHaveTextContent('SERVING');
    expect(within(row('m1')).getByTestId('member-lag')).toHaveTextContent('—');
    expect(row('m2')).toHaveTextContent('Standby');
    expect(row('m2')).toHaveTextContent('STREAMING');
    expect(within(row('m2')).getByTestId('member-lag')).toHaveTextContent('2 KiB');
    expect(within(row('m2')).getByTestId('member-replay-lag')).toHaveTextContent('812 ms');
    expect(row('m3')).toHaveTextContent('LAGGING');
    expect(within(row('m3')).getByTestId('member-lag')).toHaveTextContent('20 MiB');
    expect(within(row('m3')).getByTestId('member-replay-lag')).toHaveTextContent('4.2 s');
    expect(screen.getByTestId('ha-standbys')).toHaveTextContent('2');
    expect(screen.getByTestId('ha-synchronous')).toHaveTextContent('synchronous');
    expect(screen.getByTestId('ha-last-failover')).not.toHaveTextContent('never');
  });

  it('names fleet servers and links them', () => {
    const { row } = renderCard({
      instance: { ...orders, provider: 'SERVER' },
      members: [member('m1', 'PRIMARY', { server: { id: 's1', name: 'alpha' } }), member('m2', 'STANDBY', { server: { id: 's2', name: 'beta' } })],
    });
    expect(within(row('m2')).getByRole('link', { name: 'beta' })).toHaveAttribute('href', '/servers/s2');
  });

  it('lists switchovers and failovers with the measured write pause', () => {
    const handover = (id: string, planned: boolean, unavailableMs: number | null) => ({
      id,
      planned,
      fromMemberId: 'm1',
      toMemberId: 'm2',
      operationId: `op-${id}`,
      writesStoppedAt: null,
      writesResumedAt: null,
      unavailableMs,
      createdAt: '2026-01-01T00:00:00Z',
      finishedAt: null,
    });
    renderCard({ ha: highAvailability({ standbys: 1, handovers: [handover('h2', false, 1204.4), handover('h1', true, 97), handover('h0', true, null)] }) });
    const rows = within(screen.getByRole('table', { name: 'Switchovers and failovers' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-kind'))).toEqual(['failover', 'switchover', 'switchover']);
    expect(within(rows[0]).getByTestId('handover-pause')).toHaveTextContent('1,204 ms');
    expect(within(rows[1]).getByTestId('handover-pause')).toHaveTextContent('97 ms');
    expect(within(rows[2]).getByTestId('handover-pause')).toHaveTextContent('—');
    expect(rows[0]).toHaveTextContent('127.0.0.1:5433');
    expect(rows[0]).toHaveTextContent('127.0.0.1:5434');
    expect(within(rows[1]).getByRole('link', { name: 'switchover' })).toHaveAttribute('href', '/operations/op-h1');
  });

  it('offers a viewer no buttons', () => {
    const { card } = renderCard({ members: [primary, streaming, lagging], operate: false });
    expect(within(card).queryAllByRole('button')).toEqual([]);
    expect(within(card).getByRole('table', { name: 'Members' })).toBeInTheDocument();
  });

  it('says Kubernetes instances have no standbys yet, and offers no buttons', () => {
    const { card } = renderCard({ instance: { ...orders, provider: 'KUBERNETES' }, members: [primary] });
    expect(screen.getByTestId('ha-unsupported')).toHaveTextContent('Standbys are not available for Kubernetes instances yet.');
    expect(within(card).queryAllByRole('button')).toEqual([]);
  });

  it('switches over only once confirmed, to the standby asked for, then follows the operation', async () => {
    const { row, sentAs, onChanged } = renderCard({ members: [primary, streaming, lagging] });
    await userEvent.click(within(row('m3')).getByRole('button', { name: 'Switch over…' }));
    const dialog = screen.getByRole('dialog', { name: 'Switch orders over to the standby at 127.0.0.1:5435?' });
    expect(dialog).toHaveTextContent('Writes pause briefly');
    expect(dialog).toHaveTextContent('The old primary becomes a standby.');
    expect(sentAs('Switchover')).toEqual([]);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(sentAs('Switchover')).toEqual([]);

    await userEvent.click(within(row('m3')).getByRole('button', { name: 'Switch over…' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Switch over' }));
    expect(sentAs('Switchover')).toEqual([{ instanceId: 'i1', toMemberId: 'm3' }]);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await screen.findByTestId('operation-progress')).toHaveTextContent('switchover');
    // Only the operation started here (fetched again once its subscription is up).
    expect(new Set(sentAs('OperationDetail').map((v) => v.id))).toEqual(new Set(['op-switch']));
    expect(onChanged).toHaveBeenCalled();
  });

  it('offers no switchover to a standby that is not streaming', () => {
    const { row } = renderCard({ members: [primary, member('m2', 'STANDBY', { state: 'CREATING' })] });
    expect(within(row('m2')).getByRole('button', { name: 'Switch over…' })).toBeDisabled();
    expect(within(row('m2')).getByRole('button', { name: 'Remove…' })).toBeEnabled();
  });

  it('shows a refused switchover in its dialog', async () => {
    const { row } = renderCard({ refuse: 'Switchover' });
    await userEvent.click(within(row('m2')).getByRole('button', { name: 'Switch over…' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Switch over' }));
    expect(await within(screen.getByRole('dialog')).findByRole('alert')).toHaveTextContent('only a running instance switches over');
    expect(screen.queryByTestId('operation-progress')).not.toBeInTheDocument();
  });

  it('fails over with force only when it is checked', async () => {
    const { sentAs } = renderCard();
    await userEvent.click(screen.getByRole('button', { name: 'Fail over…' }));
    let dialog = screen.getByRole('dialog', { name: 'Fail orders over?' });
    const force = within(dialog).getByRole('checkbox', { name: /Force/ });
    expect(force).not.toBeChecked();
    expect(dialog).toHaveTextContent("Only when you know the primary's host is down. If it is still running, two primaries may take writes.");
    await userEvent.click(within(dialog).getByRole('button', { name: 'Fail over' }));
    expect(sentAs('Failover')).toEqual([{ instanceId: 'i1' }]);

    await userEvent.click(screen.getByRole('button', { name: 'Fail over…' }));
    dialog = screen.getByRole('dialog', { name: 'Fail orders over?' });
    await userEvent.click(within(dialog).getByRole('checkbox', { name: /Force/ }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Force failover' }));
    expect(sentAs('Failover')).toEqual([{ instanceId: 'i1' }, { instanceId: 'i1', force: true }]);
  });

  it('offers no failover without a standby', () => {
    renderCard({ members: [primary] });
    expect(screen.queryByRole('button', { name: 'Fail over…' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Add standby…' })).toBeEnabled();
  });

  it('removes a standby only once confirmed', async () => {
    const { row, sentAs } = renderCard();
    await userEvent.click(within(row('m2')).getByRole('button', { name: 'Remove…' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove the standby at 127.0.0.1:5434?' });
    expect(dialog).toHaveTextContent('its data and replication slot are removed');
    expect(sentAs('RemoveStandby')).toEqual([]);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove standby' }));
    expect(sentAs('RemoveStandby')).toEqual([{ memberId: 'm2' }]);
  });

  it('disables Add standby at two standbys', () => {
    renderCard({ members: [primary, streaming, lagging] });
    const add = screen.getByRole('button', { name: 'Add standby…' });
    expect(add).toBeDisabled();
    expect(add).toHaveAttribute('title', 'It has 2 standbys, the most it may have');
  });

  it('disables every change of members while the instance is stopped', () => {
    const { row } = renderCard({ instance: { ...orders, state: 'STOPPED' } });
    expect(screen.getByRole('button', { name: 'Add standby…' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Fail over…' })).toBeDisabled();
    expect(within(row('m2')).getByRole('button', { name: 'Switch over…' })).toBeDisabled();
    expect(within(row('m2')).getByRole('button', { name: 'Remove…' })).toBeDisabled();
  });

  it('adds a LOCAL standby with no server to pick', async () => {
    const { sentAs } = renderCard({ members: [primary] });
    await userEvent.click(screen.getByRole('button', { name: 'Add standby…' }));
    const dialog = screen.getByRole('dialog', { name: 'Add a standby to orders?' });
    expect(within(dialog).queryByLabelText('Server')).not.toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add standby' }));
    expect(sentAs('AddStandby')).toEqual([{ instanceId: 'i1' }]);
    expect(sentAs('ActiveServers')).toEqual([]);
  });

  it('adds a SERVER standby on a picked server holding no member of the instance', async () => {
    const { sentAs } = renderCard({
      instance: { ...orders, provider: 'SERVER' },
      members: [member('m1', 'PRIMARY', { server: { id: 's1', name: 'alpha' } }), member('m2', 'STANDBY', { server: { id: 's2', name: 'beta' } })],
    });
    await userEvent.click(screen.getByRole('button', { name: 'Add standby…' }));
    const server = within(screen.getByRole('dialog')).getByLabelText('Server');
    await within(server).findByRole('option', { name: /^gamma/ });
    expect(within(server).getAllByRole('option').map((o) => o.textContent)).toEqual(['The best server by the placement rule', 'gamma — lab · 4 GB · 2 instances']);
    await userEvent.selectOptions(server, 's3');
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Add standby' }));
    expect(sentAs('AddStandby')).toEqual([{ instanceId: 'i1', serverId: 's3' }]);
  });

  it('follows a change of members under way, and offers no other meanwhile', async () => {
    const { row, sentAs } = renderCard({ operations: [{ id: 'op-watch', kind: 'failover', status: 'RUNNING' }] });
    expect(await screen.findByTestId('operation-progress')).toBeInTheDocument();
    expect(new Set(sentAs('OperationDetail').map((v) => v.id))).toEqual(new Set(['op-watch']));
    expect(screen.getByRole('button', { name: 'Add standby…' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Fail over…' })).toBeDisabled();
    expect(within(row('m2')).getByRole('button', { name: 'Switch over…' })).toBeDisabled();
  });
});

describe('replayLag', () => {
  it('writes milliseconds, then seconds, then minutes', () => {
    expect(replayLag(0)).toBe('0 ms');
    expect(replayLag(812.4)).toBe('812 ms');
    expect(replayLag(4200)).toBe('4.2 s');
    expect(replayLag(180_000)).toBe('3 min');
  });
});
