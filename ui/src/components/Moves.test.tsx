import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { Provider as Urql } from 'urql';
import { describe, expect, it, vi } from 'vitest';
import { DrainPreview, DrainProgress, MovePhases, MoveProgress, movesSummary } from './Moves';
import { bytes, pauseMs } from '../lib/fleet';
import { mockClient } from '../test/mockClient';
import type { InstanceMoveFieldsFragment as Move, MovePhase } from '../gql/graphql';
import { move } from '../test/fixtures';

const wrap = (ui: ReactNode) => render(<MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>{ui}</MemoryRouter>);

const plan = {
  serverId: 's1',
  blocked: null,
  moves: [
    { position: 2, action: 'MOVE' as const, instanceId: 'i2', instanceName: 'two', memberId: null, targetServerId: 's2', targetServerName: 'beta' },
    { position: 1, action: 'MOVE' as const, instanceId: 'i1', instanceName: 'one', memberId: null, targetServerId: 's2', targetServerName: 'beta' },
  ],
};


const drainOp = (status: string, moves: Move[], error: string | null = null) => ({
  operation: {
    id: 'd1',
    kind: 'drain_server',
    status,
    step: 'move_instances',
    error,
    targetId: 's1',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:01Z',
    finishedAt: null,
    moves,
  },
});

describe('DrainPreview', () => {
  it('lists each instance and its target, in order, and starts only on request', async () => {
    const onStart = vi.fn();
    const onCancel = vi.fn();
    wrap(<DrainPreview serverName="alpha" plan={plan} onStart={onStart} onCancel={onCancel} />);
    expect(screen.getByRole('heading', { name: 'Drain alpha?' })).toBeInTheDocument();
    const rows = within(screen.getByRole('table', { name: 'Drain plan' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual(['1oneMove→ beta', '2twoMove→ beta']);
    expect(within(rows[0]).getByRole('link', { name: 'one' })).toHaveAttribute('href', '/instances/i1');
    expect(within(rows[0]).getByRole('link', { name: 'beta' })).toHaveAttribute('href', '/servers/s2');
    expect(screen.getByText(/Nothing has changed yet/)).toBeInTheDocument();
    expect(onStart).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('button', { name: 'Start drain' }));
    expect(onStart).toHaveBeenCalledTimes(1);
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('shows a switchover and a standby relocation before the moves, with their targets', () => {
    const ha = {
      serverId: 's1',
      blocked: null,
      moves: [
        { position: 1, action: 'SWITCHOVER' as const, instanceId: 'i3', instanceName: 'ha', memberId: 'm2', targetServerId: 's2', targetServerName: 'beta' },
        { position: 2, action: 'RELOCATE_STANDBY' as const, instanceId: 'i3', instanceName: 'ha', memberId: 'm1', targetServerId: 's3', targetServerName: 'gamma' },
        { position: 3, action: 'MOVE' as const, instanceId: 'i1', instanceName: 'one', memberId: null, targetServerId: 's2', targetServerName: 'beta' },
      ],
    };
    wrap(<DrainPreview serverName="alpha" plan={ha} onStart={() => {}} onCancel={() => {}} />);
    const rows = within(screen.getByRole('table', { name: 'Drain plan' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual(['1haSwitch over→ beta', '2haRelocate standby→ gamma', '3oneMove→ beta']);
    expect(rows.map((r) => r.dataset.action)).toEqual(['SWITCHOVER', 'RELOCATE_STANDBY', 'MOVE']);
    expect(screen.getByText(/a primary hands over to its standby on another server/)).toBeInTheDocument();
  });

  it('says why a drain cannot be done, and offers no way to start it', () => {
    const blocked = 'instance one cannot move off beta: no server has room for it (512 MB memory, 1 GB disk, PostgreSQL 15): alpha is draining';
    wrap(<DrainPreview serverName="beta" plan={{ serverId: 's2', blocked, moves: [] }} onStart={() => {}} onCancel={() => {}} />);
    expect(screen.getByRole('heading', { name: 'beta cannot be drained' })).toBeInTheDocument();
    expect(screen.getByTestId('drain-blocked')).toHaveTextContent(`Nothing would move: ${blocked}`);
    expect(screen.queryByRole('button', { name: 'Start drain' })).not.toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Close' })).toBeInTheDocument();
  });

  it('says when there is nothing to move, and shows a refusal', () => {
    wrap(<DrainPreview serverName="gamma" plan={{ serverId: 's3', blocked: null, moves: [] }} error="Drain refused: nothing was moved: x" onStart={() => {}} onCancel={() => {}} />);
    expect(screen.getByTestId('drain-nothing')).toHaveTextContent('gamma hosts no instances: nothing moves.');
    expect(screen.getByTestId('drain-error')).toHaveTextContent('Drain refused: nothing was moved: x');
    expect(screen.getByRole('button', { name: 'Start drain' })).toBeEnabled();
  });
});

describe('MovePhases', () => {
  const states = (phase: MovePhase) => {
    const view = wrap(<MovePhases phase={phase} />);
    const out = within(screen.getByRole('list', { name: 'Phases' }))
      .getAllByRole('listitem')
      .map((li) => `${li.textContent?.replace(' (done)', '')}:${li.className.replace('phase phase-', '')}`);
    view.unmount();
    return out;
  };

  it('marks the steps before the phase done and the phase current', () => {
    expect(states('CATCHING_UP')).toEqual(['Copying:done', 'Catching up:current', 'Cutting over:todo', 'Promoting:todo', 'Switched:todo', 'Done:todo']);
    expect(states('SWITCHED')).toEqual(['Copying:done', 'Catching up:done', 'Cutting over:done', 'Promoting:done', 'Switched:current', 'Done:todo']);
    expect(states('DONE').every((s) => s.endsWith(':done'))).toBe(true);
  });

  it('reaches no step while planned, rolled back or cancelled', () => {
    for (const p of ['PLANNED', 'ROLLED_BACK', 'CANCELLED'] as const) expect(states(p).every((s) => s.endsWith(':todo'))).toBe(true);
  });

  it('says which step is current to assistive technology', () => {
    wrap(<MovePhases phase="CUTTING_OVER" />);
    expect(screen.getByText('Cutting over').closest('li')).toHaveAttribute('aria-current', 'step');
  });
});

describe('formatting', () => {
  it('writes lag in bytes and pauses in milliseconds', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(12 * 1024 * 1024)).toBe('12 MiB');
    expect(pauseMs(626.099)).toBe('626 ms');
    expect(pauseMs(1204.4)).toBe('1,204 ms');
  });

  it('sums up a drain', () => {
    expect(movesSummary([move(1, 'one', 'DONE', { unavailableMs: 626.1 }), move(2, 'two', 'COPYING')])).toBe('1 of 2 moved, longest write pause 626 ms');
    expect(movesSummary([move(1, 'one', 'ROLLED_BACK'), move(2, 'two', 'CANCELLED')])).toBe('0 of 2 moved, 1 rolled back, 1 cancelled');
  });
});

describe('DrainProgress', () => {
  /** The drain as the server has it now: `answer.now` is what each DrainProgress query gets. */
  function renderProgress(first: unknown) {
    const answer = { now: first };
    const mock = mockClient((name) => {
      if (name === 'DrainProgress') return answer.now;
      throw new Error(`unexpected ${name}`);
    });
    const onChange = vi.fn();
    wrap(
      <Urql value={mock.client}>
        <DrainProgress id="d1" onChange={onChange} />
      </Urql>,
    );
    const fetched = () => mock.sent.filter((s) => s.name === 'DrainProgress').length;
    return { ...mock, onChange, answer, fetched };
  }

  it('shows each move with its phase, and refetches on every operationUpdated until all are done', async () => {
    const { push, subscriptions, onChange, answer, fetched } = renderProgress(
      drainOp('RUNNING', [move(1, 'one', 'CATCHING_UP', { lagBytes: 2048 }), move(2, 'two', 'PLANNED')]),
    );
    const table = await screen.findByRole('table', { name: 'Moves' });
    const row = (name: string) => table.querySelector(`tr[data-instance="${name}"]`) as HTMLElement;
    expect(row('one')).toHaveAttribute('data-phase', 'CATCHING_UP');
    expect(row('one')).toHaveTextContent('Catching up');
    expect(row('one')).toHaveTextContent('2 KiB');
    expect(row('two')).toHaveAttribute('data-phase', 'PLANNED');
    expect(row('two')).toHaveTextContent('Waiting');
    expect(screen.getByTestId('drain-summary')).toHaveTextContent('0 of 2 moved');
    // Every operation's changes: the drain's and each move's.
    expect(subscriptions.find((s) => s.name === 'OperationUpdated')?.variables).toEqual({});

    const before = fetched();
    answer.now = drainOp('RUNNING', [move(1, 'one', 'SWITCHED', { lagBytes: 0, unavailableMs: 812.4 }), move(2, 'two', 'COPYING')]);
    act(() => push('OperationUpdated', { operationUpdated: { id: 'o1' } }));
    await vi.waitFor(() => expect(row('one')).toHaveAttribute('data-phase', 'SWITCHED'));
    expect(fetched()).toBe(before + 1);
    expect(within(row('one')).getByTestId('writes-paused')).toHaveTextContent('writes paused 812 ms');
    expect(row('two')).toHaveTextContent('Copying');

    await new Promise((r) => setTimeout(r, 350)); // past the refetch throttle
    answer.now = drainOp('SUCCEEDED', [move(1, 'one', 'DONE', { lagBytes: 0, unavailableMs: 812.4 }), move(2, 'two', 'DONE', { lagBytes: 0, unavailableMs: 540 })]);
    act(() => push('OperationUpdated', { operationUpdated: { id: 'd1' } }));
    await vi.waitFor(() => expect(row('two')).toHaveAttribute('data-phase', 'DONE'));
    expect(within(row('two')).getByTestId('writes-paused')).toHaveTextContent('writes paused 540 ms');
    expect(screen.getByTestId('drain-progress')).toHaveTextContent('SUCCEEDED');
    expect(screen.getByTestId('drain-summary')).toHaveTextContent('2 of 2 moved, longest write pause 812 ms');
    expect(fetched()).toBe(before + 2);
    // The page hears each change, to refetch the server and its instances.
    expect(onChange).toHaveBeenCalledTimes(3);
  });

  it('shows a move rolled back, with why, and a failed drain', async () => {
    const failed = drainOp(
      'FAILED',
      [
      move(1, 'one', 'ROLLED_BACK', { error: 'the copy did not catch up within 600 s', operation: { id: 'o1', status: 'FAILED', step: 'catch_up', error: 'x' } }),
        move(2, 'two', 'CANCELLED', { operation: null }),
      ],
      'move of one failed',
    );
    renderProgress(failed);
    const table = await screen.findByRole('table', { name: 'Moves' });
    const one = table.querySelector('tr[data-instance="one"]') as HTMLElement;
    expect(one).toHaveTextContent('Rolled back');
    expect(within(one).getByTestId('move-error')).toHaveTextContent('Rolled back: the copy did not catch up within 600 s');
    expect(table.querySelector('tr[data-instance="two"]')).toHaveTextContent('Never started: the drain stopped first.');
    expect(screen.getByTestId('drain-failure')).toHaveTextContent('Failed: move of one failed');
    expect(screen.getByTestId('drain-summary')).toHaveTextContent('0 of 2 moved, 1 rolled back, 1 cancelled');
  });

  it('says when a drain had nothing to move', async () => {
    renderProgress(drainOp('SUCCEEDED', []));
    expect(await screen.findByTestId('drain-summary')).toHaveTextContent('Nothing had to move');
  });

  it('says when a drain hands over the members of instances with standbys', async () => {
    renderProgress({ operation: { ...drainOp('RUNNING', []).operation, step: 'hand_over' } });
    expect(await screen.findByTestId('drain-summary')).toHaveTextContent('Switching primaries over to standbys elsewhere and relocating standbys');
  });
});

describe('MoveProgress', () => {
  it('follows one move: phase, lag, then the write pause once switched', async () => {
    const op = (phase: MovePhase, over: Partial<Move> = {}) => ({
      operation: {
        id: 'o1',
        kind: 'move_instance',
        status: phase === 'DONE' ? 'SUCCEEDED' : 'RUNNING',
        step: 'x',
        error: null,
        targetId: 'i1',
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
        finishedAt: null,
        move: move(1, 'one', phase, over),
      },
    });
    let now = op('CUTTING_OVER', { lagBytes: 0 });
    const mock = mockClient((name) => {
      if (name === 'MoveProgress') return now;
      throw new Error(`unexpected ${name}`);
    });
    wrap(
      <Urql value={mock.client}>
        <MoveProgress id="o1" />
      </Urql>,
    );
    const panel = await screen.findByTestId('move-progress');
    await vi.waitFor(() => expect(panel).toHaveTextContent('Move from alpha to beta'));
    expect(within(panel).getByTestId('writes-paused')).toHaveTextContent('writes paused now');
    expect(within(panel).getByTestId('move-lag')).toHaveTextContent('0 B');
    expect(mock.subscriptions.find((s) => s.name === 'OperationUpdated')?.variables).toEqual({ id: 'o1' });
    now = op('DONE', { lagBytes: 0, unavailableMs: 97 });
    act(() => mock.push('OperationUpdated', { operationUpdated: { id: 'o1' } }, { id: 'o1' }));
    await vi.waitFor(() => expect(within(panel).getByTestId('writes-paused')).toHaveTextContent('writes paused 97 ms'));
    expect(panel).toHaveTextContent('SUCCEEDED');
    expect(within(panel).getByRole('list', { name: 'Phases of one' })).toHaveAttribute('data-phase', 'DONE');
  });
});
