import { act, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { OperationsPage } from './Operations';
import { P1, Route, renderApp } from '../test/app';

afterEach(() => localStorage.clear());

const row = (id: string, status: string, step: string, updatedAt: string) => ({
  id,
  kind: 'create_instance',
  targetKind: 'INSTANCE',
  targetId: `target-${id}`,
  status,
  step,
  attempts: 1,
  maxAttempts: 3,
  error: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt,
  finishedAt: null,
});

const event = (id: string, status: string, step: string, updatedAt: string) => ({
  operationUpdated: { ...row(id, status, step, updatedAt), projectId: P1.id, startedAt: null, steps: [] },
});

describe('OperationsPage', () => {
  it('keeps a refetched row when an older event about it arrives late', async () => {
    // What the API lists now.
    let listed = [row('o1', 'RUNNING', 'create_database', '2026-01-01T00:00:01Z')];
    const { push } = renderApp(<Route path="/operations" element={<OperationsPage />} />, {
      at: '/operations',
      as: { roles: { [P1.id]: 'OPERATOR' } },
      answer: (name) => {
        if (name !== 'Operations') return undefined;
        return { operations: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: listed } };
      },
    });
    await screen.findByText('create_database');

    // An operation started elsewhere: the list is fetched again, and o1 has since finished.
    listed = [row('o2', 'QUEUED', 'start', '2026-01-01T00:00:02Z'), row('o1', 'SUCCEEDED', 'done', '2026-01-01T00:00:03Z')];
    act(() => push('OperationUpdated', event('o2', 'QUEUED', 'start', '2026-01-01T00:00:02Z')));
    await screen.findByText('done');

    // An event from before that fetch, delivered late, does not take it back.
    act(() => push('OperationUpdated', event('o1', 'RUNNING', 'wait_ready', '2026-01-01T00:00:02Z')));
    expect(screen.getByText('done')).toBeInTheDocument();
    expect(screen.queryByText('wait_ready')).not.toBeInTheDocument();

    // Of two events delivered out of order, the newer one stands.
    act(() => push('OperationUpdated', event('o2', 'SUCCEEDED', 'finished', '2026-01-01T00:00:05Z')));
    act(() => push('OperationUpdated', event('o2', 'RUNNING', 'halfway', '2026-01-01T00:00:04Z')));
    await waitFor(() => expect(screen.getByText('finished')).toBeInTheDocument());
    expect(screen.queryByText('halfway')).not.toBeInTheDocument();
  });
});
