import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RestoreDrillFieldsFragment as Drill } from '../../gql/graphql';
import { DrillHistory } from './DrillHistory';
import { P1, Route, renderApp } from '../../test/app';
import { drill } from '../../test/fixtures';
import { gqlError } from '../../test/mockClient';

afterEach(() => localStorage.clear());

const drills: Drill[] = [
  drill('d3', 'FAILED', '2026-01-03T04:00:00Z'),
  drill('d2', 'SUCCEEDED', '2026-01-02T04:00:00Z', { rtoMs: 20_000 }),
  drill('d1', 'SUCCEEDED', '2026-01-01T04:00:00Z', { rtoMs: 10_000 }),
];

function renderDrills({ list = drills, state = 'RUNNING', operate = true, answer = () => undefined }: { list?: Drill[]; state?: string; operate?: boolean; answer?: (name: string, v: Record<string, unknown>) => unknown } = {}) {
  const onNotice = vi.fn();
  const onRefused = vi.fn();
  const onChanged = vi.fn();
  const mock = renderApp(
    <Route
      path="/instances/:id"
      element={
        <DrillHistory
          instance={{ id: 'i1', name: 'orders', projectId: P1.id, state }}
          drills={list}
          operate={operate}
          canRun
          onNotice={onNotice}
          onRefused={onRefused}
          onChanged={onChanged}
        />
      }
    />,
    {
      at: '/instances/i1',
      as: { roles: { [P1.id]: operate ? 'OPERATOR' : 'VIEWER' } },
      answer: (name, v) => {
        const given = answer(name, v);
        if (given !== undefined) return given;
        if (name === 'RestoreDrillPolicy') return { restoreDrillPolicy: { projectId: P1.id, schedule: '0 4 * * 0' } };
        return undefined;
      },
    },
  );
  return { ...mock, onNotice, onRefused, onChanged };
}

describe('DrillHistory', () => {
  it('shows a failed drill in red, with why, in the table and the RTO chart', async () => {
    renderDrills();
    const table = screen.getByRole('table', { name: 'Restore drills' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-status'))).toEqual(['FAILED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(rows[0]).toHaveClass('row-bad');
    expect(within(rows[0]).getByText('FAILED')).toHaveClass('badge-bad');
    expect(within(rows[0]).getByTestId('drill-error')).toHaveTextContent('pg_amcheck found corruption in pg_class');
    expect(rows[1]).not.toHaveClass('row-bad');
    expect(within(rows[1]).getByText('SUCCEEDED')).toHaveClass('badge-ok');
    expect(rows[1]).toHaveTextContent('20 s');
    expect(rows[1]).toHaveTextContent('1.5 s');

    // The chart: oldest first, the failed drill a red bar.
    const chart = screen.getByTestId('rto-chart');
    const bars = [...chart.querySelectorAll('rect.rto-bar')];
    expect(bars.map((b) => b.getAttribute('data-status'))).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED']);
    expect(bars[2]).toHaveClass('rto-failed');
    expect(bars[2].querySelector('title')).toHaveTextContent('failed: pg_amcheck found corruption in pg_class');
    // The longer RTO is the taller bar.
    expect(Number(bars[1].getAttribute('height'))).toBeGreaterThan(Number(bars[0].getAttribute('height')));
    expect(chart).toHaveTextContent('RTO of the last 3 drills · latest 20 s · median 10 s · longest 20 s');
    expect(await screen.findByTestId('drill-schedule')).toHaveTextContent('0 4 * * 0');
  });

  it('runs a drill now, and says why it cannot when the instance is not running', async () => {
    const { sent, onNotice, onChanged } = renderDrills({ answer: (name) => (name === 'RunRestoreDrill' ? { runRestoreDrill: { id: 'op-d', kind: 'restore_drill', status: 'QUEUED' } } : undefined) });
    await userEvent.click(screen.getByRole('button', { name: 'Run drill now' }));
    expect(sent.find((s) => s.name === 'RunRestoreDrill')?.variables).toEqual({ instanceId: 'i1' });
    await vi.waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(onNotice.mock.calls[0][0].tone).toBe('info');
  });

  it('offers no drill while the instance is stopped, or while one runs', () => {
    renderDrills({ state: 'STOPPED' });
    expect(screen.getByRole('button', { name: 'Run drill now' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Run drill now' })).toHaveAttribute('title', 'Only a running instance is drilled');
  });

  it('hands an UNSUPPORTED refusal to the tab', async () => {
    const { onRefused } = renderDrills({ answer: (name) => (name === 'RunRestoreDrill' ? gqlError('UNSUPPORTED', 'backups are off on this installation') : undefined) });
    await userEvent.click(screen.getByRole('button', { name: 'Run drill now' }));
    await vi.waitFor(() => expect(onRefused).toHaveBeenCalledWith({ code: 'UNSUPPORTED', message: 'backups are off on this installation' }));
  });

  it('changes the project’s drill schedule', async () => {
    const { sent } = renderDrills({
      list: [],
      answer: (name) => (name === 'SetRestoreDrillPolicy' ? { setRestoreDrillPolicy: { projectId: P1.id, schedule: '0 5 * * *' } } : undefined),
    });
    expect(screen.getByTestId('no-drills')).toBeInTheDocument();
    await userEvent.click(await screen.findByRole('button', { name: 'Change' }));
    const input = screen.getByLabelText('Drill schedule (cron, UTC, for the whole project)');
    await userEvent.clear(input);
    await userEvent.type(input, '0 5 * * *');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(sent.find((s) => s.name === 'SetRestoreDrillPolicy')?.variables).toEqual({ projectId: P1.id, schedule: '0 5 * * *' });
    await screen.findByTestId('drill-schedule');
  });

  it('offers viewers nothing to run or change', async () => {
    renderDrills({ operate: false });
    expect(await screen.findByTestId('drill-schedule')).toHaveTextContent('0 4 * * 0');
    expect(screen.queryByRole('button', { name: 'Run drill now' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Change' })).not.toBeInTheDocument();
  });
});
