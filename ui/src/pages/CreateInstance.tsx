import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { ActiveServersQuery, CreateInstanceMutation, InstanceOfferingsQuery, VersionsQuery } from '../lib/documents';
import type { ActiveServersQuery as ActiveServers, CreateInstanceInput, InstancePlanFieldsFragment, Provider, ServiceType } from '../gql/graphql';
import { gb } from '../lib/fleet';
import { InstancePlanPicker } from '../components/PlanPicker';
import { apiError, createErrorField, type CreateField } from '../lib/errors';
import { useProjects } from '../lib/projects';
import { MAX_STANDBYS, SERVICE_TYPES, SERVICE_TYPE_HELP, defaultPlan, serviceTypeName } from '../lib/instances';
import { PROVIDER, providerName } from '../lib/states';

export interface CreateValues {
  name: string;
  version: string;
  storageGb: string;
  username: string;
  database: string;
  password: string;
  /** `LOCAL` when absent. */
  provider?: Provider;
  /** The server's default (`small`) when empty or absent. */
  plan?: string;
  /** Kubernetes only; the installation's default when empty or absent. */
  serviceType?: ServiceType | '';
  /** Fleet servers only: the server to place it on; the placement rule's choice when empty. */
  serverId?: string;
  /** Fleet servers only, when no server is named: the region to place it in. */
  region?: string;
  /** LOCAL and SERVER only: how many standbys, 0 to 2; none when empty or absent. */
  standbys?: string;
  /** With standbys only: whether each commit waits until a standby has it. */
  synchronous?: boolean;
}

/** A server the create form offers for SERVER instances. */
export type ServerChoice = Pick<ActiveServers['servers']['nodes'][number], 'id' | 'name' | 'region' | 'memoryGb' | 'pgVersions' | 'instanceCount'>;

/**
 * The PostgreSQL majors a SERVER instance can have: the chosen server's, or those of every
 * offered server (the API's `versions(provider: SERVER)` when the servers are not known).
 */
export function serverVersions(servers: readonly ServerChoice[] | null, serverId: string | undefined, region: string | undefined, fallback: number[] | null): number[] | null {
  if (!servers) return fallback;
  const pool = servers.filter((s) => (serverId ? s.id === serverId : !region || s.region === region));
  const all = [...new Set(pool.flatMap((s) => s.pgVersions))].sort((a, b) => a - b);
  return all.length || !fallback?.length ? all : fallback;
}

export type FieldErrors = Partial<Record<CreateField, string>>;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const RESERVED = ['postgres', 'template0', 'template1', 'public'];

/** The server's rules, checked before sending so most mistakes show at once. */
export function validateCreate(v: CreateValues): FieldErrors {
  const e: FieldErrors = {};
  const name = v.name.trim();
  if (!name) e.name = 'Name is required.';
  else if (!DNS_LABEL.test(name)) e.name = "Use 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit.";
  if (v.storageGb.trim()) {
    const n = Number(v.storageGb);
    if (!Number.isInteger(n) || n < 1 || n > 16384) e.storageGb = 'Storage must be a whole number of GB from 1 to 16384.';
  }
  for (const f of ['username', 'database'] as const) {
    const s = v[f].trim();
    if (s && (!IDENT.test(s) || s.startsWith('pg_') || RESERVED.includes(s)))
      e[f] = "Use 1 to 63 lower-case letters, digits or '_', starting with a letter; not postgres or pg_*.";
  }
  if (v.password && v.password.length < 12) e.password = 'Use at least 12 characters, or leave it empty to generate one.';
  if (v.standbys?.trim() && (v.provider ?? 'LOCAL') !== 'KUBERNETES') {
    const n = Number(v.standbys);
    if (!Number.isInteger(n) || n < 0 || n > MAX_STANDBYS) e.standbys = `Standbys must be a whole number from 0 to ${MAX_STANDBYS}.`;
  }
  return e;
}

export function toInput(v: CreateValues): CreateInstanceInput {
  const input: CreateInstanceInput = { name: v.name.trim() };
  const provider = v.provider ?? 'LOCAL';
  // LOCAL is the server's default; a service type means something on Kubernetes only.
  if (provider !== 'LOCAL') input.provider = provider;
  if (v.version) input.version = Number(v.version);
  if (v.plan) input.plan = v.plan;
  if (provider === 'KUBERNETES' && v.serviceType) input.serviceType = v.serviceType;
  // A named server wins over a region: the server decides where it is.
  if (provider === 'SERVER' && v.serverId) input.serverId = v.serverId;
  else if (provider === 'SERVER' && v.region) input.region = v.region;
  if (v.storageGb.trim()) input.storageGb = Number(v.storageGb);
  if (v.username.trim()) input.username = v.username.trim();
  if (v.database.trim()) input.database = v.database.trim();
  if (v.password) input.password = v.password;
  // Kubernetes instances have no standbys (the API answers UNSUPPORTED); synchronous commits need one.
  const standbys = provider === 'KUBERNETES' ? 0 : Number(v.standbys?.trim() || 0);
  if (standbys > 0) {
    input.standbys = standbys;
    if (v.synchronous) input.synchronous = true;
  }
  return input;
}

export interface CreateFormProps {
  /** The chosen provider's PostgreSQL versions; null while they load. */
  versions: number[] | null;
  /** Where instances can run here: the choice shows only when there is more than `LOCAL`. */
  providers?: readonly Provider[];
  /** Told when the user picks another provider, so the page can load its versions. */
  onProviderChange?: (p: Provider) => void;
  /** The plans instances can have; null while they load. */
  plans?: readonly InstancePlanFieldsFragment[] | null;
  /** The project's active servers, for SERVER instances; null while they load. */
  servers?: readonly ServerChoice[] | null;
  /** What the form starts with (a provider and server from the address). */
  initial?: Partial<CreateValues>;
  submitting: boolean;
  onSubmit: (input: CreateInstanceInput) => Promise<{ code: string; message: string } | null>;
  onCancel?: () => void;
}

/** The form alone, so tests can drive it with a fake `onSubmit`. */
export function CreateInstanceForm({ versions, providers = ['LOCAL'], onProviderChange, plans = [], servers = null, initial, submitting, onSubmit, onCancel }: CreateFormProps) {
  const [values, setValues] = useState<CreateValues>(() => ({
    name: '',
    version: '',
    storageGb: '10',
    username: '',
    database: '',
    password: '',
    provider: 'LOCAL',
    plan: '',
    serviceType: '',
    serverId: '',
    region: '',
    standbys: '0',
    synchronous: false,
    ...initial,
  }));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const provider = values.provider ?? 'LOCAL';
  // The plans arrive after the form: until one is picked, the server's default is shown chosen.
  const plan = values.plan || defaultPlan(plans ?? []);
  const all: CreateValues = { ...values, plan };

  const setValue = (f: keyof CreateValues, v: string) => {
    setValues((x) => ({ ...x, [f]: v }));
    if (errors[f as CreateField]) setErrors((x) => ({ ...x, [f]: undefined }));
  };
  const set = (f: keyof CreateValues) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setValue(f, e.target.value);
  const chooseProvider = (p: Provider) => {
    if (p === provider) return;
    // Each provider has its own versions; a service type means something on Kubernetes only,
    // a server and a region on fleet servers only.
    // Standbys are for LOCAL and SERVER instances only.
    setValues((x) => ({ ...x, provider: p, version: '', serviceType: '', serverId: '', region: '', ...(p === 'KUBERNETES' ? { standbys: '0', synchronous: false } : {}) }));
    setErrors((x) => ({ ...x, provider: undefined, version: undefined, serviceType: undefined, server: undefined, region: undefined, standbys: undefined }));
    onProviderChange?.(p);
  };
  // On fleet servers, the versions are those of the servers it can go to.
  const shown = provider === 'SERVER' ? serverVersions(servers, values.serverId, values.region, versions) : versions;
  const regions = [...new Set((servers ?? []).map((s) => s.region))].sort();
  const withStandbys = Number(values.standbys) > 0;
  const chosenServer = servers?.find((s) => s.id === values.serverId) ?? null;

  /** A field; `labelFor` false for a group of radio buttons, labelled by `f-<field>-label`. */
  const field = (f: CreateField, label: string, input: ReactNode, hint?: ReactNode, labelFor = true) => (
    <div className={`field ${errors[f] ? 'field-invalid' : ''}`}>
      {labelFor ? <label htmlFor={`f-${f}`}>{label}</label> : <label id={`f-${f}-label`}>{label}</label>}
      {input}
      {errors[f] ? (
        <p className="field-error" id={`f-${f}-error`} role="alert">
          {errors[f]}
        </p>
      ) : hint ? (
        <p className="field-hint">{hint}</p>
      ) : null}
    </div>
  );
  const aria = (f: CreateField) => ({ id: `f-${f}`, 'aria-invalid': !!errors[f] || undefined, 'aria-describedby': errors[f] ? `f-${f}-error` : undefined });

  return (
    <form
      className="card form"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setFormError(null);
        const local = validateCreate(all);
        setErrors(local);
        if (Object.keys(local).length) return;
        const err = await onSubmit(toInput(all));
        if (!err) return;
        const f = createErrorField(err as Parameters<typeof createErrorField>[0]);
        if (f) setErrors({ [f]: err.message });
        else setFormError(err.message);
      }}
    >
      {formError && (
        <div className="notice notice-bad" role="alert" data-testid="form-error">
          {formError}
        </div>
      )}
      {field('name', 'Name', <input className="input" {...aria('name')} value={values.name} onChange={set('name')} placeholder="orders-db" autoFocus />, 'Lower-case letters, digits and -, unique in the project.')}
      {providers.length > 1 &&
        field(
          'provider',
          'Where it runs',
          <Choices
            id="f-provider"
            value={provider}
            onChange={chooseProvider}
            options={providers.map((p) => ({ value: p, label: providerName(p), help: PROVIDER[p].help }))}
            invalid={!!errors.provider}
          />,
          undefined,
          false,
        )}
      {provider === 'KUBERNETES' &&
        field(
          'serviceType',
          'Reached through',
          <Choices
            id="f-serviceType"
            value={values.serviceType ?? ''}
            onChange={(t) => setValue('serviceType', t)}
            options={[
              { value: '' as const, label: 'Installation default', help: 'the service type this control plane is configured with' },
              ...SERVICE_TYPES.map((t) => ({ value: t, label: serviceTypeName(t), help: SERVICE_TYPE_HELP[t] })),
            ]}
            invalid={!!errors.serviceType}
          />,
          undefined,
          false,
        )}
      {provider === 'SERVER' && (
        <div className="field-row">
          {field(
            'server',
            'Server',
            <select
              className="input"
              {...aria('server')}
              value={values.serverId ?? ''}
              onChange={(e) => {
                setValues((x) => ({ ...x, serverId: e.target.value, region: '', version: '' }));
                setErrors((x) => ({ ...x, server: undefined, region: undefined, version: undefined }));
              }}
              disabled={servers === null}
            >
              <option value="">{servers === null ? 'Loading servers…' : 'The best server by the placement rule'}</option>
              {(servers ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name} — {s.region}
                  {s.memoryGb != null ? ` · ${gb(s.memoryGb)}` : ''} · {s.instanceCount} instance{s.instanceCount === 1 ? '' : 's'}
                </option>
              ))}
            </select>,
            servers && servers.length === 0 ? (
              <>
                This project has no active server. <Link to="/servers/register">Register one</Link> or provision one first.
              </>
            ) : chosenServer ? (
              `PostgreSQL ${chosenServer.pgVersions.join(', ') || '—'} installed there.`
            ) : (
              'Empty: the active server with the most free memory, then disk, then the fewest instances.'
            ),
          )}
          {field(
            'region',
            'Region',
            <select className="input" {...aria('region')} value={values.serverId ? '' : values.region ?? ''} onChange={set('region')} disabled={!!values.serverId || servers === null}>
              <option value="">{values.serverId ? `${chosenServer?.region ?? 'the server'}'s` : 'Any region'}</option>
              {regions.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>,
            values.serverId ? 'The named server decides the region.' : 'Only servers in this region are considered.',
          )}
        </div>
      )}
      {plans === null
        ? field(
            'plan',
            'Plan',
            <p className="muted">
              <span className="spinner" aria-hidden /> Loading plans…
            </p>,
            undefined,
            false,
          )
        : plans.length > 0 &&
          field(
            'plan',
            'Plan',
            <InstancePlanPicker id="f-plan" plans={plans} value={plan} onChange={(p) => setValue('plan', p)} invalid={!!errors.plan} describedBy={errors.plan ? 'f-plan-error' : undefined} />,
            provider === 'KUBERNETES'
              ? "The pod's CPU and memory requests and limits."
              : provider === 'SERVER'
                ? "Its memory counts against the server's: placement only picks a server with room for it."
                : 'Recorded with the instance; the local provider does not cap CPU or memory.',
            false,
          )}
      <div className="field-row">
        {field(
          'version',
          'PostgreSQL version',
          <select className="input" {...aria('version')} value={values.version} onChange={set('version')} disabled={shown === null}>
            <option value="">{shown === null ? 'Loading versions…' : `Newest (${shown.length ? Math.max(...shown) : '…'})`}</option>
            {[...(shown ?? [])].sort((a, b) => b - a).map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>,
        )}
        {field('storageGb', 'Storage (GB)', <input className="input" type="number" min={1} max={16384} {...aria('storageGb')} value={values.storageGb} onChange={set('storageGb')} />)}
      </div>
      <div className="field-row">
        {field('username', 'Username', <input className="input" {...aria('username')} value={values.username} onChange={set('username')} placeholder="app" autoComplete="off" />, 'Defaults to app.')}
        {field('database', 'Database', <input className="input" {...aria('database')} value={values.database} onChange={set('database')} placeholder="same as username" autoComplete="off" />)}
      </div>
      {provider !== 'KUBERNETES' && (
        <div className="field-row">
          {field(
            'standbys',
            'Standbys',
            <input className="input" type="number" min={0} max={MAX_STANDBYS} {...aria('standbys')} value={values.standbys ?? '0'} onChange={set('standbys')} />,
            provider === 'SERVER'
              ? `0 to ${MAX_STANDBYS}, each on a server of its own, streaming its changes and ready to take over.`
              : `0 to ${MAX_STANDBYS}: other server processes on this host, streaming its changes and ready to take over.`,
          )}
          <div className="field">
            <label className="inline">
              <input
                type="checkbox"
                checked={withStandbys && !!values.synchronous}
                disabled={!withStandbys}
                onChange={(e) => setValues((x) => ({ ...x, synchronous: e.target.checked }))}
                aria-describedby="f-synchronous-hint"
              />{' '}
              Synchronous commits
            </label>
            <p className="field-hint" id="f-synchronous-hint">
              {withStandbys
                ? 'Each commit waits until a standby has it: a failover loses no acknowledged write, but commits take longer.'
                : 'Needs a standby to wait for.'}
            </p>
          </div>
        </div>
      )}
      {field(
        'password',
        'Password',
        <input className="input" type="password" {...aria('password')} value={values.password} onChange={set('password')} autoComplete="new-password" placeholder="leave empty to generate a strong one" />,
        'At least 12 characters; not the username.',
      )}
      <div className="form-actions">
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="btn btn-primary" disabled={submitting}>
          {submitting ? 'Creating…' : 'Create instance'}
        </button>
      </div>
    </form>
  );
}

/** Radio buttons, each with a line saying what it means; labelled by `<id>-label`. */
function Choices<T extends string>({
  id,
  value,
  options,
  onChange,
  invalid = false,
}: {
  id: string;
  value: T;
  options: { value: T; label: string; help: string }[];
  onChange: (v: T) => void;
  invalid?: boolean;
}) {
  return (
    <div className={`choices ${invalid ? 'choices-invalid' : ''}`} role="radiogroup" aria-labelledby={`${id}-label`} aria-invalid={invalid || undefined} aria-describedby={invalid ? `${id}-error` : undefined}>
      {options.map((o) => {
        const rid = `${id}-${o.value || 'default'}`;
        return (
          <div
            key={rid}
            className={`choice ${o.value === value ? 'selected' : ''}`}
            // The whole box chooses; the radio and its label do by themselves.
            onClick={(e) => {
              if (!(e.target instanceof HTMLInputElement || e.target instanceof HTMLLabelElement)) onChange(o.value);
            }}
          >
            <input type="radio" id={rid} name={id} value={o.value} checked={o.value === value} onChange={() => onChange(o.value)} aria-describedby={`${rid}-help`} />
            <div>
              <label htmlFor={rid} className="inline">
                {o.label}
              </label>
              <div className="muted small" id={`${rid}-help`}>
                {o.help}
              </div>
            </div>
          </div>
        );
      })}
    </div>
  );
}

export function CreateInstancePage() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [offerings] = useQuery({ query: InstanceOfferingsQuery });
  // `?provider=SERVER&server=<id>` (from a server's page) starts on that server.
  const [initial] = useState<Partial<CreateValues>>(() =>
    params.get('provider') === 'SERVER' ? { provider: 'SERVER', serverId: params.get('server') ?? '' } : {},
  );
  const [provider, setProvider] = useState<Provider>(initial.provider ?? 'LOCAL');
  const [versions] = useQuery({ query: VersionsQuery, variables: { provider } });
  // Only this provider's versions: never another's while a switch is loading.
  const current = versions.data && versions.operation?.variables.provider === provider ? versions.data.versions : null;
  const [{ fetching }, create] = useMutation(CreateInstanceMutation);
  // Made in the project the dashboard works in (the API's default project when none is known).
  const { current: project } = useProjects();
  const offered = offerings.data?.instanceProviders ?? ['LOCAL'];
  // The project's servers that can take instances: active, and reached over SSH.
  const [servers] = useQuery({ query: ActiveServersQuery, pause: !offered.includes('SERVER'), requestPolicy: 'cache-and-network' });
  const choices = servers.data
    ? servers.data.servers.nodes.filter((s) => (!project || s.projectId === project.id) && s.sshHostKey)
    : servers.error
      ? []
      : null;
  return (
    <section className="narrow">
      <p className="crumbs">
        <Link to="/instances">Instances</Link> / New
      </p>
      <h1>
        New instance {project && <span className="h1-sub" data-testid="create-project">in {project.name}</span>}
      </h1>
      <CreateInstanceForm
        versions={current ?? (versions.error ? [] : null)}
        providers={offered}
        onProviderChange={setProvider}
        plans={offerings.data?.instancePlans ?? (offerings.error ? [] : null)}
        servers={choices}
        initial={initial}
        submitting={fetching}
        onCancel={() => navigate('/instances')}
        onSubmit={async (input) => {
          const res = await create({ input: project ? { ...input, projectId: project.id } : input });
          const err = apiError(res.error);
          if (err) return err;
          if (res.data) navigate(`/instances/${res.data.createInstance.instance.id}`, { state: { created: true, operationId: res.data.createInstance.operation.id } });
          return null;
        }}
      />
    </section>
  );
}
