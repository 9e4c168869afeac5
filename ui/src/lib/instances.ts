import type { InstancePlanFieldsFragment, ServiceType } from '../gql/graphql';

/** The most standbys an instance may have (the API's `MAX_STANDBYS`). */
export const MAX_STANDBYS = 2;

export const SERVICE_TYPES: ServiceType[] = ['CLUSTER_IP', 'LOAD_BALANCER'];
const SERVICE_TYPE_NAME: Record<ServiceType, string> = { CLUSTER_IP: 'Cluster IP', LOAD_BALANCER: 'Load balancer' };
export const SERVICE_TYPE_HELP: Record<ServiceType, string> = {
  CLUSTER_IP: 'reachable inside the cluster',
  LOAD_BALANCER: 'a cloud load balancer, reachable from outside',
};

export function serviceTypeName(t: ServiceType): string {
  return SERVICE_TYPE_NAME[t] ?? t;
}

/** Millicores as CPUs: `0.25`, `1`, `1.5`. */
export function cpus(millis: number): string {
  return String(Number((millis / 1000).toFixed(3)));
}

/** `512 MiB`, `1 GiB`, `1.5 GiB`. */
export function mib(n: number): string {
  return n >= 1024 ? `${Number((n / 1024).toFixed(2))} GiB` : `${n} MiB`;
}

type PlanSize = Pick<InstancePlanFieldsFragment, 'cpuRequestMillis' | 'cpuLimitMillis' | 'memoryMib'>;

/** `0.25 to 1 CPU`, or `1 CPU` when request and limit agree. */
export function planCpu(p: PlanSize): string {
  return p.cpuRequestMillis === p.cpuLimitMillis ? `${cpus(p.cpuLimitMillis)} CPU` : `${cpus(p.cpuRequestMillis)} to ${cpus(p.cpuLimitMillis)} CPU`;
}

/** `0.25 to 1 CPU · 512 MiB`. */
export function instancePlanSize(p: PlanSize): string {
  return `${planCpu(p)} · ${mib(p.memoryMib)}`;
}

/** The plan the server picks when none is sent (`small`), or else the first offered. */
export function defaultPlan(plans: readonly Pick<InstancePlanFieldsFragment, 'name'>[]): string {
  return (plans.find((p) => p.name === 'small') ?? plans[0])?.name ?? '';
}
