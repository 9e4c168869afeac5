import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import {
  CloudOfferingsQuery,
  ConfiguredProvidersQuery,
  OperationUpdatedSubscription,
  ScaleClusterMutation,
  ScalingOperationsQuery,
  ServerUpdatedSubscription,
  ServersQuery,
} from '../lib/documents';
import type { CloudProvider, ScaleClusterMutationVariables as ScaleArgs, ScalingOperationFieldsFragment as Scaling, ServerState } from '../gql/graphql';
import { Badge, ServerStateBadge, StatusBadge } from '../components/Badge';
import { OperationProgress } from '../components/OperationProgress';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { NoServers } from './Servers';
import { apiError, type ApiError } from '../lib/errors';
import { relativeTime } from '../lib/format';
import { cloudName, money, monthlyDelta, offeredIn, orderablePlans, planLabel, provisionErrorField } from '../lib/fleet';
import { useLive } from '../lib/live';
import { newer, overlay } from '../lib/liveList';
import { useCanOperateHere, useProjects } from '../lib/projects';

/** The most servers one group may have (jobs::server::MAX_GROUP_SIZE). */
export const MAX_GROUP_SIZE = 100;

export interface ScaleValues {
  provider: CloudProvider;
  plan: string;
  region: string;
  count: string;
}

type ScaleField = 'provider' | 'plan' | 'region' | 'count';
export type ScaleErrors = Partial<Record<ScaleField, string>>;
export type ScaleRequest = Omit<ScaleArgs, 'dryRun'>;

export function validateScale(v: ScaleValues): ScaleErrors {
  const e: ScaleErrors = {};
  if (!v.plan) e.plan = 'Choose a plan.';
  if (!v.region) e.region = 'Choose a region.';
  const n = Number(v.count);
  if (v.count.trim() === '' || !Number.isInteger(n) || n < 0 || n > MAX_GROUP_SIZE) e.count = `Give a whole number of servers from 0 to ${MAX_GROUP_SIZE}.`;
  return e;
}

export function toScaleRequest(v: ScaleValues): ScaleRequest {
  return { provider: v.provider, plan: v.plan, region: v.region, count: Number(v.count) };
}

/** Where a scaleCluster error belongs: a field, or (null) the top of the form. */
export function scaleErrorField(err: ApiError): ScaleField | null {
  if (err.code === 'INVALID_INPUT' && /^count\b/i.test(err.message.trim())) return 'count';
  const f = provisionErrorField(err);
  return f === 'provider' || f === 'plan' || f === 'region' ? f : null;
}

/** `add 2 servers`, `remove 1 server`, `add 1 server and remove 1 server`, `no change`. */
export function describeChanges(actions: Scaling['actions']): string {
  const adds = actions.filter((a) => a.action === 'ADD').length;
  const removes = actions.length - adds;
  const n = (k: number) => `${k} server${k === 1 ? '' : 's'}`;
  const parts = [adds ? `add ${n(adds)}` : '', removes ? `remove ${n(removes)}` : ''].filter(Boolean);
  return parts.length ? parts.join(' and ') : 'no change';
}

/**
 * A scaling plan: the group, its size now and asked for, each step in order with what the
 * server costs a month, and the change of the group's monthly cost. With `states`, each
 * server's live state too.
 */
export function ScalePlanView({ scaling, states }: { scaling: Scaling; states?: Record<string, ServerState | undefined> }) {
  const actions = [...scaling.actions].sort((a, b) => a.order - b.order);
  const cur = scaling.currency;
  return (
    <div className="scale-plan" data-testid="scale-plan">
      <p className="scale-head">
        <strong>
          {cloudName(scaling.provider)} <span className="mono">{scaling.plan}</span> in <span className="mono">{scaling.region}</span>
        </strong>
        : <span data-testid="scale-counts">{scaling.currentCount} → {scaling.targetCount}</span> server{scaling.targetCount === 1 ? '' : 's'}
      </p>
      {actions.length === 0 ? (
        <p className="muted">Nothing to do: the group already has {scaling.currentCount} server{scaling.currentCount === 1 ? '' : 's'}.</p>
      ) : (
        <table className="table" aria-label="Scaling steps">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Step</th>
              <th>Server</th>
              {states && <th>State</th>}
              <th className="num">Monthly cost</th>
            </tr>
          </thead>
          <tbody>
            {actions.map((a) => (
              <tr key={a.order} data-action={a.action} data-server={a.serverName}>
                <td className="num muted">{a.order}</td>
                <td>{a.action === 'ADD' ? <Badge tone="ok">+ add</Badge> : <Badge tone="bad">− remove</Badge>}</td>
                <td>
                  {states ? (
                    <Link to={`/servers/${a.serverId}`} className="mono">
                      {a.serverName}
                    </Link>
                  ) : scaling.dryRun && a.action === 'ADD' ? (
                    // A preview draws names that applying draws again: show only their fixed part.
                    <span title="New servers are named when the plan is applied">
                      <span className="mono">{a.serverName.replace(/-[0-9a-f]{6}$/, '-…')}</span> <span className="muted small">new, named when applied</span>
                    </span>
                  ) : (
                    <span className="mono">{a.serverName}</span>
                  )}
                </td>
                {states && <td data-testid="state">{states[a.serverId] ? <ServerStateBadge state={states[a.serverId]!} /> : <span className="muted">—</span>}</td>}
                <td className="num nowrap">
                  {a.monthlyCost != null && cur ? `${a.action === 'ADD' ? '+' : '−'}${money(a.monthlyCost, cur)}` : <span className="muted">unknown</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="scale-total">
        Monthly cost change: <strong data-testid="scale-delta">{monthlyDelta(scaling.monthlyCostDelta, cur)}</strong>
      </p>
    </div>
  );
}

function sameRequest(a: ScaleRequest | null, b: ScaleRequest): boolean {
  return !!a && a.provider === b.provider && a.plan === b.plan && a.region === b.region && a.count === b.count;
}

/** Recent scaling decisions, newest first; previews only when asked. */
function ScalingHistory({ refreshKey }: { refreshKey: number }) {
  const [withPreviews, setWithPreviews] = useState(false);
  const [result, reexecute] = useQuery({ query: ScalingOperationsQuery, variables: { first: 25 }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  // A scaling's operation moves on: refetch when any fleet-wide operation changes, and when this page scales.
  useLive(
    OperationUpdatedSubscription,
    {},
    (d) => {
      if (d.operationUpdated.targetKind === 'CLUSTER') refetch();
    },
    refetch,
  );
  useEffect(() => {
    if (refreshKey) refetch();
  }, [refreshKey, refetch]);
  const err = apiError(result.error);
  const rows = (result.data?.scalingOperations.nodes ?? []).filter((s) => withPreviews || !s.dryRun);
  return (
    <div className="card">
      <div className="page-head">
        <h2>Recent scalings</h2>
        <label className="inline small">
          <input type="checkbox" checked={withPreviews} onChange={(e) => setWithPreviews(e.target.checked)} /> Show previews
        </label>
      </div>
      {err && !result.data ? (
        <p className="field-error">Could not load scalings: {err.message}</p>
      ) : !result.data ? (
        <p className="muted">
          <span className="spinner" aria-hidden /> Loading…
        </p>
      ) : rows.length === 0 ? (
        <p className="muted">No scalings yet{withPreviews ? '' : ' (previews are hidden)'}.</p>
      ) : (
        <table className="table" aria-label="Recent scalings">
          <thead>
            <tr>
              <th>When</th>
              <th>Group</th>
              <th>Servers</th>
              <th>Changes</th>
              <th className="num">Cost change</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id}>
                <td className="small muted nowrap" title={s.createdAt}>
                  {relativeTime(s.createdAt)}
                </td>
                <td>
                  {cloudName(s.provider)} <span className="mono small">{s.plan}</span> in <span className="mono small">{s.region}</span>
                </td>
                <td className="nowrap">
                  {s.currentCount} → {s.targetCount}
                </td>
                <td className="small">{describeChanges(s.actions)}</td>
                <td className="num nowrap small">{monthlyDelta(s.monthlyCostDelta, s.currency)}</td>
                <td className="nowrap">
                  {s.dryRun ? (
                    <Badge tone="muted">preview</Badge>
                  ) : s.operation ? (
                    <Link to={`/operations/${s.operation.id}`}>
                      <StatusBadge status={s.operation.status} />
                    </Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** What an applied scaling's servers are doing: fetched, then kept current by serverUpdated. */
function useServerStates(scaling: Scaling | null): [Record<string, ServerState | undefined>, () => void] {
  const ids = useMemo(() => new Set(scaling?.actions.map((a) => a.serverId) ?? []), [scaling]);
  const [result, reexecute] = useQuery({
    query: ServersQuery,
    variables: { first: 100, filter: { provider: scaling?.provider, region: scaling?.region } },
    pause: !scaling,
    requestPolicy: 'network-only',
  });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [live, setLive] = useState<Record<string, { id: string; state: ServerState; updatedAt: string }>>({});
  useLive(
    ServerUpdatedSubscription,
    {},
    (d) => {
      const { id, state, updatedAt } = d.serverUpdated;
      if (ids.has(id)) setLive((p) => ({ ...p, [id]: newer(p[id], { id, state, updatedAt }) }));
    },
    refetch,
    !scaling,
  );
  const states = useMemo(() => {
    const out: Record<string, ServerState | undefined> = {};
    for (const s of result.data?.servers.nodes ?? []) if (ids.has(s.id)) out[s.id] = overlay(s, live[s.id]).state;
    // Servers the fetch did not list yet (made after it) are known by their events alone.
    for (const l of Object.values(live)) out[l.id] ??= l.state;
    return out;
  }, [result.data, live, ids]);
  return [states, refetch];
}

export function ScalePage() {
  const operate = useCanOperateHere();
  const { current: project } = useProjects();
  const [clouds] = useQuery({ query: ConfiguredProvidersQuery });
  const configured = clouds.data?.configuredProviders ?? [];
  const [values, setValues] = useState<Omit<ScaleValues, 'provider'> & { provider: CloudProvider | null }>({ provider: null, plan: '', region: '', count: '' });
  const provider = values.provider ?? configured[0] ?? null;
  const [offerings] = useQuery({ query: CloudOfferingsQuery, variables: { provider: provider ?? 'HETZNER' }, pause: !provider, requestPolicy: 'cache-and-network' });
  const current = offerings.data && offerings.operation?.variables.provider === provider ? offerings.data : null;
  const plans = orderablePlans(current?.plans ?? []);
  const plan = plans.find((p) => p.name === values.plan) ?? null;

  const [errors, setErrors] = useState<ScaleErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ request: ScaleRequest; scaling: Scaling } | null>(null);
  const [applied, setApplied] = useState<Scaling | null>(null);
  const [history, setHistory] = useState(0);
  const [scale, doScale] = useMutation(ScaleClusterMutation);
  const [states, refetchStates] = useServerStates(applied);

  if (clouds.error && !clouds.data) return <ErrorState error={apiError(clouds.error)!} title="Could not load the clouds" />;
  if (!clouds.data) return <Loading what="Loading clouds" />;
  if (!operate)
    return (
      <Empty title="Read-only">
        <p className="muted">Your role is read-only; ask a project operator to scale servers.</p>
      </Empty>
    );
  if (!provider) return <NoServers configured={[]} operate={false} />;

  const all: ScaleValues = { ...values, provider };
  const request = toScaleRequest(all);
  const previewCurrent = preview && sameRequest(preview.request, request);

  const set = (f: keyof ScaleValues, v: string) => {
    setValues((x) => ({ ...x, [f]: v }));
    if (errors[f]) setErrors((x) => ({ ...x, [f]: undefined }));
  };

  const send = async (dryRun: boolean) => {
    setFormError(null);
    const local = validateScale(all);
    setErrors(local);
    if (Object.keys(local).length) return;
    const res = await doScale({ ...request, dryRun, ...(project ? { projectId: project.id } : {}) });
    const e = apiError(res.error);
    if (e) {
      const f = scaleErrorField(e);
      if (f) setErrors({ [f]: e.message });
      else setFormError(e.message);
      return;
    }
    if (!res.data) return;
    if (dryRun) setPreview({ request, scaling: res.data.scaleCluster });
    else {
      setPreview(null);
      setApplied(res.data.scaleCluster);
    }
    setHistory((h) => h + 1);
  };

  const fieldError = (f: ScaleField) =>
    errors[f] && (
      <p className="field-error" id={`s-${f}-error`} role="alert">
        {errors[f]}
      </p>
    );

  return (
    <section>
      <p className="crumbs">
        <Link to="/servers">Servers</Link> / Scale
      </p>
      <div className="page-head">
        <h1>Scale a group {project && <span className="h1-sub">in {project.name}</span>}</h1>
        <span className="muted small">A group is the servers of one cloud, plan and region. Preview what changes, then apply it.</span>
      </div>
      <form
        className="card form"
        noValidate
        aria-label="Scale"
        onSubmit={(e) => {
          e.preventDefault();
          if (!scale.fetching) void send(true);
        }}
      >
        {formError && (
          <div className="notice notice-bad" role="alert" data-testid="form-error">
            {formError}
          </div>
        )}
        <div className="field-row field-row-4">
          <div className="field">
            <label htmlFor="s-provider">Cloud</label>
            <select
              id="s-provider"
              className="input"
              value={provider}
              onChange={(e) => {
                setValues((x) => ({ ...x, provider: e.target.value as CloudProvider, plan: '', region: '' }));
                setErrors({});
              }}
            >
              {configured.map((c) => (
                <option key={c} value={c}>
                  {cloudName(c)}
                </option>
              ))}
            </select>
            {fieldError('provider')}
          </div>
          <div className="field field-wide">
            <label htmlFor="s-plan">Plan</label>
            <select
              id="s-plan"
              className="input"
              value={values.plan}
              onChange={(e) => set('plan', e.target.value)}
              disabled={!current}
              aria-invalid={!!errors.plan || undefined}
              aria-describedby={errors.plan ? 's-plan-error' : undefined}
            >
              <option value="">{current ? 'Choose a plan…' : 'Loading plans…'}</option>
              {plans.map((p) => (
                <option key={p.name} value={p.name}>
                  {planLabel(p)}
                </option>
              ))}
            </select>
            {fieldError('plan')}
          </div>
          <div className="field">
            <label htmlFor="s-region">Region</label>
            <select
              id="s-region"
              className="input"
              value={values.region}
              onChange={(e) => set('region', e.target.value)}
              aria-invalid={!!errors.region || undefined}
              aria-describedby={errors.region ? 's-region-error' : undefined}
            >
              <option value="">Choose a region…</option>
              {(current?.regions ?? []).map((r) => (
                <option key={r} value={r} disabled={!offeredIn(plan, r)}>
                  {r}
                  {offeredIn(plan, r) ? '' : ` (no ${plan?.name})`}
                </option>
              ))}
            </select>
            {fieldError('region')}
          </div>
          <div className="field">
            <label htmlFor="s-count">Servers</label>
            <input
              id="s-count"
              className="input"
              type="number"
              min={0}
              max={MAX_GROUP_SIZE}
              placeholder="e.g. 3"
              value={values.count}
              onChange={(e) => set('count', e.target.value)}
              aria-invalid={!!errors.count || undefined}
              aria-describedby={errors.count ? 's-count-error' : undefined}
            />
            {fieldError('count')}
          </div>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn" disabled={scale.fetching}>
            {scale.fetching && !previewCurrent ? 'Planning…' : 'Preview'}
          </button>
        </div>
      </form>

      {preview && (
        <div className={`card ${previewCurrent ? '' : 'stale'}`} data-testid="scale-preview">
          <div className="page-head">
            <h2>Preview</h2>
            <Badge tone="muted">nothing is changed yet</Badge>
          </div>
          <ScalePlanView scaling={preview.scaling} />
          {previewCurrent ? (
            preview.scaling.actions.length > 0 && (
              <div className="form-actions">
                <button type="button" className="btn" onClick={() => setPreview(null)} disabled={scale.fetching}>
                  Discard
                </button>
                <button type="button" className="btn btn-primary" onClick={() => void send(false)} disabled={scale.fetching}>
                  {scale.fetching ? 'Applying…' : `Apply: ${describeChanges(preview.scaling.actions)}`}
                </button>
              </div>
            )
          ) : (
            <Notice tone="info">The choices changed since this preview. Preview again to apply them.</Notice>
          )}
        </div>
      )}

      {applied && (
        <div className="card" data-testid="scale-applied">
          <div className="page-head">
            <h2>Scaling</h2>
            <span className="muted small">Servers appear and change state here as it happens.</span>
          </div>
          <ScalePlanView scaling={applied} states={states} />
        </div>
      )}
      {applied?.operation && <OperationProgress id={applied.operation.id} title="Scaling operation" onChange={refetchStates} />}

      <ScalingHistory refreshKey={history} />
    </section>
  );
}
