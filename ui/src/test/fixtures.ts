import type {
  BackupFieldsFragment as Backup,
  HighAvailabilityFieldsFragment as HighAvailability,
  InstanceMemberFieldsFragment as Member,
  InstanceBackupsQuery,
  InstanceMoveFieldsFragment as Move,
  MovePhase,
  RestoreDrillFieldsFragment as Drill,
} from '../gql/graphql';

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

/** A full backup `id` of instance i1 that started at `startedAt` and took a minute (unless running). */
export function backup(id: string, status: Backup['status'], startedAt: string, over: Partial<Backup> = {}): Backup {
  return {
    id,
    kind: 'FULL',
    status,
    startedAt,
    finishedAt: status === 'RUNNING' ? null : new Date(Date.parse(startedAt) + 60_000).toISOString(),
    sizeBytes: status === 'SUCCEEDED' ? 31_457_280 : null,
    storedBytes: status === 'SUCCEEDED' ? 4_194_304 : null,
    label: status === 'SUCCEEDED' ? `20260101-${id}F` : null,
    error: null,
    operationId: `op-${id}`,
    ...over,
  };
}

/** A restore drill `id` of instance i1 that began at `at`. */
export function drill(id: string, status: Drill['status'], at: string, over: Partial<Drill> = {}): Drill {
  return {
    id,
    at,
    status,
    finishedAt: status === 'RUNNING' ? null : new Date(Date.parse(at) + 90_000).toISOString(),
    rtoMs: status === 'SUCCEEDED' ? 12_345 : null,
    rpoMs: status === 'SUCCEEDED' ? 1_500 : null,
    error: status === 'FAILED' ? 'pg_amcheck found corruption in pg_class' : null,
    scratchInstanceId: `scratch-${id}`,
    operationId: `op-${id}`,
    ...over,
  };
}

type BackupsInstance = NonNullable<InstanceBackupsQuery['instance']>;

/** What `InstanceBackups` answers for instance i1: a daily policy, and `over` (its backups, window, drills…). */
export function backupsAnswer(over: Partial<Omit<BackupsInstance, 'backups'>> & { backups?: Backup[] } = {}): InstanceBackupsQuery {
  const { backups = [], ...rest } = over;
  return {
    instance: {
      id: 'i1',
      updatedAt: '2026-01-01T00:00:00Z',
      backupPolicy: { schedule: '0 3 * * *', retentionDays: 7 },
      earliestRestoreTime: null,
      latestRestoreTime: null,
      archiving: null,
      restoreDrills: [],
      ...rest,
      backups: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: backups },
    },
  };
}

/** A member `id` of instance i1: the primary serving on 127.0.0.1:5433, or a standby streaming on the next port. */
export function member(id: string, role: Member['role'], over: Partial<Member> = {}): Member {
  const primary = role === 'PRIMARY';
  return {
    id,
    role,
    server: null,
    host: '127.0.0.1',
    port: primary ? 5433 : 5434,
    state: primary ? 'SERVING' : 'STREAMING',
    lagBytes: primary ? 0 : null,
    replayLagMs: null,
    checkedAt: null,
    ...over,
  };
}

/** An instance's high availability with no standbys, no handovers: `over` adds them. */
export function highAvailability(over: Partial<HighAvailability> = {}): HighAvailability {
  return { standbys: 0, synchronous: false, lastFailoverAt: null, handovers: [], ...over };
}
