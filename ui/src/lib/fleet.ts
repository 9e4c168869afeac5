import type { CloudProvider, PlanFieldsFragment, RegisterServerInput } from '../gql/graphql';
import { errorField, type ApiError, type FieldRule } from './errors';

/** The clouds servers can be provisioned on. */
export const CLOUDS: CloudProvider[] = ['HETZNER', 'DIGITALOCEAN'];
/** Where servers come from: the clouds, and hosts registered by address. */
export const SERVER_SOURCES: CloudProvider[] = [...CLOUDS, 'EXISTING'];

const CLOUD_NAME: Record<CloudProvider, string> = { HETZNER: 'Hetzner', DIGITALOCEAN: 'DigitalOcean', EXISTING: 'Registered host' };
/**
 * The variable that gives toygres a cloud's API token (see `toygres serve --help`); for
 * registered hosts, the SSH key it logs in with.
 */
export const TOKEN_VARIABLE: Record<CloudProvider, string> = {
  HETZNER: 'TOYGRES_HETZNER_TOKEN',
  DIGITALOCEAN: 'TOYGRES_DIGITALOCEAN_TOKEN',
  EXISTING: 'TOYGRES_SSH_PRIVATE_KEY_FILE',
};

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

// Registered hosts.

export type RegisterField = 'name' | 'address' | 'sshPort' | 'sshUser' | 'region' | 'memoryGb' | 'diskGb';

export interface RegisterValues {
  name: string;
  address: string;
  sshPort: string;
  sshUser: string;
  region: string;
  memoryGb: string;
  diskGb: string;
}

export type RegisterErrors = Partial<Record<RegisterField, string>>;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]+$/i;
const SSH_USER = /^[a-z0-9_][a-z0-9_-]{0,31}$/;

/** Whether `s` looks like an IPv4 or IPv6 address (the server has the last word). */
export function isIpAddress(s: string): boolean {
  return IPV4.test(s) || (s.includes(':') && IPV6.test(s));
}

/** The server's rules for registerServer (jobs/src/server/register.rs `check`), checked before sending. */
export function validateRegister(v: RegisterValues): RegisterErrors {
  const e: RegisterErrors = {};
  const name = v.name.trim();
  if (!name) e.name = 'Name is required.';
  else if (!isDnsLabel(name)) e.name = "Use 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit.";
  const address = v.address.trim();
  if (!address) e.address = 'The address is required: SSH is reached there, and its instances listen there.';
  else if (!isIpAddress(address)) e.address = `${address} is not an IP address.`;
  if (v.sshPort.trim()) {
    const n = Number(v.sshPort);
    if (!Number.isInteger(n) || n < 1 || n > 65535) e.sshPort = 'The SSH port is a whole number from 1 to 65535.';
  }
  if (v.sshUser.trim() && !SSH_USER.test(v.sshUser.trim())) e.sshUser = "A user name: lower-case letters, digits, '_' or '-'.";
  if (v.region.trim() && !isDnsLabel(v.region.trim())) e.region = "Use lower-case letters, digits or '-', like a DNS label.";
  if (v.memoryGb.trim()) {
    const n = Number(v.memoryGb);
    if (!Number.isFinite(n) || n < 0.25 || n > 65536) e.memoryGb = 'Memory is from 0.25 to 65536 GB; leave it empty to measure it.';
  }
  if (v.diskGb.trim()) {
    const n = Number(v.diskGb);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) e.diskGb = 'Disk is a whole number of GB from 1 to 1000000; leave it empty to measure it.';
  }
  return e;
}

/** What registerServer is sent: empty optional fields are left to the server's defaults. */
export function toRegisterInput(v: RegisterValues): RegisterServerInput {
  const input: RegisterServerInput = { name: v.name.trim(), address: v.address.trim() };
  if (v.sshPort.trim()) input.sshPort = Number(v.sshPort);
  if (v.sshUser.trim()) input.sshUser = v.sshUser.trim();
  if (v.region.trim()) input.region = v.region.trim();
  if (v.memoryGb.trim()) input.memoryGb = Number(v.memoryGb);
  if (v.diskGb.trim()) input.diskGb = Number(v.diskGb);
  return input;
}

/**
 * Where a registerServer error belongs, from the wording of jobs/src/server/register.rs
 * (`check`, `register`), api/src/graphql/server.rs (the address) and jobs/src/db/servers.rs (a
 * taken name); anything else (no SSH key configured) is about the form as a whole.
 */
export const REGISTER_RULES: FieldRule<RegisterField>[] = [
  ['INVALID_INPUT', /^name\b/i, 'name'],
  ['CONFLICT', /^a server named /i, 'name'],
  ['INVALID_INPUT', /^address\b/i, 'address'],
  ['INVALID_INPUT', /is not a host's address/i, 'address'],
  ['INVALID_INPUT', /is a loopback, link-local or cloud metadata-service address/i, 'address'],
  ['CONFLICT', /is registered at \S+ already/i, 'address'],
  ['INVALID_INPUT', /^sshPort\b/i, 'sshPort'],
  ['INVALID_INPUT', /^sshUser\b/i, 'sshUser'],
  ['INVALID_INPUT', /^region\b/i, 'region'],
  ['INVALID_INPUT', /^memoryGb\b/i, 'memoryGb'],
  ['INVALID_INPUT', /^diskGb\b/i, 'diskGb'],
];

export function registerErrorField(err: ApiError): RegisterField | null {
  return errorField(err, REGISTER_RULES);
}

// Moves.

/** `0 B`, `512 B`, `1.5 KiB`, `12 MiB`, `1.2 GiB`. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${Number(v.toFixed(v < 10 ? 1 : 0))} ${units[i]}`;
}

/** The write-unavailability window: `812 ms`, `1,204 ms`. */
export function pauseMs(ms: number): string {
  return `${Math.round(ms).toLocaleString('en')} ms`;
}
