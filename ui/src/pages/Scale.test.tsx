import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import { ScalePlanView, describeChanges, scaleErrorField, toScaleRequest, validateScale } from './Scale';
import type { ScalingOperationFieldsFragment as Scaling } from '../gql/graphql';

const up: Scaling = {
  id: 's1',
  provider: 'HETZNER',
  plan: 'cx22',
  region: 'fsn1',
  currentCount: 1,
  targetCount: 3,
  dryRun: true,
  // Out of order on purpose: the view sorts by `order`.
  actions: [
    { order: 2, action: 'ADD', serverId: 'b', serverName: 'fsn1-cx22-bbbbbb', monthlyCost: 3.79 },
    { order: 1, action: 'ADD', serverId: 'a', serverName: 'fsn1-cx22-aaaaaa', monthlyCost: 3.79 },
  ],
  monthlyCostDelta: 7.58,
  currency: 'EUR',
  createdAt: '2026-01-01T00:00:00Z',
  operation: null,
};

describe('ScalePlanView', () => {
  it('shows current → target, each step in order with its cost, and the total change', () => {
    render(<ScalePlanView scaling={up} />);
    expect(screen.getByTestId('scale-counts')).toHaveTextContent('1 → 3');
    const rows = within(screen.getByRole('table', { name: 'Scaling steps' })).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-server'))).toEqual(['fsn1-cx22-aaaaaa', 'fsn1-cx22-bbbbbb']);
    // Applying draws new names: a preview shows only their fixed part.
    expect(rows[0]).toHaveTextContent('fsn1-cx22-… new, named when applied');
    expect(rows[0]).toHaveTextContent('+ add');
    expect(rows[0]).toHaveTextContent('+€3.79');
    expect(screen.getByTestId('scale-delta')).toHaveTextContent('+€7.58 / month');
    expect(screen.queryByRole('columnheader', { name: 'State' })).not.toBeInTheDocument();
  });

  it('shows removals as savings', () => {
    const down: Scaling = {
      ...up,
      currentCount: 2,
      targetCount: 1,
      actions: [{ order: 1, action: 'REMOVE', serverId: 'a', serverName: 'old', monthlyCost: 3.79 }],
      monthlyCostDelta: -3.79,
    };
    render(<ScalePlanView scaling={down} />);
    expect(screen.getByText('− remove')).toBeInTheDocument();
    expect(screen.getByText('−€3.79')).toBeInTheDocument();
    expect(screen.getByTestId('scale-delta')).toHaveTextContent('−€3.79 / month');
  });

  it('says when nothing changes, and when prices are unknown', () => {
    const { rerender } = render(<ScalePlanView scaling={{ ...up, targetCount: 1, actions: [], monthlyCostDelta: 0 }} />);
    expect(screen.getByText(/Nothing to do: the group already has 1 server\./)).toBeInTheDocument();
    expect(screen.getByTestId('scale-delta')).toHaveTextContent('no change');
    rerender(<ScalePlanView scaling={{ ...up, actions: up.actions.map((a) => ({ ...a, monthlyCost: null })), monthlyCostDelta: null }} />);
    expect(screen.getAllByText('unknown')).toHaveLength(2);
    expect(screen.getByTestId('scale-delta')).toHaveTextContent('cost change unknown');
  });

  it('with states, links each server and shows its live state', () => {
    render(
      <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <ScalePlanView scaling={{ ...up, dryRun: false }} states={{ a: 'ACTIVE', b: undefined }} />
      </MemoryRouter>,
    );
    expect(screen.getByRole('link', { name: 'fsn1-cx22-aaaaaa' })).toHaveAttribute('href', '/servers/a');
    const states = screen.getAllByTestId('state');
    expect(states[0]).toHaveTextContent('ACTIVE');
    expect(states[1]).toHaveTextContent('—');
  });
});

describe('the scale form', () => {
  it('needs a plan, a region and a count from 0 to 100', () => {
    expect(validateScale({ provider: 'HETZNER', plan: 'cx22', region: 'fsn1', count: '0' })).toEqual({});
    expect(Object.keys(validateScale({ provider: 'HETZNER', plan: '', region: '', count: '' })).sort()).toEqual(['count', 'plan', 'region']);
    for (const bad of ['-1', '101', '2.5', 'x']) expect(validateScale({ provider: 'HETZNER', plan: 'cx22', region: 'fsn1', count: bad }).count).toBeDefined();
    expect(toScaleRequest({ provider: 'HETZNER', plan: 'cx22', region: 'fsn1', count: '3' })).toEqual({ provider: 'HETZNER', plan: 'cx22', region: 'fsn1', count: 3 });
  });

  it('describes a plan’s changes in words', () => {
    expect(describeChanges(up.actions)).toBe('add 2 servers');
    expect(describeChanges([{ ...up.actions[0], action: 'REMOVE' }])).toBe('remove 1 server');
    expect(describeChanges([up.actions[0], { ...up.actions[1], action: 'REMOVE' }])).toBe('add 1 server and remove 1 server');
    expect(describeChanges([])).toBe('no change');
  });

  it('puts server errors under their field', () => {
    expect(scaleErrorField({ code: 'INVALID_INPUT', message: 'count must be between 0 and 100 (got 500)' })).toBe('count');
    expect(scaleErrorField({ code: 'INVALID_INPUT', message: '"cx99" is not a hetzner plan; known plans: cx22' })).toBe('plan');
    expect(scaleErrorField({ code: 'INVALID_INPUT', message: 'plan cx22 is not offered in ash; it is offered in fsn1' })).toBe('region');
    expect(scaleErrorField({ code: 'CONFLICT', message: 'cannot remove servers that are still provisioning' })).toBeNull();
  });
});
