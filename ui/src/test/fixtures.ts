import type { InstanceMoveFieldsFragment as Move, MovePhase } from '../gql/graphql';

/** A move of instance `i<position>` (`name`) from alpha (s1) to beta (s2), in `phase`. */
export function move(position: number, name: string, phase: MovePhase, over: Partial<Move> = {}): Move {
  return {
    id: `m${position}`,
    instanceId: `i${position}`,
    position,
    phase,
    instance: { id: `i${position}`, name },
    source: { id: 's1', name: 'alpha' },
    target: { id: 's2', name: 'beta' },
    operation: phase === 'PLANNED' ? null : { id: `o${position}`, status: 'RUNNING', step: 'copy_data', error: null },
    lagBytes: null,
    unavailableMs: null,
    writesStoppedAt: null,
    writesResumedAt: null,
    error: null,
    createdAt: '2026-01-01T00:00:00Z',
    finishedAt: null,
    ...over,
  };
}
