import { CopyButton } from '../../components/CopyButton';
import { dateTime, relativeTime } from '../../lib/format';
import { cloudName, gb } from '../../lib/fleet';
import type { ServerData } from './types';

/**
 * What a server is: where it runs and how it is reached. A registered host shows its SSH login,
 * host key, PostgreSQL versions, memory and disk; a cloud server its plan, template and VM.
 */
export function ServerFacts({ server, fetched }: { server: ServerData; fetched: ServerData }) {
  const registered = server.provider === 'EXISTING';
  return (
    <div className="card">
      <h2>Server</h2>
      <dl className="props">
        <dt>{registered ? 'Kind' : 'Cloud'}</dt>
        <dd>{registered ? 'Registered host (added by address)' : cloudName(server.provider)}</dd>
        {!registered && (
          <>
            <dt>Plan</dt>
            <dd className="mono">{server.plan}</dd>
          </>
        )}
        <dt>Region</dt>
        <dd className="mono">{server.region}</dd>
        {!registered && (
          <>
            <dt>Template</dt>
            <dd>
              <span className="mono">{server.template}</span> <span className="muted small">({server.image})</span>
            </dd>
          </>
        )}
        <dt>{registered ? 'Address' : 'IPv4'}</dt>
        <dd className="mono" data-testid="server-ipv4">
          {server.ipv4 ?? '—'} {server.ipv4 && <CopyButton text={server.ipv4} />}
        </dd>
        {(!registered || server.ipv6) && (
          <>
            <dt>IPv6</dt>
            <dd className="mono">{server.ipv6 ?? '—'}</dd>
          </>
        )}
        {(registered || server.sshHostKey) && (
          <>
            <dt>SSH</dt>
            <dd className="mono" data-testid="server-ssh">
              {server.sshUser}@{server.ipv4 ?? '…'}:{server.sshPort}
            </dd>
            {server.sshPublicKey && (
              <>
                <dt>Its SSH key</dt>
                <dd data-testid="server-public-key">
                  <span className="host-key">
                    <code title="Toygres logs in to this server with this key alone">{server.sshPublicKey}</code>
                    <CopyButton text={server.sshPublicKey} />
                  </span>
                  {!server.sshHostKey && (
                    <p className="field-hint">
                      Add this line to <span className="mono">~{server.sshUser}/.ssh/authorized_keys</span> on the host: Toygres logs in with this key alone, and
                      waits until it is authorised.
                    </p>
                  )}
                </dd>
              </>
            )}
            <dt>Host key</dt>
            <dd data-testid="server-host-key">
              {server.sshHostKey ? (
                <span className="host-key">
                  <code title="The key it presented at first login, trusted from then on: a server that presents another is refused">{server.sshHostKey}</code>
                  <CopyButton text={server.sshHostKey} />
                </span>
              ) : (
                <span className="muted">not recorded yet: it is recorded at the first SSH login</span>
              )}
            </dd>
            <dt>PostgreSQL</dt>
            <dd data-testid="server-pg-versions">
              {server.pgVersions.length ? server.pgVersions.join(', ') : <span className="muted">found at the first SSH login</span>}
            </dd>
            <dt>Memory</dt>
            <dd data-testid="server-memory">
              {server.memoryGb != null ? `${gb(server.memoryGb)} for instances` : <span className="muted">measured at the first SSH login</span>}
            </dd>
            <dt>Disk</dt>
            <dd data-testid="server-disk">
              {server.diskGb != null ? `${server.diskGb} GB for instances` : <span className="muted">measured at the first SSH login</span>}
            </dd>
          </>
        )}
        {!registered && (
          <>
            <dt>VM name</dt>
            <dd className="mono">{server.vmName}</dd>
            <dt>Cloud's id</dt>
            <dd className="mono">{server.providerId ?? <span className="muted">not yet known</span>}</dd>
          </>
        )}
        {fetched.labels.length > 0 && (
          <>
            <dt>Labels</dt>
            <dd>
              {fetched.labels.map((l) => (
                <code key={l.key} className="label-chip">
                  {l.key}={l.value}
                </code>
              ))}
            </dd>
          </>
        )}
        <dt>ID</dt>
        <dd className="mono small">{server.id}</dd>
      </dl>
    </div>
  );
}

function pct(v: number | null | undefined): string {
  return v == null ? '—' : `${v.toFixed(1)} %`;
}

/** How loaded a server is (its instances, its newest CPU and memory sample) and its history. */
export function ServerLoad({ server, fetched }: { server: ServerData; fetched: ServerData }) {
  const metrics = fetched.latestMetrics;
  return (
    <div className="card">
      <h2>Load</h2>
      <dl className="props">
        <dt>Instances</dt>
        <dd>{fetched.instanceCount}</dd>
        <dt>CPU</dt>
        <dd>{pct(metrics?.cpuPercent)}</dd>
        <dt>Memory</dt>
        <dd>{pct(metrics?.memoryPercent)}</dd>
        <dt>Sampled</dt>
        <dd>{metrics ? <span title={dateTime(metrics.sampledAt)}>{relativeTime(metrics.sampledAt)}</span> : <span className="muted">no sample in the last hour</span>}</dd>
      </dl>
      <h2 className="spaced">History</h2>
      <dl className="props">
        <dt>Asked for</dt>
        <dd title={server.createdAt}>{dateTime(server.createdAt)}</dd>
        <dt>State since</dt>
        <dd title={server.stateChangedAt}>
          {dateTime(server.stateChangedAt)} <span className="muted small">({relativeTime(server.stateChangedAt)})</span>
        </dd>
        {server.removedAt && (
          <>
            <dt>Removed</dt>
            <dd>{dateTime(server.removedAt)}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
