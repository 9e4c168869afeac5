import type { InstancePlanFieldsFragment, PlanFieldsFragment } from '../gql/graphql';
import { gb, monthly, offeredIn, orderablePlans } from '../lib/fleet';
import { cpus, mib } from '../lib/instances';

/**
 * The plans a cloud sells, as a table of radio buttons: name, vCPUs, memory, disk, and the
 * monthly price with its currency. Deprecated plans are left out: clouds refuse new orders.
 */
export function PlanPicker({
  id,
  plans,
  value,
  onChange,
  invalid = false,
  describedBy,
}: {
  id: string;
  plans: readonly PlanFieldsFragment[];
  value: string;
  onChange: (plan: string) => void;
  invalid?: boolean;
  describedBy?: string;
}) {
  const rows = orderablePlans(plans);
  if (rows.length === 0) return <p className="muted">This cloud lists no plans that can be ordered.</p>;
  return (
    <div
      className={`plan-picker ${invalid ? 'plan-picker-invalid' : ''}`}
      role="radiogroup"
      aria-labelledby={`${id}-label`}
      aria-invalid={invalid || undefined}
      aria-describedby={describedBy}
    >
      <table className="table">
        <thead>
          <tr>
            <th>Plan</th>
            <th className="num">vCPU</th>
            <th className="num">Memory</th>
            <th className="num">Disk</th>
            <th>Arch</th>
            <th className="num">Price</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => {
            const rid = `${id}-${p.name}`;
            return (
              <tr key={p.name} className={p.name === value ? 'selected' : undefined} onClick={() => onChange(p.name)}>
                <td>
                  <input type="radio" id={rid} name={id} value={p.name} checked={p.name === value} onChange={() => onChange(p.name)} />{' '}
                  <label htmlFor={rid} className="inline mono">
                    {p.name}
                  </label>
                </td>
                <td className="num">{p.cores}</td>
                <td className="num">{gb(p.memoryGb)}</td>
                <td className="num">{p.diskGb} GB</td>
                <td className="small muted">{p.architecture}</td>
                <td className={`num nowrap ${p.monthlyPrice == null ? 'muted small' : ''}`}>{monthly(p.monthlyPrice, p.currency)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A region select; regions where `plan` is not sold are listed but cannot be chosen. */
export function RegionSelect({
  id,
  regions,
  plan,
  value,
  onChange,
  invalid = false,
  describedBy,
}: {
  id: string;
  regions: readonly string[];
  plan: PlanFieldsFragment | null;
  value: string;
  onChange: (region: string) => void;
  invalid?: boolean;
  describedBy?: string;
}) {
  return (
    <select id={id} className="input" value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={invalid || undefined} aria-describedby={describedBy}>
      <option value="">Choose a region…</option>
      {regions.map((r) => {
        const sold = offeredIn(plan, r);
        return (
          <option key={r} value={r} disabled={!sold}>
            {r}
            {sold ? '' : ` (no ${plan?.name})`}
          </option>
        );
      })}
    </select>
  );
}

/**
 * The plans an instance can have, as a table of radio buttons: name, CPU requested and its
 * limit, and memory (on Kubernetes, the pod's requests and limits).
 */
export function InstancePlanPicker({
  id,
  plans,
  value,
  onChange,
  invalid = false,
  describedBy,
}: {
  id: string;
  plans: readonly InstancePlanFieldsFragment[];
  value: string;
  onChange: (plan: string) => void;
  invalid?: boolean;
  describedBy?: string;
}) {
  return (
    <div
      className={`plan-picker ${invalid ? 'plan-picker-invalid' : ''}`}
      role="radiogroup"
      aria-labelledby={`${id}-label`}
      aria-invalid={invalid || undefined}
      aria-describedby={describedBy}
    >
      <table className="table">
        <thead>
          <tr>
            <th>Plan</th>
            <th className="num">CPU</th>
            <th className="num">CPU limit</th>
            <th className="num">Memory</th>
          </tr>
        </thead>
        <tbody>
          {plans.map((p) => {
            const rid = `${id}-${p.name}`;
            return (
              <tr key={p.name} className={p.name === value ? 'selected' : undefined} onClick={() => onChange(p.name)} data-plan={p.name}>
                <td>
                  <input type="radio" id={rid} name={id} value={p.name} checked={p.name === value} onChange={() => onChange(p.name)} />{' '}
                  <label htmlFor={rid} className="inline mono">
                    {p.name}
                  </label>
                </td>
                <td className="num">{cpus(p.cpuRequestMillis)}</td>
                <td className="num">{cpus(p.cpuLimitMillis)}</td>
                <td className="num">{mib(p.memoryMib)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
