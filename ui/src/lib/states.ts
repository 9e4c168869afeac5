import type { Health, InstanceState, MemberState, MovePhase, OperationStatus, Provider, Role, ServerState } from '../gql/graphql';

/**
 * How the dashboard shows the states of things (instances, their health, operations, servers,
 * moves, events, keys, audit outcomes) and the kinds that are shown the same way (providers,
 * roles): each value's colour, its name where that is not the value itself, and what it means.
 * Badges, filters and pages read them from here.
 */

/** A badge's colour: fine, needs a look, broken, working on it, over or neutral, informative. */
export type Tone = 'ok' | 'warn' | 'bad' | 'busy' | 'muted' | 'info';

/** How one value is shown. */
export interface Look {
  tone: Tone;
  /** Its name, when that is not the value itself (`Fleet server` for `SERVER`). */
  label?: string;
  /** What it means, for a tooltip or a hint. */
  help?: string;
}

/** The look of `value` in `looks`; a value this dashboard does not know (from a newer server) is neutral. */
export function lookOf<K extends string>(looks: Record<K, Look>, value: K): Look {
  return looks[value] ?? { tone: 'muted' };
}

/** What the dashboard calls `value`: its label, or else the value itself. */
export function labelOf<K extends string>(looks: Record<K, Look>, value: K): string {
  return looks[value]?.label ?? value;
}

/** The values of `looks`, in the order they are written: the order lists and filters offer them. */
function valuesOf<K extends string>(looks: Record<K, Look>): K[] {
  return Object.keys(looks) as K[];
}

// Instances.

export const INSTANCE_STATE: Record<InstanceState, Look> = {
  CREATING: { tone: 'busy', help: 'Being made' },
  RUNNING: { tone: 'ok', help: 'Serving' },
  STOPPING: { tone: 'busy', help: 'Being stopped' },
  STOPPED: { tone: 'muted', help: 'Stopped on request; its data is kept' },
  STARTING: { tone: 'busy', help: 'Being started again' },
  DELETING: { tone: 'busy', help: 'Being deleted' },
  DELETED: { tone: 'muted', help: 'Gone, data included' },
  FAILED: { tone: 'bad', help: 'An operation on it gave up' },
};
export const INSTANCE_STATES = valuesOf(INSTANCE_STATE);
/** States a worker moves an instance out of by itself: pages poll more often while one is in one. */
export const INSTANCE_TRANSITIONAL: InstanceState[] = ['CREATING', 'STOPPING', 'STARTING', 'DELETING'];

export const HEALTH: Record<Health, Look> = {
  HEALTHY: { tone: 'ok', help: 'The last check connected and queried' },
  UNHEALTHY: { tone: 'bad', help: 'The last check failed' },
  UNKNOWN: { tone: 'muted', help: 'Not checked since it last started' },
};
export const HEALTHS = valuesOf(HEALTH);

export const PROVIDER: Record<Provider, Required<Look>> = {
  LOCAL: { tone: 'muted', label: 'Local', help: "A PostgreSQL server on the control plane's host." },
  KUBERNETES: { tone: 'info', label: 'Kubernetes', help: 'A StatefulSet with its own volume on the configured cluster.' },
  SERVER: { tone: 'busy', label: 'Fleet server', help: 'A PostgreSQL server on one of the fleet’s servers, reached over SSH; it can move between servers.' },
};

/** `Local`, `Kubernetes`, `Fleet server`. */
export function providerName(p: Provider): string {
  return labelOf(PROVIDER, p);
}

// Operations.

export const OPERATION_STATUS: Record<OperationStatus, Look> = {
  QUEUED: { tone: 'info' },
  RUNNING: { tone: 'busy' },
  SUCCEEDED: { tone: 'ok' },
  FAILED: { tone: 'bad' },
  CANCELLED: { tone: 'muted' },
};
export const OPERATION_STATUSES = valuesOf(OPERATION_STATUS);
/** Statuses of an operation that has not finished: waiting for a worker, or being worked on. */
export const OPERATION_UNFINISHED: OperationStatus[] = ['QUEUED', 'RUNNING'];

/** Whether an operation in `status` has yet to finish. */
export function unfinished(status: OperationStatus): boolean {
  return OPERATION_UNFINISHED.includes(status);
}

// Servers.

export const SERVER_STATE: Record<ServerState, Look> = {
  PROVISIONING: { tone: 'busy', help: 'Its VM is being created' },
  BOOTSTRAPPING: { tone: 'busy', help: 'Its VM runs; its template is being installed' },
  ACTIVE: { tone: 'ok', help: 'Ready to host instances' },
  DRAINING: { tone: 'warn', help: 'Nothing new is placed on it' },
  REMOVING: { tone: 'busy', help: 'Its VM is being deleted' },
  REMOVED: { tone: 'muted', help: 'Gone' },
  FAILED: { tone: 'bad', help: 'Provisioning or removal gave up' },
};
export const SERVER_STATES = valuesOf(SERVER_STATE);
/** States a worker moves a server out of by itself: pages poll while a server is in one. */
export const SERVER_TRANSITIONAL: ServerState[] = ['PROVISIONING', 'BOOTSTRAPPING', 'REMOVING'];

/** A fleet event's severity. */
export const SEVERITY: Record<string, Look> = { info: { tone: 'info' }, warning: { tone: 'warn' }, critical: { tone: 'bad' } };

// Standbys.

export const MEMBER_STATE: Record<MemberState, Look> = {
  SERVING: { tone: 'ok', help: 'The primary, serving' },
  CREATING: { tone: 'busy', help: 'Being made, or rejoining as a standby after a switchover' },
  STREAMING: { tone: 'ok', help: 'A standby streaming close behind the primary' },
  LAGGING: { tone: 'warn', help: 'A standby streaming, but more than 16 MiB behind' },
  DOWN: { tone: 'bad', help: 'Not serving: a standby its primary does not see, or a primary that fails its checks' },
};

// Moves.

export const MOVE_PHASE: Record<MovePhase, Required<Look>> = {
  PLANNED: { tone: 'muted', label: 'Waiting', help: 'Planned; it starts when the moves before it have finished' },
  COPYING: { tone: 'busy', label: 'Copying', help: 'The new copy is being made from a base backup' },
  CATCHING_UP: { tone: 'busy', label: 'Catching up', help: "The new copy streams the primary's WAL and catches up; writes go on" },
  CUTTING_OVER: { tone: 'warn', label: 'Cutting over', help: 'The old primary is shutting down: writes are paused' },
  PROMOTING: { tone: 'busy', label: 'Promoting', help: 'The new copy is being promoted; from here the move only goes forward' },
  SWITCHED: { tone: 'busy', label: 'Switched', help: 'The connection string names the new primary; writes resumed' },
  DONE: { tone: 'ok', label: 'Done', help: 'Finished: the old copy is removed' },
  ROLLED_BACK: { tone: 'bad', label: 'Rolled back', help: 'Undone: the old primary serves as before and the new copy is gone' },
  CANCELLED: { tone: 'muted', label: 'Cancelled', help: 'Never started: its drain stopped first' },
};
/** The phases a move goes through when it goes well, in order. */
export const MOVE_STEPS: MovePhase[] = ['COPYING', 'CATCHING_UP', 'CUTTING_OVER', 'PROMOTING', 'SWITCHED', 'DONE'];
/** Phases a move does not leave. */
export const FINAL_PHASES: MovePhase[] = ['DONE', 'ROLLED_BACK', 'CANCELLED'];

/** `Copying`, `Done`, `Rolled back`. */
export function phaseName(p: MovePhase): string {
  return labelOf(MOVE_PHASE, p);
}

// Access.

export const ROLE: Record<Role, Required<Look>> = {
  VIEWER: { tone: 'muted', label: 'Viewer', help: 'Read only' },
  OPERATOR: { tone: 'info', label: 'Operator', help: 'Create, change and delete resources' },
  ADMIN: { tone: 'busy', label: 'Admin', help: 'Everything an operator may, plus managing members and API tokens' },
};
/** The roles, least to most. */
export const ROLES = valuesOf(ROLE);

/** `Viewer`, `Operator`, `Admin`. */
export function roleName(r: Role): string {
  return labelOf(ROLE, r);
}

/** An API token's state. */
export const TOKEN_STATE: Record<'active' | 'revoked' | 'expired', Look> = { active: { tone: 'ok' }, revoked: { tone: 'muted' }, expired: { tone: 'warn' } };

/** A signing key's state. */
export const KEY_STATE: Record<string, Look> = {
  active: { tone: 'ok', help: 'Signs new tokens and verifies them' },
  retiring: { tone: 'warn', help: 'Verifies the tokens it signed until it retires' },
  retired: { tone: 'muted', help: 'Neither signs nor verifies' },
};

/** An audit entry's outcome. */
export const OUTCOME: Record<string, Look> = { succeeded: { tone: 'ok' }, failed: { tone: 'bad' } };
