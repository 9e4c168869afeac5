import type { CloudProvider, PlanFieldsFragment, ServerState } from '../gql/graphql';
import type { ApiError } from './errors';

export const CLOUDS: CloudProvider[] = ['HETZNER', 'DIGITALOCEAN'];
export const SERVER_STATES: ServerState[] = ['PROVISIONING', 'BOOTSTRAPPING', 'ACTIVE', 'DRAINING', 'REMOVING', 'REMOVED', 'FAILED'];
/** States a worker moves a server out of by itself: pages poll while a server is in one. */
export const SERVER_TRANSITIONAL: ServerState[] = ['PROVISIONING', 'BOOTSTRAPPING', 'REMOVING'];

const CLOUD_NAME: Record<CloudProvider, string> = { HETZNER: 'Hetzner', DIGITALOCEAN: 'DigitalOcean' };
/** The variable that gives toygres a cloud's API token (see `toygres serve --help`). */
export const TOKEN_VARIABLE: Record<CloudProvider, string> = { HETZNER: 'TOYGRES_HETZNER_TOKEN', DIGITALOCEAN: 'TOYGRES_DIGITALOCEAN_TOKEN' };

export function cloudName(p: CloudProvider): string {
  return CLOUD_NAME[p] ?? p;
}

/** `Hetzner and DigitalOcean`, `Hetzner`, or `no cloud`. */
export function cloudList(ps: readonly CloudProvider[]): string {
  const names = ps.map(cloudName);
  if (names.length === 0) return 'no cloud';
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** `€3.79`, `$24.00`; a currency `Intl` does not know is written after the amount. */
export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/** `€3.79 / month`, or `price unknown` when the cloud's listing has not given one. */
export function monthly(amount: number | null | undefined, currency: string | null | undefined): string {
  if (amount == null || !currency) return 'price unknown';
  return `${money(amount, currency)} / month`;
}

/** A change of monthly cost with its sign: `+€7.58 / month`, `−€3.79 / month`, `no change`. */
export function monthlyDelta(delta: number | null | undefined, currency: string | null | undefined): string {
  if (delta == null || !currency) return 'cost change unknown';
  if (Math.abs(delta) < 0.005) return 'no change';
  return `${delta > 0 ? '+' : '−'}${money(Math.abs(delta), currency)} / month`;
}

/** `4 GB`, `0.5 GB`: memory without a trailing `.0`. */
export function gb(n: number): string {
  return `${Number(n.toFixed(1))} GB`;
}

type PlanSize = Pick<PlanFieldsFragment, 'cores' | 'memoryGb' | 'diskGb' | 'architecture'>;

/** `2 vCPU · 4 GB RAM · 40 GB disk`, with `· Arm` for Arm plans. */
export function planSize(p: PlanSize): string {
  return `${p.cores} vCPU · ${gb(p.memoryGb)} RAM · ${p.diskGb} GB disk${p.architecture === 'arm' ? ' · Arm' : ''}`;
}

/** One line for a plan picker: `cx22 — 2 vCPU · 4 GB RAM · 40 GB disk — €3.79 / month`. */
export function planLabel(p: PlanFieldsFragment): string {
  return `${p.name} — ${planSize(p)} — ${monthly(p.monthlyPrice, p.currency)}`;
}

/** Plans that can be ordered, in the cloud's order. */
export function orderablePlans<P extends Pick<PlanFieldsFragment, 'deprecated'>>(plans: readonly P[]): P[] {
  return plans.filter((p) => !p.deprecated);
}

/** Whether `plan` is sold in `region` (a plan that lists no regions is sold everywhere). */
export function offeredIn(plan: Pick<PlanFieldsFragment, 'regions'> | null | undefined, region: string): boolean {
  return !plan || plan.regions.length === 0 || plan.regions.includes(region);
}

export type ProvisionField = 'provider' | 'plan' | 'region' | 'name' | 'template';

/**
 * Attach a provisionServer or scaleCluster error to the form field it is about, from the
 * wording of jobs/src/server/mod.rs (`check_plan`, `provision`, `Fleet::cloud`,
 * `templates::find`); anything else is a form-level error.
 */
export function provisionErrorField(err: ApiError): ProvisionField | null {
  const m = err.message.trim();
  if (err.code === 'CONFLICT') return /^a server named /i.test(m) ? 'name' : null;
  if (err.code !== 'INVALID_INPUT') return null;
  if (/is not configured on this installation/i.test(m)) return 'provider';
  if (/^"[^"]*" is not a \S+ plan/i.test(m)) return 'plan';
  if (/^"[^"]*" is not a \S+ region/i.test(m) || /^plan \S+ is not offered in/i.test(m)) return 'region';
  if (/^name\b/i.test(m)) return 'name';
  if (/^no server template/i.test(m)) return 'template';
  return null;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isDnsLabel(s: string): boolean {
  return DNS_LABEL.test(s);
}
