import type { ReactNode } from 'react';
import type { Health, InstanceState, MemberState, MovePhase, OperationStatus, Provider, Role, ServerState } from '../gql/graphql';
import {
  HEALTH,
  INSTANCE_STATE,
  KEY_STATE,
  MEMBER_STATE,
  MOVE_PHASE,
  OPERATION_STATUS,
  OUTCOME,
  PROVIDER,
  ROLE,
  SERVER_STATE,
  SEVERITY,
  labelOf,
  lookOf,
  type Look,
  type Tone,
} from '../lib/states';

export function Badge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** A state as a badge with its colour and meaning; a spinner says it is being worked on. */
function StateOf({ look, children }: { look: Look; children: ReactNode }) {
  return (
    <Badge tone={look.tone} title={look.help}>
      {look.tone === 'busy' && <span className="spinner-dot" aria-hidden />}
      {children}
    </Badge>
  );
}

/** An instance's state: `RUNNING`, `CREATING`… */
export function StateBadge({ state }: { state: InstanceState }) {
  return <StateOf look={lookOf(INSTANCE_STATE, state)}>{state}</StateOf>;
}

/** An instance's health: `HEALTHY`, `UNHEALTHY`, `UNKNOWN`. */
export function HealthBadge({ health }: { health: Health }) {
  const look = lookOf(HEALTH, health);
  return (
    <Badge tone={look.tone} title={look.help}>
      <span className="dot" aria-hidden />
      {health}
    </Badge>
  );
}

/** A member of an instance: `SERVING`, `STREAMING`, `LAGGING`… */
export function MemberStateBadge({ state }: { state: MemberState }) {
  return <StateOf look={lookOf(MEMBER_STATE, state)}>{state}</StateOf>;
}

/** An operation's status: `QUEUED`, `RUNNING`, `SUCCEEDED`… */
export function StatusBadge({ status }: { status: OperationStatus }) {
  return <StateOf look={lookOf(OPERATION_STATUS, status)}>{status}</StateOf>;
}

/** A server's state: `ACTIVE`, `DRAINING`… */
export function ServerStateBadge({ state }: { state: ServerState }) {
  return <StateOf look={lookOf(SERVER_STATE, state)}>{state}</StateOf>;
}

/** How far a move has come: `Copying`, `Done`, `Rolled back`. */
export function PhaseBadge({ phase }: { phase: MovePhase }) {
  return <StateOf look={lookOf(MOVE_PHASE, phase)}>{labelOf(MOVE_PHASE, phase)}</StateOf>;
}

/** A fleet event's severity: `info`, `warning` or `critical`. */
export function SeverityBadge({ severity }: { severity: string }) {
  return <Badge tone={lookOf(SEVERITY, severity).tone}>{severity}</Badge>;
}

/** A signing key's state: `active`, `retiring` or `retired`. */
export function KeyStateBadge({ state }: { state: string }) {
  const look = lookOf(KEY_STATE, state);
  return (
    <Badge tone={look.tone} title={look.help}>
      {state}
    </Badge>
  );
}

/** An audit entry's outcome: `succeeded`, or `failed` with its error code. */
export function OutcomeBadge({ outcome, code }: { outcome: string; code?: string | null }) {
  return (
    <Badge tone={lookOf(OUTCOME, outcome).tone}>
      {outcome}
      {code ? ` · ${code}` : ''}
    </Badge>
  );
}

/** Where an instance runs: `Local`, `Kubernetes` or `Fleet server`. */
export function ProviderBadge({ provider }: { provider: Provider }) {
  const look = lookOf(PROVIDER, provider);
  return (
    <Badge tone={look.tone} title={look.help}>
      {labelOf(PROVIDER, provider)}
    </Badge>
  );
}

/** A role in a project: `Admin`, `Operator`, `Viewer`. */
export function RoleBadge({ role }: { role: Role }) {
  const look = lookOf(ROLE, role);
  return (
    <Badge tone={look.tone} title={look.help}>
      {labelOf(ROLE, role)}
    </Badge>
  );
}
