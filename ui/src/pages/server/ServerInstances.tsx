import { useState } from 'react';
import { Link } from 'react-router-dom';
import { ServerInstanceUpdatedSubscription } from '../../lib/documents';
import type { ServerInstanceFieldsFragment } from '../../gql/graphql';
import { HealthBadge, StateBadge } from '../../components/Badge';
import { useLive } from '../../lib/live';
import { newer, overlay } from '../../lib/liveList';

/** The instances a server hosts, by name, kept current by `instanceUpdated`. */
export function ServerInstances({
  serverId,
  serverName,
  instances,
  onGap,
  createLink,
}: {
  serverId: string;
  serverName: string;
  instances: readonly ServerInstanceFieldsFragment[];
  /** Refetch the list: an instance arrived on the server or left it. */
  onGap: () => void;
  /** Where "create one" leads, when the caller may. */
  createLink?: string;
}) {
  const [live, setLive] = useState<Record<string, ServerInstanceFieldsFragment>>({});
  useLive(
    ServerInstanceUpdatedSubscription,
    {},
    (d) => {
      const u = d.instanceUpdated;
      const listed = instances.some((i) => i.id === u.id);
      const here = u.server?.id === serverId && u.state !== 'DELETED';
      if (here && listed) setLive((p) => ({ ...p, [u.id]: newer(p[u.id], u) }));
      // One that arrived (created or moved here) or left (moved away, deleted): list again.
      else if (here !== listed) onGap();
    },
    onGap,
  );
  const rows = instances.map((i) => overlay(i, live[i.id])).sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div className="card">
      <div className="page-head">
        <h2>Instances</h2>
        <span className="muted small" data-testid="instance-count">
          {rows.length} live
        </span>
      </div>
      {rows.length === 0 ? (
        <p className="muted" data-testid="no-server-instances">
          No instances run on {serverName}.{' '}
          {createLink && (
            <Link to={createLink} className="small">
              Create one here →
            </Link>
          )}
        </p>
      ) : (
        <table className="table" aria-label="Instances on this server">
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th>Health</th>
              <th className="num">Port</th>
              <th>Plan</th>
              <th className="num">Storage</th>
              <th className="num">PostgreSQL</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => (
              <tr key={i.id} data-instance={i.name}>
                <td>
                  <Link to={`/instances/${i.id}`} className="strong">
                    {i.name}
                  </Link>
                </td>
                <td data-testid="state">
                  <StateBadge state={i.state} />
                </td>
                <td data-testid="health">
                  <HealthBadge health={i.health} />
                </td>
                <td className="num mono small">{i.port ?? '—'}</td>
                <td className="mono small">{i.plan}</td>
                <td className="num">{i.storageGb} GB</td>
                <td className="num">{i.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
