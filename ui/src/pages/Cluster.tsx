import { useCallback, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ClusterHealthUpdatedSubscription, ClusterQuery } from '../lib/documents';
import type { ClusterHealthFieldsFragment } from '../gql/graphql';
import { ClusterEvents } from '../components/ClusterEvents';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { apiError } from '../lib/errors';
import { dateTime, relativeTime } from '../lib/format';
import { useLive } from '../lib/live';

/** How far back the charts reach, and the width of one point. */
const WINDOW_MINUTES = 30;
const STEP_SECONDS = 30;
/** The most live points the charts keep beyond the fetched window. */
const KEEP_POINTS = (WINDOW_MINUTES * 60) / STEP_SECONDS + 120;

interface Point {
  at: string;
  cpu: number | null;
  memory: number | null;
}

function pct(v: number | null | undefined): string {
  return v == null ? '—' : `${v.toFixed(1)} %`;
}

/**
 * The cluster at a glance: CPU and memory now and over the last half hour, moving live with
 * each sample, per server when there is a fleet, and instance counts that open the filtered
 * instance list.
 */
export function ClusterPage() {
  const [range] = useState(() => {
    const to = new Date();
    return { from: new Date(to.getTime() - WINDOW_MINUTES * 60_000).toISOString(), to: to.toISOString() };
  });
  const [result, reexecute] = useQuery({
    query: ClusterQuery,
    variables: { ...range, step: STEP_SECONDS },
    requestPolicy: 'network-only',
  });
  const [live, setLive] = useState<ClusterHealthFieldsFragment | null>(null);
  const [livePoints, setLivePoints] = useState<Point[]>([]);
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);

  useLive(
    ClusterHealthUpdatedSubscription,
    {},
    (d) => {
      const h = d.clusterHealthUpdated;
      setLive(h);
      if (h.sampledAt) {
        const at = h.sampledAt;
        setLivePoints((p) => [...p, { at, cpu: h.cpuPercent ?? null, memory: h.memoryPercent ?? null }].slice(-KEEP_POINTS));
      }
    },
    refetch,
  );

  const health = live ?? result.data?.clusterHealth ?? null;
  const points = useMemo<Point[]>(() => {
    const fetched = (result.data?.serverMetrics ?? []).map((p) => ({ at: p.at, cpu: p.cpuPercent ?? null, memory: p.memoryPercent ?? null }));
    const last = fetched.length ? Date.parse(fetched[fetched.length - 1].at) : 0;
    return [...fetched, ...livePoints.filter((p) => Date.parse(p.at) > last)].map((p) => ({
      ...p,
      cpu: p.cpu == null ? null : Number(p.cpu.toFixed(1)),
      memory: p.memory == null ? null : Number(p.memory.toFixed(1)),
    }));
  }, [result.data, livePoints]);

  const serverNames = useMemo(
    () => Object.fromEntries([...(result.data?.removedServers.nodes ?? []), ...(result.data?.servers.nodes ?? [])].map((s) => [s.id, s.name])),
    [result.data],
  );

  if (result.fetching && !result.data) return <Loading what="Loading cluster health" />;
  const err = apiError(result.error);
  if (err && !result.data) return <ErrorState error={err} onRetry={refetch} title="Could not load cluster health" />;

  return (
    <section>
      <div className="page-head">
        <h1>Cluster</h1>
        <span className="muted small">
          {health?.source ? <>Source: <code>{health.source}</code> · </> : null}
          {health?.sampledAt ? <>sampled {relativeTime(health.sampledAt)} ({dateTime(health.sampledAt)})</> : 'no sample yet'}
        </span>
      </div>
      {health && !health.available && (
        <Notice tone="bad">
          Metrics unavailable{health.unavailableSince ? ` since ${dateTime(health.unavailableSince)}` : ''}: {health.message ?? 'no figures'}. The figures below
          are not current; check that the metrics source is reachable.
        </Notice>
      )}
      <div className="grid-2">
        <div className="card">
          <h2>CPU</h2>
          <p className="big" data-testid="cluster-cpu">{pct(health?.available ? health.cpuPercent : null)}</p>
        </div>
        <div className="card">
          <h2>Memory</h2>
          <p className="big" data-testid="cluster-memory">{pct(health?.available ? health.memoryPercent : null)}</p>
        </div>
      </div>
      <div className="card">
        <h2>Last {WINDOW_MINUTES} minutes</h2>
        {points.length === 0 ? (
          <Empty title="No samples yet">
            <p className="muted">The first sample arrives within one sampling interval (30 s by default).</p>
          </Empty>
        ) : (
          <div className="chart" data-testid="cluster-chart">
            <ResponsiveContainer width="100%" height={240}>
              <LineChart data={points.map((p) => ({ ...p, t: new Date(p.at).toLocaleTimeString() }))} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
                <XAxis dataKey="t" stroke="var(--text-muted)" fontSize={11} minTickGap={24} />
                <YAxis domain={[0, 100]} stroke="var(--text-muted)" fontSize={11} unit=" %" width={56} />
                <Tooltip contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' }} />
                <Legend />
                <Line type="monotone" dataKey="cpu" name="CPU" stroke="var(--accent)" dot={false} isAnimationActive={false} connectNulls={false} />
                <Line type="monotone" dataKey="memory" name="Memory" stroke="var(--ok)" dot={false} isAnimationActive={false} connectNulls={false} />
              </LineChart>
            </ResponsiveContainer>
          </div>
        )}
      </div>
      {health && health.servers.length > 0 && (
        <div className="card table-wrap">
          <h2>Servers</h2>
          <table className="table">
            <thead>
              <tr>
                <th>Server</th>
                <th>CPU</th>
                <th>Memory</th>
                <th>Sampled</th>
              </tr>
            </thead>
            <tbody>
              {health.servers.map((s) => (
                <tr key={s.serverId}>
                  <td>
                    <Link to={`/servers/${s.serverId}`} className={serverNames[s.serverId] ? undefined : 'mono small'}>
                      {serverNames[s.serverId] ?? s.serverId}
                    </Link>
                  </td>
                  <td>{pct(s.cpuPercent)}</td>
                  <td>{pct(s.memoryPercent)}</td>
                  <td className="muted small">{relativeTime(s.sampledAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="card table-wrap">
        <h2>Instances</h2>
        {!health || health.instances.length === 0 ? (
          <p className="muted">No instances yet.</p>
        ) : (
          <table className="table" aria-label="Instance counts">
            <thead>
              <tr>
                <th>State</th>
                <th>Health</th>
                <th>Count</th>
              </tr>
            </thead>
            <tbody>
              {health.instances.map((c) => (
                <tr key={`${c.state}-${c.health}`}>
                  <td>{c.state}</td>
                  <td>{c.health}</td>
                  <td>
                    <Link to={`/instances?state=${c.state}&health=${c.health}`}>{c.count}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="card table-wrap">
        <h2>Fleet events</h2>
        <p className="muted small">Live: servers made, started, drained and removed, and alerts, newest first.</p>
        <ClusterEvents serverNames={serverNames} />
      </div>
    </section>
  );
}
