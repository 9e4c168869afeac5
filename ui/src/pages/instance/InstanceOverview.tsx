import { Link } from 'react-router-dom';
import type { InstancePlanFieldsFragment } from '../../gql/graphql';
import { ProviderBadge, ServerStateBadge } from '../../components/Badge';
import { InstanceEvents } from '../../components/ClusterEvents';
import { HealthChart } from '../../components/HealthChart';
import { HighAvailabilityCard } from '../../components/HighAvailability';
import { TargetOperations } from '../../components/TargetOperations';
import { dateTime, relativeTime } from '../../lib/format';
import { SERVICE_TYPE_HELP, instancePlanSize, serviceTypeName } from '../../lib/instances';
import { ConnectionCard } from './Connection';
import { InstanceMoves } from './InstanceMoves';
import type { InstanceData } from './types';

/**
 * What the Overview shows: `instance` with its live changes laid over, and `fetched` as the query
 * returned it, for what live changes do not carry (its server, checks, moves, operations, events).
 */
interface OverviewProps {
  instance: InstanceData;
  fetched: InstanceData;
  plan: InstancePlanFieldsFragment | undefined;
}

/** What an instance is: its version, provider, server, plan, service, storage, age, last check. */
function InstanceFacts({ instance, fetched: { server }, plan }: OverviewProps) {
  return (
    <div className="card">
      <h2>Details</h2>
      <dl className="props">
        <dt>PostgreSQL</dt>
        <dd>
          {instance.version} {instance.serverVersion && <span className="muted small">({instance.serverVersion})</span>}
        </dd>
        <dt>Provider</dt>
        <dd data-testid="provider">
          <ProviderBadge provider={instance.provider} />
        </dd>
        {instance.provider === 'SERVER' && (
          <>
            <dt>Server</dt>
            <dd data-testid="instance-server">
              {server ? (
                <>
                  <Link to={`/servers/${server.id}`}>{server.name}</Link> <ServerStateBadge state={server.state} />{' '}
                  <span className="muted small">({server.region})</span>
                </>
              ) : (
                <span className="muted">not placed yet</span>
              )}
            </dd>
          </>
        )}
        <dt>Plan</dt>
        <dd>
          <span className="mono">{instance.plan}</span> {plan && <span className="muted small">({instancePlanSize(plan)})</span>}
        </dd>
        {instance.serviceType && (
          <>
            <dt>Service</dt>
            <dd data-testid="service-type">
              {serviceTypeName(instance.serviceType)} <span className="muted small">({SERVICE_TYPE_HELP[instance.serviceType]})</span>
            </dd>
          </>
        )}
        <dt>Storage</dt>
        <dd>{instance.storageGb} GB</dd>
        <dt>Created</dt>
        <dd title={instance.createdAt}>{dateTime(instance.createdAt)}</dd>
        {instance.restoredFrom && (
          <>
            <dt>Restored from</dt>
            <dd data-testid="restored-from">
              <Link to={`/instances/${instance.restoredFrom}`} className="mono small">
                {instance.restoredFrom}
              </Link>
            </dd>
          </>
        )}
        <dt>Last check</dt>
        <dd>
          {relativeTime(instance.lastCheckedAt)} {instance.latencyMs != null && <span className="muted small">({instance.latencyMs.toFixed(1)} ms)</span>}
        </dd>
        <dt>ID</dt>
        <dd className="mono small">{instance.id}</dd>
      </dl>
    </div>
  );
}

/**
 * The Overview tab: how to connect, what the instance is, its members, health history, moves,
 * recent operations and events. `onGap` refetches the instance when its events may have been
 * missed, `onChanged` when an action here changed it; `operate` offers the actions.
 */
export function InstanceOverview({ onGap, onChanged, operate, ...props }: OverviewProps & { onGap: () => void; onChanged: () => void; operate: boolean }) {
  const { instance, fetched } = props;
  const standbys = fetched.members.some((m) => m.role === 'STANDBY');
  return (
    <>
      <div className="grid-2">
        <ConnectionCard instance={instance} readOnly={standbys ? fetched.readOnlyConnectionString : null} />
        <InstanceFacts {...props} />
      </div>

      <HighAvailabilityCard
        instance={instance}
        members={fetched.members}
        ha={fetched.highAvailability}
        operations={fetched.operations}
        operate={operate}
        onChanged={onChanged}
      />

      <div className="card">
        <h2>Health history</h2>
        {fetched.healthChecks.length === 0 ? (
          <p className="muted">No checks yet. The first runs shortly after the instance is RUNNING.</p>
        ) : (
          <HealthChart checks={fetched.healthChecks} />
        )}
      </div>

      {fetched.moves.length > 0 && <InstanceMoves moves={fetched.moves} />}

      <TargetOperations title="Recent operations" targetId={instance.id} targetName={instance.name} operations={fetched.operations} />

      <div className="card">
        <h2>Events</h2>
        <InstanceEvents
          instanceId={fetched.id}
          initial={fetched.events}
          onGap={onGap}
          empty={
            instance.provider === 'KUBERNETES' ? 'No events yet. Pod problems, repairs of drifted objects and deletions appear here as they happen.' : 'No events yet.'
          }
        />
      </div>
    </>
  );
}
