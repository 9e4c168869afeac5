import { Bar, CartesianGrid, Cell, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface Check {
  checkedAt: string;
  healthy: boolean;
  latencyMs: number | null;
  error: string | null;
}

/** Latency of recent checks (line) and pass/fail per check (bars), oldest on the left. */
export function HealthChart({ checks }: { checks: Check[] }) {
  const data = [...checks]
    .sort((a, b) => Date.parse(a.checkedAt) - Date.parse(b.checkedAt))
    .map((c) => ({
      t: new Date(c.checkedAt).toLocaleTimeString(),
      latency: c.healthy && c.latencyMs != null ? Number(c.latencyMs.toFixed(2)) : null,
      ok: 1,
      healthy: c.healthy,
      error: c.error,
    }));
  return (
    <div className="chart" data-testid="health-chart">
      <ResponsiveContainer width="100%" height={220}>
        <ComposedChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
          <XAxis dataKey="t" stroke="var(--text-muted)" fontSize={11} minTickGap={24} />
          <YAxis yAxisId="lat" stroke="var(--text-muted)" fontSize={11} unit=" ms" width={60} />
          <YAxis yAxisId="ok" hide domain={[0, 10]} />
          <Tooltip
            contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' }}
            formatter={(value, name, item) => {
              if (name === 'ok') return [item.payload.healthy ? 'healthy' : `failed: ${item.payload.error ?? 'unknown'}`, 'check'];
              return [`${value} ms`, 'latency'];
            }}
          />
          <Bar yAxisId="ok" dataKey="ok" barSize={6} isAnimationActive={false}>
            {data.map((d, i) => (
              <Cell key={i} fill={d.healthy ? 'var(--ok)' : 'var(--bad)'} />
            ))}
          </Bar>
          <Line yAxisId="lat" type="monotone" dataKey="latency" stroke="var(--accent)" strokeWidth={2} dot={false} connectNulls isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
