import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InstanceDetailQuery, Role } from '../../gql/graphql';
import { InstanceDetailPage } from '../InstanceDetail';
import { P1, Route, renderApp } from '../../test/app';
import { backup, backupsAnswer, highAvailability, member } from '../../test/fixtures';
import { gqlError } from '../../test/mockClient';
import { utc } from '../../lib/backups';

type Instance = NonNullable<InstanceDetailQuery['instance']>;

afterEach(() => localStorage.clear());

const plans = [{ name: 'small', cpuRequestMillis: 250, cpuLimitMillis: 1000, memoryMib: 512 }];

function detail(over: Partial<Instance> = {}): Instance {
  return {
    id: 'i1',
    projectId: P1.id,
    name: 'orders',
    provider: 'LOCAL',
    plan: 'small',
    serviceType: null,
    statusMessage: null,
    version: 15,
    storageGb: 10,
    state: 'RUNNING',
    health: 'HEALTHY',
    failureReason: null,
    username: 'app',
    database: 'app',
    host: '127.0.0.1',
    port: 5433,
    connectionString: null,
    lastCheckedAt: null,
    latencyMs: null,
    serverVersion: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:05Z',
    restoredFrom: null,
    archiving: null,
    lastDrill: [],
    server: null,
    moves: [],
    healthChecks: [],
    operations: [],
    events: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] },
    readOnlyConnectionString: null,
    members: [member('m1', 'PRIMARY')],
    highAvailability: highAvailability(),
    ...over,
  };
}

const EARLIEST = '2026-01-01T00:01:00Z';
const LATEST = '2026-01-01T02:30:00Z';
const first = backup('b1', 'SUCCEEDED', '2026-01-01T00:00:00Z');

/**
 * The instance page on its Backups tab, for a caller with `role`: `instances` by id answer
 * `InstanceDetail`; `answer` answers the rest (by default, i1 has one backup and a window).
 */
function renderBackups({
  instances = { i1: detail() },
  role = 'OPERATOR',
  answer = () => undefined,
}: {
  instances?: Record<string, Instance>;
  role?: Role;
  answer?: (name: string, v: Record<string, unknown>) => unknown;
} = {}) {
  return renderApp(<Route path="/instances/:id" element={<InstanceDetailPage />} />, {
    at: '/instances/i1?tab=backups',
    as: { roles: { [P1.id]: role } },
    answer: (name, v) => {
      const given = answer(name, v);
      if (given !== undefined) return given;
      if (name === 'InstanceDetail') return { instance: instances[v.id as string] ?? null, instancePlans: plans };
      if (name === 'InstanceBackups') return backupsAnswer({ backups: [first], earliestRestoreTime: EARLIEST, latestRestoreTime: LATEST });
      if (name === 'RestoreDrillPolicy') return { restoreDrillPolicy: { projectId: P1.id, schedule: '0 4 * * 0' } };
      return undefined;
    },
  });
}

describe('the Backups tab', () => {
  it('shows the restore window as a timeline, in local time with UTC on hover', async () => {
    renderBackups();
    const card = await screen.findByTestId('restore-window');
    const timeline = within(card).getByTestId('restore-timeline');
    expect(timeline).toHaveAccessibleName(`Restore window from ${new Date(EARLIEST).toLocaleString()} to ${new Date(LATEST).toLocaleString()}`);
    expect(within(timeline).getByTestId('window-earliest')).toHaveTextContent(new Date(EARLIEST).toLocaleString());
    expect(within(timeline).getByTestId('window-earliest')).toHaveAttribute('title', '2026-01-01 00:01:00 UTC');
    expect(within(timeline).getByTestId('window-latest')).toHaveAttribute('title', '2026-01-01 02:30:00 UTC');
    // The window's bar, and a marker where the backup finished.
    expect(within(timeline).getByTestId('timeline-window')).toBeInTheDocument();
    expect(within(timeline).getAllByTestId('timeline-backup')).toHaveLength(1);
    expect(within(card).getByRole('button', { name: 'Restore to a point in time…' })).toBeEnabled();
  });

  it("follows the window's end, which moves with the archived WAL without an event", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let latest = LATEST;
      const { sent } = renderBackups({
        answer: (name) => (name === 'InstanceBackups' ? backupsAnswer({ backups: [first], earliestRestoreTime: EARLIEST, latestRestoreTime: latest }) : undefined),
      });
      const end = await screen.findByTestId('window-latest');
      expect(end).toHaveAttribute('title', '2026-01-01 02:30:00 UTC');
      const asked = sent.filter((s) => s.name === 'InstanceBackups').length;
      latest = '2026-01-01T02:30:20Z';
      await act(() => vi.advanceTimersByTimeAsync(15_000));
      await waitFor(() => expect(screen.getByTestId('window-latest')).toHaveAttribute('title', '2026-01-01 02:30:20 UTC'));
      expect(sent.filter((s) => s.name === 'InstanceBackups').length).toBeGreaterThan(asked);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says there is nothing to restore before the first backup, and offers no restore', async () => {
    renderBackups({ answer: (name) => (name === 'InstanceBackups' ? backupsAnswer({ backups: [backup('b1', 'RUNNING', '2026-01-01T00:00:00Z')] }) : undefined) });
    const card = await screen.findByTestId('restore-window');
    expect(within(card).getByTestId('no-window')).toHaveTextContent('The first full backup is taken as soon as the instance runs');
    expect(within(card).queryByTestId('restore-timeline')).not.toBeInTheDocument();
    expect(within(card).getByRole('button', { name: 'Restore to a point in time…' })).toBeDisabled();
    // While one is being taken, another is not offered.
    expect(screen.getByRole('button', { name: 'Back up now' })).toBeDisabled();
  });

  it('lists the backups, newest first, with their status, size and why one failed', async () => {
    renderBackups({
      answer: (name) =>
        name === 'InstanceBackups'
          ? backupsAnswer({
              earliestRestoreTime: EARLIEST,
              latestRestoreTime: LATEST,
              backups: [
                backup('b4', 'RUNNING', '2026-01-01T03:00:00Z', { kind: 'DIFFERENTIAL' }),
                backup('b3', 'FAILED', '2026-01-01T02:00:00Z', { error: 'pgbackrest: unable to find primary cluster' }),
                backup('b2', 'SUCCEEDED', '2026-01-01T01:00:00Z'),
                backup('b0', 'EXPIRED', '2025-12-20T00:00:00Z'),
              ],
            })
          : undefined,
    });
    const table = await screen.findByRole('table', { name: 'Backups' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-status'))).toEqual(['RUNNING', 'FAILED', 'SUCCEEDED', 'EXPIRED']);
    expect(rows[0]).toHaveTextContent('Differential');
    expect(rows[1]).toHaveClass('row-bad');
    expect(rows[1]).toHaveTextContent('pgbackrest: unable to find primary cluster');
    expect(rows[2]).toHaveTextContent('Full');
    expect(rows[2]).toHaveTextContent('30 MiB');
    expect(rows[2]).toHaveTextContent('4 MiB');
    expect(rows[2]).toHaveTextContent('1m 0s');
    expect(within(rows[2]).getByRole('link')).toHaveAttribute('href', '/operations/op-b2');
    expect(within(rows[2]).getAllByRole('cell')[0]).toHaveAttribute('title', utc('2026-01-01T01:00:00Z'));
    expect(screen.getByTestId('backups-count')).toHaveTextContent('4 shown');
  });

  it('backs up now, and the new backup arrives live', async () => {
    let listed = [first];
    const { sent, push } = renderBackups({
      answer: (name) => {
        if (name === 'InstanceBackups') return backupsAnswer({ backups: listed, earliestRestoreTime: EARLIEST, latestRestoreTime: LATEST });
        if (name === 'CreateBackup') return { createBackup: { id: 'op-b2', kind: 'backup_instance', status: 'QUEUED' } };
        return undefined;
      },
    });
    const table = await screen.findByRole('table', { name: 'Backups' });
    await userEvent.selectOptions(screen.getByLabelText('Kind of backup'), 'DIFFERENTIAL');
    await userEvent.click(screen.getByRole('button', { name: 'Back up now' }));
    expect(sent.find((s) => s.name === 'CreateBackup')?.variables).toEqual({ instanceId: 'i1', kind: 'DIFFERENTIAL' });
    expect(await screen.findByRole('link', { name: 'Follow the operation' })).toHaveAttribute('href', '/operations/op-b2');

    // The backup starts: its row touches the instance, whose update refetches the list.
    listed = [backup('b2', 'RUNNING', '2026-01-01T03:00:00Z', { kind: 'DIFFERENTIAL' }), first];
    act(() => push('InstanceUpdated', { instanceUpdated: { ...detail(), updatedAt: '2026-01-01T03:00:00Z' } }, { id: 'i1' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(3));
    expect(within(table).getAllByRole('row')[1]).toHaveAttribute('data-status', 'RUNNING');
  });

  it('shows a refusal of a backup', async () => {
    renderBackups({
      answer: (name) => (name === 'CreateBackup' ? gqlError('CONFLICT', 'instance orders is stopping; a backup needs it running') : undefined),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Back up now' }));
    expect(await screen.findByText('Backup refused: instance orders is stopping; a backup needs it running')).toBeInTheDocument();
  });

  it('replaces its buttons with the reason when the API answers UNSUPPORTED', async () => {
    renderBackups({
      instances: { i1: detail({ provider: 'SERVER' }) },
      answer: (name) =>
        name === 'CreateBackup' ? gqlError('UNSUPPORTED', 'backups of SERVER instances need object storage (TOYGRES_BACKUP_S3_*)') : undefined,
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Back up now' }));
    const note = await screen.findByTestId('backups-unsupported');
    expect(note).toHaveTextContent('Backups are not available for this instance: backups of SERVER instances need object storage');
    expect(screen.queryByRole('button', { name: 'Back up now' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Restore to a point in time…' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Run drill now' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Edit policy' })).not.toBeInTheDocument();
  });

  it('says a Kubernetes instance is not backed up yet, instead of offering buttons that would fail', async () => {
    const { sent } = renderBackups({ instances: { i1: detail({ provider: 'KUBERNETES', serviceType: 'CLUSTER_IP' }) } });
    const note = await screen.findByTestId('backups-unsupported');
    expect(note).toHaveTextContent('Backups of Kubernetes instances are not supported yet.');
    expect(screen.queryByRole('button', { name: 'Back up now' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Restore/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Run drill now' })).not.toBeInTheDocument();
    expect(sent.some((s) => s.name === 'InstanceBackups')).toBe(false);
  });

  it('shows viewers the backups, with no buttons', async () => {
    renderBackups({ role: 'VIEWER' });
    await screen.findByRole('table', { name: 'Backups' });
    expect(screen.getByTestId('restore-timeline')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Back up now' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Restore to a point in time…' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Edit policy' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Run drill now' })).not.toBeInTheDocument();
  });

  it('edits the backup policy; a refusal lands under its field', async () => {
    let policyAnswer: unknown = gqlError('INVALID_INPUT', 'schedule "0 25 * * *" is not valid cron: hour out of range');
    const { sent } = renderBackups({ answer: (name) => (name === 'SetBackupPolicy' ? policyAnswer : undefined) });
    const card = await screen.findByTestId('backup-policy');
    expect(card).toHaveTextContent('0 3 * * *');
    expect(card).toHaveTextContent('7 days');
    await userEvent.click(within(card).getByRole('button', { name: 'Edit policy' }));
    const schedule = within(card).getByLabelText('Full backup schedule (cron, UTC)');
    const retention = within(card).getByLabelText('Retention (days)');

    // Checked here first: five fields, and a whole number of days.
    await userEvent.clear(schedule);
    await userEvent.type(schedule, '0 3 * *');
    await userEvent.clear(retention);
    await userEvent.type(retention, '0');
    await userEvent.click(within(card).getByRole('button', { name: 'Save policy' }));
    expect(within(card).getByText(/A cron schedule has five fields/)).toBeInTheDocument();
    expect(within(card).getByText(/from 1 to 3650/)).toBeInTheDocument();
    expect(sent.some((s) => s.name === 'SetBackupPolicy')).toBe(false);

    // The server's refusal goes under the schedule.
    await userEvent.clear(schedule);
    await userEvent.type(schedule, '0 25 * * *');
    await userEvent.clear(retention);
    await userEvent.type(retention, '14');
    await userEvent.click(within(card).getByRole('button', { name: 'Save policy' }));
    expect(await within(card).findByText('schedule "0 25 * * *" is not valid cron: hour out of range')).toBeInTheDocument();
    expect(schedule).toHaveAttribute('aria-invalid', 'true');

    policyAnswer = { setBackupPolicy: { schedule: '0 */6 * * *', retentionDays: 14 } };
    await userEvent.clear(schedule);
    await userEvent.type(schedule, '0 */6 * * *');
    await userEvent.click(within(card).getByRole('button', { name: 'Save policy' }));
    expect(await screen.findByText(/Backup policy saved/)).toBeInTheDocument();
    expect(sent.filter((s) => s.name === 'SetBackupPolicy').pop()?.variables).toEqual({ instanceId: 'i1', schedule: '0 */6 * * *', retentionDays: 14 });
  });

  it('restores into a new instance and lands on it', async () => {
    const { sent } = renderBackups({
      instances: { i1: detail(), i2: detail({ id: 'i2', name: 'orders-restored', state: 'CREATING', restoredFrom: 'i1' }) },
      answer: (name) =>
        name === 'RestoreInstance' ? { restoreInstance: { instance: { id: 'i2', name: 'orders-restored', state: 'CREATING' }, operation: { id: 'op-r' } } } : undefined,
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Restore to a point in time…' }));
    const dialog = screen.getByRole('dialog', { name: 'Restore orders' });
    expect(within(dialog).getByLabelText('New instance name')).toHaveValue('orders-restored');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Restore into a new instance' }));
    // The latest point: no targetTime, so the server restores all it has archived by then.
    expect(sent.find((s) => s.name === 'RestoreInstance')?.variables).toEqual({
      input: { sourceInstanceId: 'i1', name: 'orders-restored', provider: 'LOCAL', plan: 'small', storageGb: 10 },
    });
    expect(await screen.findByRole('heading', { name: /orders-restored/ })).toBeInTheDocument();
    expect(screen.getByText(/Restore from orders requested/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Follow the operation' })).toHaveAttribute('href', '/operations/op-r');
    expect(screen.getByTestId('restored-from')).toHaveTextContent('i1');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });
});
