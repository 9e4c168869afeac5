import { useCallback, useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useClient, useMutation, useQuery } from 'urql';
import { CloudOfferingsQuery, FleetSetupQuery, OperationDetailQuery, OperationUpdatedSubscription, ProvisionServerMutation, RefreshPlansMutation } from '../lib/documents';
import type { CloudProvider, OperationStatus, PlanFieldsFragment, ProvisionServerInput } from '../gql/graphql';
import { PlanPicker, RegionSelect } from '../components/PlanPicker';
import { StatusBadge } from '../components/Badge';
import { Empty, ErrorState, Loading } from '../components/States';
import { NoServers } from './Servers';
import { apiError, type ApiError } from '../lib/errors';
import { cloudName, isDnsLabel, monthly, offeredIn, planSize, provisionErrorField, type ProvisionField } from '../lib/fleet';
import { useLive, usePollWhile } from '../lib/live';
import { useAccess, useCanOperateHere, useProjects } from '../lib/projects';
import { unfinished } from '../lib/states';

export interface ProvisionValues {
  provider: CloudProvider;
  plan: string;
  region: string;
  name: string;
  template: string;
}

export type ProvisionErrors = Partial<Record<ProvisionField, string>>;

export interface Offerings {
  plans: PlanFieldsFragment[];
  regions: string[];
}

export interface Template {
  name: string;
  description: string;
}

/** The server's rules, checked before the confirmation step so most mistakes show at once. */
export function validateProvision(v: ProvisionValues, configured: readonly CloudProvider[], offerings: Offerings | null): ProvisionErrors {
  const e: ProvisionErrors = {};
  if (!configured.includes(v.provider)) e.provider = `${cloudName(v.provider)} is not configured on this installation.`;
  const plan = offerings?.plans.find((p) => p.name === v.plan) ?? null;
  if (!v.plan) e.plan = 'Choose a plan.';
  else if (offerings && !plan) e.plan = `${v.plan} is not a ${cloudName(v.provider)} plan.`;
  else if (plan?.deprecated) e.plan = `${v.plan} is deprecated; ${cloudName(v.provider)} no longer sells it.`;
  if (!v.region) e.region = 'Choose a region.';
  else if (plan && !offeredIn(plan, v.region)) e.region = `${plan.name} is not offered in ${v.region}; it is offered in ${plan.regions.join(', ')}.`;
  const name = v.name.trim();
  if (name && !isDnsLabel(name)) e.name = "Use 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit.";
  return e;
}

export function toProvisionInput(v: ProvisionValues): ProvisionServerInput {
  const input: ProvisionServerInput = { provider: v.provider, plan: v.plan, region: v.region };
  if (v.name.trim()) input.name = v.name.trim();
  if (v.template) input.template = v.template;
  return input;
}

export interface ProvisionFormProps {
  configured: CloudProvider[];
  templates: Template[];
  /** The plans and regions of `provider`; null while they load. */
  offerings: Offerings | null;
  provider: CloudProvider;
  onProviderChange: (p: CloudProvider) => void;
  submitting: boolean;
  onSubmit: (input: ProvisionServerInput) => Promise<ApiError | null>;
  onCancel?: () => void;
  /** Shown under the plan picker (the site admin's "refresh plans"). */
  planTools?: ReactNode;
}

/**
 * The form alone, so tests can drive it with a fake `onSubmit`. It has two steps: the choices,
 * then a confirmation that says what will be made and what it costs a month; only the
 * confirmation sends the mutation.
 */
export function ProvisionServerForm({ configured, templates, offerings, provider, onProviderChange, submitting, onSubmit, onCancel, planTools }: ProvisionFormProps) {
  const [values, setValues] = useState<Omit<ProvisionValues, 'provider'>>({ plan: '', region: '', name: '', template: templates[0]?.name ?? '' });
  const [errors, setErrors] = useState<ProvisionErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const all: ProvisionValues = { ...values, provider };
  const plan = offerings?.plans.find((p) => p.name === values.plan) ?? null;
  const template = templates.find((t) => t.name === values.template) ?? null;

  const set = <K extends keyof typeof values>(f: K, v: string) => {
    setValues((x) => ({ ...x, [f]: v }));
    if (errors[f as ProvisionField]) setErrors((x) => ({ ...x, [f]: undefined }));
  };

  const field = (f: ProvisionField, label: ReactNode, input: ReactNode, hint?: ReactNode, labelFor = true) => (
    <div className={`field ${errors[f] ? 'field-invalid' : ''}`}>
      {labelFor ? <label htmlFor={`f-${f}`}>{label}</label> : <label id={`f-${f}-label`}>{label}</label>}
      {input}
      {errors[f] ? (
        <p className="field-error" id={`f-${f}-error`} role="alert">
          {errors[f]}
        </p>
      ) : hint ? (
        <div className="field-hint">{hint}</div>
      ) : null}
    </div>
  );
  const aria = (f: ProvisionField) => ({ invalid: !!errors[f], describedBy: errors[f] ? `f-${f}-error` : undefined });

  const send = async () => {
    setFormError(null);
    const err = await onSubmit(toProvisionInput(all));
    if (!err) return;
    // Back to the choices, with the server's complaint where it belongs.
    setConfirming(false);
    const f = provisionErrorField(err);
    if (f) setErrors({ [f]: err.message });
    else setFormError(err.message);
  };

  if (confirming)
    return (
      <form
        className="card form"
        aria-label="Confirm the new server"
        onSubmit={(e) => {
          e.preventDefault();
          if (!submitting) void send();
        }}
      >
        <h2>Provision this server?</h2>
        <dl className="props" data-testid="provision-summary">
          <dt>Name</dt>
          <dd>{all.name.trim() ? <strong className="mono">{all.name.trim()}</strong> : <span className="muted">generated from region and plan ({`${all.region}-${all.plan}-…`})</span>}</dd>
          <dt>Cloud</dt>
          <dd>{cloudName(provider)}</dd>
          <dt>Plan</dt>
          <dd>
            <span className="mono">{all.plan}</span> {plan && <span className="muted">({planSize(plan)})</span>}
          </dd>
          <dt>Region</dt>
          <dd className="mono">{all.region}</dd>
          <dt>Template</dt>
          <dd>
            <span className="mono">{template?.name ?? all.template}</span> {template && <span className="muted">— {template.description}</span>}
          </dd>
        </dl>
        {plan?.monthlyPrice != null ? (
          <p className="confirm-price" data-testid="provision-price">
            It costs <strong>{monthly(plan.monthlyPrice, plan.currency)}</strong>, billed by {cloudName(provider)} from when its VM is made until it is removed.
          </p>
        ) : (
          <p className="confirm-price" data-testid="provision-price">
            Its price is <strong>unknown</strong>: Toygres has no current price list for {cloudName(provider)}. {cloudName(provider)} bills it from when its VM is
            made until it is removed.
          </p>
        )}
        <div className="form-actions">
          <button type="button" className="btn" onClick={() => setConfirming(false)} disabled={submitting}>
            Back
          </button>
          <button type="submit" className="btn btn-primary" disabled={submitting} autoFocus>
            {submitting ? 'Provisioning…' : 'Provision server'}
          </button>
        </div>
      </form>
    );

  return (
    <form
      className="card form"
      noValidate
      aria-label="New server"
      onSubmit={(e) => {
        e.preventDefault();
        setFormError(null);
        const local = validateProvision(all, configured, offerings);
        setErrors(local);
        if (Object.keys(local).length) return;
        setConfirming(true);
      }}
    >
      {formError && (
        <div className="notice notice-bad" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}
      {field(
        'provider',
        'Cloud',
        <select
          id="f-provider"
          className="input"
          value={provider}
          aria-invalid={!!errors.provider || undefined}
          onChange={(e) => {
            onProviderChange(e.target.value as CloudProvider);
            // Plans and regions are the cloud's own: a choice from another cloud means nothing.
            setValues((x) => ({ ...x, plan: '', region: '' }));
            setErrors({});
          }}
        >
          {configured.map((c) => (
            <option key={c} value={c}>
              {cloudName(c)}
            </option>
          ))}
        </select>,
        configured.length === 1 ? 'The only cloud configured here.' : undefined,
      )}
      {field(
        'plan',
        'Plan',
        offerings ? (
          <PlanPicker id="f-plan" plans={offerings.plans} value={values.plan} onChange={(p) => set('plan', p)} {...aria('plan')} />
        ) : (
          <p className="muted">
            <span className="spinner" aria-hidden /> Loading {cloudName(provider)}'s plans…
          </p>
        ),
        planTools,
        false,
      )}
      <div className="field-row">
        {field(
          'region',
          'Region',
          <RegionSelect id="f-region" regions={offerings?.regions ?? []} plan={plan} value={values.region} onChange={(r) => set('region', r)} {...aria('region')} />,
          plan && plan.regions.length > 0 ? `${plan.name} is sold in ${plan.regions.join(', ')}.` : undefined,
        )}
        {field(
          'name',
          'Name (optional)',
          <input
            id="f-name"
            className="input"
            value={values.name}
            onChange={(e) => set('name', e.target.value)}
            placeholder={values.region && values.plan ? `${values.region}-${values.plan}-…` : 'generated'}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={!!errors.name || undefined}
            aria-describedby={errors.name ? 'f-name-error' : undefined}
          />,
          'Lower-case letters, digits and -, unique in the project. Empty: made from region and plan.',
        )}
      </div>
      {field(
        'template',
        'Template',
        <select
          id="f-template"
          className="input"
          value={values.template}
          onChange={(e) => set('template', e.target.value)}
          aria-invalid={!!errors.template || undefined}
          aria-describedby={errors.template ? 'f-template-error' : 'f-template-description'}
        >
          {templates.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>,
        template ? <span id="f-template-description">{template.description}</span> : undefined,
      )}
      <div className="form-actions">
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="btn btn-primary" disabled={!offerings}>
          Review…
        </button>
      </div>
    </form>
  );
}

/**
 * Replace a cloud's plan table with its own current listing (site admins): the built-in table
 * carries no prices for clouds whose prices vary by location.
 */
export function RefreshPlansButton({ provider, onDone }: { provider: CloudProvider; onDone: () => void }) {
  const client = useClient();
  const [{ fetching }, refresh] = useMutation(RefreshPlansMutation);
  const [op, setOp] = useState<{ id: string; status: OperationStatus; error?: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Whether onDone has been called for the current refresh: the subscription and the poll may both see it finish.
  const done = useRef(false);
  const seen = useCallback(
    (o: { id: string; status: OperationStatus; error: string | null }) => {
      setOp({ id: o.id, status: o.status, error: o.error });
      if (o.status === 'SUCCEEDED' && !done.current) {
        done.current = true;
        onDone();
      }
    },
    [onDone],
  );
  const check = useCallback(async () => {
    if (!op) return;
    const res = await client.query(OperationDetailQuery, { id: op.id }, { requestPolicy: 'network-only' }).toPromise();
    if (res.data?.operation) seen(res.data.operation);
  }, [client, op, seen]);
  useLive(OperationUpdatedSubscription, { id: op?.id ?? '' }, (d) => seen(d.operationUpdated), () => void check(), !op);
  const running = fetching || (op != null && unfinished(op.status));
  // A safety net for an operation that finished before the subscription started.
  usePollWhile(running && op != null, () => void check(), 2000);
  return (
    <span className="inline-tools">
      <button
        type="button"
        className="btn btn-sm"
        disabled={running}
        onClick={async () => {
          setError(null);
          done.current = false;
          const res = await refresh({ provider });
          const e = apiError(res.error);
          if (e) setError(e.message);
          else if (res.data) setOp({ id: res.data.refreshPlans.id, status: res.data.refreshPlans.status });
        }}
      >
        {running ? `Fetching ${cloudName(provider)}'s plans…` : `Fetch current plans and prices from ${cloudName(provider)}`}
      </button>
      {op && !unfinished(op.status) && (
        <>
          {' '}
          <StatusBadge status={op.status} /> <Link to={`/operations/${op.id}`}>operation</Link>
        </>
      )}
      {(error || op?.error) && <span className="field-error"> {error ?? op?.error}</span>}
    </span>
  );
}

export function ProvisionServerPage() {
  const navigate = useNavigate();
  const operate = useCanOperateHere();
  const { isSiteAdmin } = useAccess();
  const { current: project } = useProjects();
  const [setup, refetchSetup] = useQuery({ query: FleetSetupQuery });
  const configured = setup.data?.configuredProviders ?? [];
  const [chosen, setChosen] = useState<CloudProvider | null>(null);
  const provider = chosen ?? configured[0] ?? null;
  const [offerings, reexecuteOfferings] = useQuery({
    query: CloudOfferingsQuery,
    variables: { provider: provider ?? 'HETZNER' },
    pause: !provider,
    requestPolicy: 'cache-and-network',
  });
  const refetchOfferings = useCallback(() => reexecuteOfferings({ requestPolicy: 'network-only' }), [reexecuteOfferings]);
  const [{ fetching }, provision] = useMutation(ProvisionServerMutation);

  const crumbs = (
    <p className="crumbs">
      <Link to="/servers">Servers</Link> / New
    </p>
  );
  const setupErr = apiError(setup.error);
  if (setupErr && !setup.data) return <ErrorState error={setupErr} onRetry={() => refetchSetup({ requestPolicy: 'network-only' })} title="Could not load the clouds" />;
  if (!setup.data) return <Loading what="Loading clouds" />;
  if (!operate)
    return (
      <Empty title="Read-only">
        <p className="muted">Your role is read-only; ask a project operator to provision a server.</p>
      </Empty>
    );
  if (!provider)
    return (
      <section className="narrow">
        {crumbs}
        <NoServers configured={[]} operate={false} />
      </section>
    );
  const offeringsErr = apiError(offerings.error);
  // Only this cloud's plans: never another's while a switch is loading.
  const current = offerings.data && offerings.operation?.variables.provider === provider ? { plans: offerings.data.plans, regions: offerings.data.regions } : null;
  const anyUnpriced = current?.plans.some((p) => !p.deprecated && p.monthlyPrice == null) ?? false;

  return (
    <section className="wide-form">
      {crumbs}
      <h1>New server {project && <span className="h1-sub">in {project.name}</span>}</h1>
      <p className="muted">A VM at the cloud, booted from a template that installs PostgreSQL, that Toygres can then place instances on.</p>
      {offeringsErr && !offerings.data && <ErrorState error={offeringsErr} onRetry={refetchOfferings} title={`Could not load ${cloudName(provider)}'s plans`} />}
      <ProvisionServerForm
        configured={configured}
        templates={setup.data.serverTemplates}
        offerings={current}
        provider={provider}
        onProviderChange={setChosen}
        submitting={fetching}
        onCancel={() => navigate('/servers')}
        planTools={
          isSiteAdmin && anyUnpriced ? (
            <>
              Toygres's built-in plan table has no current prices for {cloudName(provider)}.{' '}
              <RefreshPlansButton provider={provider} onDone={refetchOfferings} />
            </>
          ) : undefined
        }
        onSubmit={async (input) => {
          const res = await provision({ input: project ? { ...input, projectId: project.id } : input });
          const err = apiError(res.error);
          if (err) return err;
          if (res.data) {
            const { server, operation } = res.data.provisionServer;
            navigate(`/servers/${server.id}`, { state: { provisioned: true, operationId: operation.id } });
          }
          return null;
        }}
      />
    </section>
  );
}
