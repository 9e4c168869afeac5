import type { Health, InstanceState, MovePhase, OperationStatus, Provider, Role, ServerState } from '../gql/graphql';
import { PHASE_HELP, phaseName } from '../lib/fleet';
import { PROVIDER_HELP, providerName } from '../lib/instances';
import { ROLE_HELP, roleName } from '../lib/projects';

type Tone = 'ok' | 'warn' | 'bad' | 'busy' | 'muted' | 'info';

export function Badge({ tone, children, title }: { tone: Tone; children: React.ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

const STATE_TONE: Record<InstanceState, Tone> = {
  CREATING: 'busy',
  RUNNING: 'ok',
  STOPPING: 'busy',
  STOPPED: 'muted',
  STARTING: 'busy',
  DELETING: 'busy',
  DELETED: 'muted',
  FAILED: 'bad',
};

const STATE_HELP: Record<InstanceState, string> = {
  CREATING: 'Being made',
  RUNNING: 'Serving',
  STOPPING: 'Being stopped',
  STOPPED: 'Stopped on request; its data is kept',
  STARTING: 'Being started again',
  DELETING: 'Being deleted',
  DELETED: 'Gone, data included',
  FAILED: 'An operation on it gave up',
};

export function StateBadge({ state }: { state: InstanceState }) {
  return (
    <Badge tone={STATE_TONE[state] ?? 'info'} title={STATE_HELP[state]}>
      {STATE_TONE[state] === 'busy' && <span className="spinner-dot" aria-hidden />}
      {state}
    </Badge>
  );
}

const HEALTH_TONE: Record<Health, Tone> = { HEALTHY: 'ok', UNHEALTHY: 'bad', UNKNOWN: 'muted' };
const HEALTH_HELP: Record<Health, string> = {
  HEALTHY: 'The last check connected and queried',
  UNHEALTHY: 'The last check failed',
  UNKNOWN: 'Not checked since it last started',
};

export function HealthBadge({ health }: { health: Health }) {
  return (
    <Badge tone={HEALTH_TONE[health] ?? 'info'} title={HEALTH_HELP[health]}>
      <span className="dot" aria-hidden />
      {health}
    </Badge>
  );
}

const STATUS_TONE: Record<OperationStatus, Tone> = {
  QUEUED: 'info',
  RUNNING: 'busy',
  SUCCEEDED: 'ok',
  FAILED: 'bad',
  CANCELLED: 'muted',
};

export function StatusBadge({ status }: { status: OperationStatus }) {
  return (
    <Badge tone={STATUS_TONE[status] ?? 'info'}>
      {STATUS_TONE[status] === 'busy' && <span className="spinner-dot" aria-hidden />}
      {status}
    </Badge>
  );
}

const SERVER_TONE: Record<ServerState, Tone> = {
  PROVISIONING: 'busy',
  BOOTSTRAPPING: 'busy',
  ACTIVE: 'ok',
  DRAINING: 'warn',
  REMOVING: 'busy',
  REMOVED: 'muted',
  FAILED: 'bad',
};

const SERVER_HELP: Record<ServerState, string> = {
  PROVISIONING: 'Its VM is being created',
  BOOTSTRAPPING: 'Its VM runs; its template is being installed',
  ACTIVE: 'Ready to host instances',
  DRAINING: 'Nothing new is placed on it',
  REMOVING: 'Its VM is being deleted',
  REMOVED: 'Gone',
  FAILED: 'Provisioning or removal gave up',
};

export function ServerStateBadge({ state }: { state: ServerState }) {
  return (
    <Badge tone={SERVER_TONE[state] ?? 'info'} title={SERVER_HELP[state]}>
      {SERVER_TONE[state] === 'busy' && <span className="spinner-dot" aria-hidden />}
      {state}
    </Badge>
  );
}

const SEVERITY_TONE: Record<string, Tone> = { info: 'info', warning: 'warn', critical: 'bad' };

/** A fleet event's severity: `info`, `warning` or `critical`. */
export function SeverityBadge({ severity }: { severity: string }) {
  return <Badge tone={SEVERITY_TONE[severity] ?? 'muted'}>{severity}</Badge>;
}

const PROVIDER_TONE: Record<Provider, Tone> = { LOCAL: 'muted', KUBERNETES: 'info', SERVER: 'busy' };

/** Where an instance runs: `Local`, `Kubernetes` or `Fleet server`. */
export function ProviderBadge({ provider }: { provider: Provider }) {
  return (
    <Badge tone={PROVIDER_TONE[provider] ?? 'muted'} title={PROVIDER_HELP[provider]}>
      {providerName(provider)}
    </Badge>
  );
}

const ROLE_TONE: Record<Role, Tone> = { ADMIN: 'busy', OPERATOR: 'info', VIEWER: 'muted' };

/** A role in a project: `Admin`, `Operator`, `Viewer`. */
export function RoleBadge({ role }: { role: Role }) {
  return (
    <Badge tone={ROLE_TONE[role] ?? 'muted'} title={ROLE_HELP[role]}>
      {roleName(role)}
    </Badge>
  );
}

const KEY_TONE: Record<string, Tone> = { active: 'ok', retiring: 'warn', retired: 'muted' };
const KEY_HELP: Record<string, string> = {
  active: 'Signs new tokens and verifies them',
  retiring: 'Verifies the tokens it signed until it retires',
  retired: 'Neither signs nor verifies',
};

/** A signing key's state: `active`, `retiring` or `retired`. */
export function KeyStateBadge({ state }: { state: string }) {
  return (
    <Badge tone={KEY_TONE[state] ?? 'muted'} title={KEY_HELP[state]}>
      {state}
    </Badge>
  );
}

/** An audit entry's outcome: `succeeded`, or `failed` with its error code. */
export function OutcomeBadge({ outcome, code }: { outcome: string; code?: string | null }) {
  return (
    <Badge tone={outcome === 'succeeded' ? 'ok' : outcome === 'failed' ? 'bad' : 'muted'}>
      {outcome}
      {code ? ` · ${code}` : ''}
    </Badge>
  );
}

const PHASE_TONE: Record<MovePhase, Tone> = {
  PLANNED: 'muted',
  COPYING: 'busy',
  CATCHING_UP: 'busy',
  CUTTING_OVER: 'warn',
  PROMOTING: 'busy',
  SWITCHED: 'busy',
  DONE: 'ok',
  ROLLED_BACK: 'bad',
  CANCELLED: 'muted',
};

/** How far a move has come: `Copying`, `Done`, `Rolled back`. */
export function PhaseBadge({ phase }: { phase: MovePhase }) {
  return (
    <Badge tone={PHASE_TONE[phase] ?? 'info'} title={PHASE_HELP[phase]}>
      {PHASE_TONE[phase] === 'busy' && <span className="spinner-dot" aria-hidden />}
      {phaseName(phase)}
    </Badge>
  );
}
