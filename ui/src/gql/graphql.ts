/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * Implement the DateTime<Utc> scalar
   *
   * The input/output is a string in RFC3339 format.
   */
  DateTime: { input: string; output: string; }
  /** A scalar that can represent any JSON value. */
  JSON: { input: any; output: any; }
};

export type ApiToken = {
  __typename?: 'ApiToken';
  /** Whether it works now: not revoked and not expired. */
  active: Scalars['Boolean']['output'];
  /** When it was made. */
  createdAt: Scalars['DateTime']['output'];
  /** When it stops working, if ever. */
  expiresAt: Maybe<Scalars['DateTime']['output']>;
  /** Its id. */
  id: Scalars['ID']['output'];
  /** When it last authenticated a request. */
  lastUsedAt: Maybe<Scalars['DateTime']['output']>;
  /** Its name, unique in the project. */
  name: Scalars['String']['output'];
  /** The project it acts in. */
  projectId: Scalars['ID']['output'];
  /** When it was revoked. */
  revokedAt: Maybe<Scalars['DateTime']['output']>;
  /** What it may do in the project. */
  role: Role;
};

/** How an instance's continuous WAL archiving is doing (as of the last health check). */
export type Archiving = {
  __typename?: 'Archiving';
  /** When a WAL file last reached the repository. */
  lastArchivedAt: Maybe<Scalars['DateTime']['output']>;
  /** What is failing, while it fails; null once archiving works again. */
  lastError: Maybe<Scalars['String']['output']>;
  /** When archiving last failed. */
  lastFailedAt: Maybe<Scalars['DateTime']['output']>;
};

export type AuditEntry = {
  __typename?: 'AuditEntry';
  /** The mutation, such as `deleteInstance`. */
  action: Scalars['String']['output'];
  /** Who: an email, or `API token <name>`. */
  actor: Scalars['String']['output'];
  /** The user (for an API token, its maker). */
  actorUserId: Maybe<Scalars['ID']['output']>;
  /** Its arguments, secrets replaced by `[redacted]`. */
  arguments: Scalars['JSON']['output'];
  /** When. */
  at: Scalars['DateTime']['output'];
  /** The error's `extensions.code`, when it failed. */
  errorCode: Maybe<Scalars['String']['output']>;
  /** The error's message, when it failed. */
  errorMessage: Maybe<Scalars['String']['output']>;
  /** Its id. */
  id: Scalars['ID']['output'];
  /** `succeeded` or `failed`. */
  outcome: Scalars['String']['output'];
  /** The project it concerned, when known. */
  projectId: Maybe<Scalars['ID']['output']>;
  /** The client's address. */
  sourceIp: Maybe<Scalars['String']['output']>;
  /** What it acted on, when known. */
  targetId: Maybe<Scalars['ID']['output']>;
  /** The API token, when one was used. */
  tokenId: Maybe<Scalars['ID']['output']>;
  /** The client's `User-Agent`. */
  userAgent: Maybe<Scalars['String']['output']>;
};

export type AuditEntryConnection = {
  __typename?: 'AuditEntryConnection';
  /** A list of edges. */
  edges: Array<AuditEntryEdge>;
  /** A list of nodes. */
  nodes: Array<AuditEntry>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
};

/** An edge in a connection. */
export type AuditEntryEdge = {
  __typename?: 'AuditEntryEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: AuditEntry;
};

export type Backup = {
  __typename?: 'Backup';
  /** Why it failed. */
  error: Maybe<Scalars['String']['output']>;
  /** When it finished: the earliest time it can restore to. */
  finishedAt: Maybe<Scalars['DateTime']['output']>;
  /** Its id. */
  id: Scalars['ID']['output'];
  /** Its type. */
  kind: BackupKind;
  /** Its label in the repository (pgBackRest's). */
  label: Maybe<Scalars['String']['output']>;
  /** The operation that took it. */
  operationId: Maybe<Scalars['ID']['output']>;
  /** The database's size, in bytes. */
  sizeBytes: Maybe<Scalars['Float']['output']>;
  /** When it started. */
  startedAt: Scalars['DateTime']['output'];
  /** Where it is in its life. */
  status: BackupStatus;
  /** What it takes in the repository (compressed; only changes, for a differential). */
  storedBytes: Maybe<Scalars['Float']['output']>;
};

export type BackupConnection = {
  __typename?: 'BackupConnection';
  /** A list of edges. */
  edges: Array<BackupEdge>;
  /** A list of nodes. */
  nodes: Array<Backup>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
};

/** An edge in a connection. */
export type BackupEdge = {
  __typename?: 'BackupEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: Backup;
};

/** A backup's type. */
export type BackupKind =
  /** What changed since the last full backup. */
  | 'DIFFERENTIAL'
  /** Every file. */
  | 'FULL'
  /** What changed since the last backup of any type. */
  | 'INCREMENTAL';

/** When an instance is backed up, and how far back it can be restored. */
export type BackupPolicy = {
  __typename?: 'BackupPolicy';
  /** How many days back point-in-time recovery reaches. */
  retentionDays: Scalars['Int']['output'];
  /** When a full backup is taken: cron, five fields, UTC. */
  schedule: Scalars['String']['output'];
};

/** Where a backup is in its life. */
export type BackupStatus =
  /** Removed from the repository by the retention. */
  | 'EXPIRED'
  /** Its operation gave up; `error` says why. */
  | 'FAILED'
  /** Being taken. */
  | 'RUNNING'
  /** In the repository. */
  | 'SUCCEEDED';

/**
 * The installation's certificate authority. Every `LOCAL` and `SERVER` instance serves a
 * certificate it issued; save its `pem` where a connection string's `sslrootcert` names it
 * (`toygres-ca.crt`) to connect with `sslmode=verify-full`.
 */
export type CertificateAuthority = {
  __typename?: 'CertificateAuthority';
  /** The CA's certificate, PEM. */
  pem: Scalars['String']['output'];
};

/** A cloud that rents us servers. */
export type CloudProvider =
  /** DigitalOcean. */
  | 'DIGITALOCEAN'
  /** A host we did not make, registered by address (`registerServer`). */
  | 'EXISTING'
  /** Hetzner Cloud. */
  | 'HETZNER';

export type ClusterEvent = {
  __typename?: 'ClusterEvent';
  /** When. */
  createdAt: Scalars['DateTime']['output'];
  /** Details, for programs, as JSON text. */
  details: Scalars['String']['output'];
  /** Its id. */
  id: Scalars['ID']['output'];
  /** The instance it concerns, if one. */
  instanceId: Maybe<Scalars['ID']['output']>;
  /** What happened, in snake_case (`server_active`, `vm_created`, `cpu_high`). */
  kind: Scalars['String']['output'];
  /** What happened, for people. */
  message: Scalars['String']['output'];
  /** The server it concerns, if one. */
  serverId: Maybe<Scalars['ID']['output']>;
  /** `info`, `warning` or `critical`. */
  severity: Scalars['String']['output'];
};

export type ClusterEventConnection = {
  __typename?: 'ClusterEventConnection';
  /** A list of edges. */
  edges: Array<ClusterEventEdge>;
  /** A list of nodes. */
  nodes: Array<ClusterEvent>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
};

/** An edge in a connection. */
export type ClusterEventEdge = {
  __typename?: 'ClusterEventEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: ClusterEvent;
};

/** How loaded the cluster is, as of its newest sample. */
export type ClusterHealth = {
  __typename?: 'ClusterHealth';
  /** Whether the newest sample has figures. */
  available: Scalars['Boolean']['output'];
  /** Busy CPU of the cluster, 0 to 100; null when there is no current figure. */
  cpuPercent: Maybe<Scalars['Float']['output']>;
  /** Live instances the caller may see, by state and health. */
  instances: Array<InstanceCount>;
  /** Memory in use, 0 to 100; null when there is no current figure. */
  memoryPercent: Maybe<Scalars['Float']['output']>;
  /** Why there are no figures, when there are none. */
  message: Maybe<Scalars['String']['output']>;
  /** When the newest sample was taken. */
  sampledAt: Maybe<Scalars['DateTime']['output']>;
  /** Each server's newest figures. */
  servers: Array<ServerHealth>;
  /**
   * Where the figures come from: `host`, or the metrics source's URL without
   * credentials. Site admins only: null for everyone else.
   */
  source: Maybe<Scalars['String']['output']>;
  /** Since when the source has been failing, when it is. */
  unavailableSince: Maybe<Scalars['DateTime']['output']>;
};

/** What `createApiToken` returns: the token, and its secret, shown this once. */
export type CreateApiTokenPayload = {
  __typename?: 'CreateApiTokenPayload';
  /**
   * The secret to send as `Authorization: Bearer <secret>`. Only a hash is kept: it
   * cannot be shown again.
   */
  secret: Scalars['String']['output'];
  /** The token. */
  token: ApiToken;
};

/** What to create. */
export type CreateInstanceInput = {
  /** The database; named after the role if omitted. */
  database?: InputMaybe<Scalars['String']['input']>;
  /** A DNS-1123 label, unique among the project's live instances. */
  name: Scalars['String']['input'];
  /** The role's password, at least 12 characters; a strong one is generated if omitted. */
  password?: InputMaybe<Scalars['String']['input']>;
  /** The plan (see `instancePlans`); `small` if omitted. */
  plan?: InputMaybe<Scalars['String']['input']>;
  /** The project; the default project if omitted. */
  projectId?: InputMaybe<Scalars['ID']['input']>;
  /** Where to run it; `LOCAL` if omitted (see `instanceProviders`). */
  provider?: InputMaybe<Provider>;
  /** On servers, the region to place it in when no server is named. */
  region?: InputMaybe<Scalars['String']['input']>;
  /**
   * On servers, the server to place it on; chosen by the placement rule if omitted (the
   * active server with the most free memory, then disk, then fewest instances).
   */
  serverId?: InputMaybe<Scalars['ID']['input']>;
  /** On Kubernetes, how clients reach it; the installation's default if omitted. */
  serviceType?: InputMaybe<ServiceType>;
  /**
   * How many standbys to give it, 0 to 2 (LOCAL and SERVER instances; each SERVER
   * standby on a server of its own); none if omitted. They count toward the project's
   * standby quota.
   */
  standbys?: InputMaybe<Scalars['Int']['input']>;
  /** Storage in GB, 1 to 16384; 10 if omitted. */
  storageGb?: InputMaybe<Scalars['Int']['input']>;
  /**
   * Whether each commit waits until a standby has it, so that a failover loses no
   * acknowledged write; needs a standby. Not if omitted.
   */
  synchronous?: InputMaybe<Scalars['Boolean']['input']>;
  /** The login role; `app` if omitted. */
  username?: InputMaybe<Scalars['String']['input']>;
  /** PostgreSQL major version; the newest installed if omitted (see `versions`). */
  version?: InputMaybe<Scalars['Int']['input']>;
};

/** What `createInstance` returns. */
export type CreateInstancePayload = {
  __typename?: 'CreateInstancePayload';
  /** The new instance, `CREATING`. */
  instance: Instance;
  /** The operation that makes it; follow it with `operationUpdated`. */
  operation: Operation;
};

/** What a drain does with a member of an instance on its server. */
export type DrainAction =
  /**
   * The instance (it has no standbys) moves to the target: a copy there catches up and
   * takes over (a `move_instance` operation).
   */
  | 'MOVE'
  /**
   * The standby (`memberId`) gets a fresh copy on the target, then its old copy and
   * replication slot go (a `relocate_standby` operation).
   */
  | 'RELOCATE_STANDBY'
  /**
   * The primary hands over to its standby on the target, losing no committed write (a
   * `switchover` operation); the old primary stays behind as a standby, relocated next.
   */
  | 'SWITCHOVER';

/**
 * What draining a server does: each instance, what becomes of it and where it goes, in
 * order.
 */
export type DrainPlan = {
  __typename?: 'DrainPlan';
  /** Why the drain cannot be done (nothing would happen), when it cannot. */
  blocked: Maybe<Scalars['String']['output']>;
  /**
   * The actions, in the order they run: the switchovers and standbys' relocations of
   * instances with standbys first, one instance at a time, then the moves.
   */
  moves: Array<PlannedMove>;
  /** The server. */
  serverId: Scalars['ID']['output'];
};

/** What `drainServer` returns. */
export type DrainServerPayload = {
  __typename?: 'DrainServerPayload';
  /** Whether this was only a preview: nothing was recorded. */
  dryRun: Scalars['Boolean']['output'];
  /** The drain, unless this was a preview. */
  operation: Maybe<Operation>;
  /** The plan: which instance goes where, in order. */
  plan: DrainPlan;
};

/** A switchover (planned) or a failover: the primary handed over to a standby. */
export type Handover = {
  __typename?: 'Handover';
  /** When it was asked for. */
  createdAt: Scalars['DateTime']['output'];
  /** When it finished. */
  finishedAt: Maybe<Scalars['DateTime']['output']>;
  /** The member that was primary. */
  fromMemberId: Scalars['ID']['output'];
  /** Its id. */
  id: Scalars['ID']['output'];
  /** The operation that carried it out. */
  operationId: Scalars['ID']['output'];
  /** Whether it was asked for (a switchover) rather than forced by a failure. */
  planned: Scalars['Boolean']['output'];
  /** The member that took over. */
  toMemberId: Scalars['ID']['output'];
  /** How long writes were unavailable, in milliseconds. */
  unavailableMs: Maybe<Scalars['Float']['output']>;
  /** When the connection string named the new primary: writes resumed. */
  writesResumedAt: Maybe<Scalars['DateTime']['output']>;
  /** When writes stopped. */
  writesStoppedAt: Maybe<Scalars['DateTime']['output']>;
};

/** Whether an instance answers. */
export type Health =
  /** The last check connected and queried. */
  | 'HEALTHY'
  /** The last check failed. */
  | 'UNHEALTHY'
  /** Not checked since it last started. */
  | 'UNKNOWN';

/** One health check. */
export type HealthCheck = {
  __typename?: 'HealthCheck';
  /** When it ran. */
  checkedAt: Scalars['DateTime']['output'];
  /** Why it failed. */
  error: Maybe<Scalars['String']['output']>;
  /** Whether it connected and queried. */
  healthy: Scalars['Boolean']['output'];
  /** Round trip of the query, in milliseconds. */
  latencyMs: Maybe<Scalars['Float']['output']>;
  /** The server's version. */
  serverVersion: Maybe<Scalars['String']['output']>;
};

export type HighAvailability = {
  __typename?: 'HighAvailability';
  /** Its switchovers and failovers, newest first. */
  handovers: Array<Handover>;
  /** When its primary last changed, by a switchover or a failover. */
  lastFailoverAt: Maybe<Scalars['DateTime']['output']>;
  /** How many standbys it has. */
  standbys: Scalars['Int']['output'];
  /**
   * Whether each commit waits until a standby has it (no acknowledged write is lost when
   * the primary fails).
   */
  synchronous: Scalars['Boolean']['output'];
};


export type HighAvailabilityHandoversArgs = {
  first?: Scalars['Int']['input'];
};

export type Instance = {
  __typename?: 'Instance';
  /** How its continuous WAL archiving is doing; null where it does not archive. */
  archiving: Maybe<Archiving>;
  /** When it is backed up in full, and how far back it can be restored. */
  backupPolicy: BackupPolicy;
  /** Its backups, newest first (expired and failed ones included, marked so). */
  backups: BackupConnection;
  /**
   * Deleted with its backups kept: when they will be purged from the repository (a
   * restore from it works until then). Null while it lives, and once they are gone.
   */
  backupsRetainedUntil: Maybe<Scalars['DateTime']['output']>;
  /**
   * `postgresql://user:password@host:port/database`. The password is included for admins
   * and operators of the project, and left out for viewers. It ends in
   * `?sslmode=verify-full&sslrootcert=toygres-ca.crt`: save `certificateAuthority { pem }`
   * as `toygres-ca.crt` where the client runs (or change the path). With standbys, every
   * member is listed, the primary first, with `target_session_attrs=read-write`
   * (libpq's multi-host form): a client that reconnects after a switchover or a failover
   * finds the new primary.
   */
  connectionString: Maybe<Scalars['String']['output']>;
  /** When it was created. */
  createdAt: Scalars['DateTime']['output'];
  /** The database clients use. */
  database: Scalars['String']['output'];
  /**
   * The earliest time it can be restored to (the end of its oldest backup kept); null
   * before its first backup.
   */
  earliestRestoreTime: Maybe<Scalars['DateTime']['output']>;
  /** Its events (pod problems, drift, deletions), newest first. */
  events: ClusterEventConnection;
  /** Why it failed, when it did. */
  failureReason: Maybe<Scalars['String']['output']>;
  /** Whether it answers. */
  health: Health;
  /** Its latest health checks, newest first. */
  healthChecks: Array<HealthCheck>;
  /** How it stays available: its standbys, whether commits wait for one, its switchovers. */
  highAvailability: HighAvailability;
  /** The address clients connect to, once it runs. */
  host: Maybe<Scalars['String']['output']>;
  /** The instance's id. */
  id: Scalars['ID']['output'];
  /** When health was last recorded on the instance. */
  lastCheckedAt: Maybe<Scalars['DateTime']['output']>;
  /** The last recorded check's round trip, in milliseconds. */
  latencyMs: Maybe<Scalars['Float']['output']>;
  /**
   * The latest time it can be restored to: a moment known to be in the archived WAL,
   * trailing the present by about the archive timeout plus a health interval.
   */
  latestRestoreTime: Maybe<Scalars['DateTime']['output']>;
  /** Its members: the primary first, then its standbys (`addStandby`). */
  members: Array<InstanceMember>;
  /** Its moves between servers, newest first. */
  moves: Array<InstanceMove>;
  /** Its name: a DNS-1123 label, unique among the project's live instances. */
  name: Scalars['String']['output'];
  /** Its operations, newest first. */
  operations: Array<Operation>;
  /** The plan that sizes it. */
  plan: Scalars['String']['output'];
  /** The port clients connect to, once allocated. */
  port: Maybe<Scalars['Int']['output']>;
  /** The project it belongs to. */
  projectId: Scalars['ID']['output'];
  /** Where it runs. */
  provider: Provider;
  /**
   * For reads a standby can serve: every member, standbys preferred
   * (`target_session_attrs=prefer-standby`, libpq 14 and later), the primary when no
   * standby answers. The password as in `connectionString`.
   */
  readOnlyConnectionString: Maybe<Scalars['String']['output']>;
  /** Its restore drills, newest first: a failed one is worth an alarm. */
  restoreDrills: Array<RestoreDrill>;
  /** The instance it was restored from, if it was. */
  restoredFrom: Maybe<Scalars['ID']['output']>;
  /**
   * A page of a table's rows in primary-key order (physical order without one), at most
   * `first` (up to 500) and 1 MiB; `after` is a previous page's `nextCursor`.
   */
  rows: RowSet;
  /** The fleet server it runs on (`SERVER` instances). */
  server: Maybe<Server>;
  /** The server's version, as it reports it. */
  serverVersion: Maybe<Scalars['String']['output']>;
  /** On Kubernetes, how clients reach it. */
  serviceType: Maybe<ServiceType>;
  /** Where it is in its life. */
  state: InstanceState;
  /**
   * What its provider says is wrong right now, in the provider's words (a pod that cannot
   * pull its image, a crash loop, no node to run on); null when nothing is.
   */
  statusMessage: Maybe<Scalars['String']['output']>;
  /** Storage asked for, in GB (recorded; the local provider does not cap disk use). */
  storageGb: Scalars['Int']['output'];
  /**
   * The tables, views and materialized views of its database, with estimated row counts,
   * sizes, columns and indexes (admins and operators; a running instance).
   */
  tables: Array<Table>;
  /** When it last changed. */
  updatedAt: Scalars['DateTime']['output'];
  /** The login role clients use. */
  username: Scalars['String']['output'];
  /** PostgreSQL major version. */
  version: Scalars['Int']['output'];
};


export type InstanceBackupsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type InstanceEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type InstanceHealthChecksArgs = {
  last?: Scalars['Int']['input'];
};


export type InstanceMovesArgs = {
  first?: Scalars['Int']['input'];
};


export type InstanceOperationsArgs = {
  first?: Scalars['Int']['input'];
};


export type InstanceRestoreDrillsArgs = {
  first?: Scalars['Int']['input'];
};


export type InstanceRowsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  schema?: Scalars['String']['input'];
  table: Scalars['String']['input'];
};

export type InstanceConnection = {
  __typename?: 'InstanceConnection';
  /** A list of edges. */
  edges: Array<InstanceEdge>;
  /** A list of nodes. */
  nodes: Array<Instance>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
};

/** How many instances are in one state with one health. */
export type InstanceCount = {
  __typename?: 'InstanceCount';
  /** How many. */
  count: Scalars['Int']['output'];
  /** The health, as in `Health`. */
  health: Scalars['String']['output'];
  /** The state, as in `InstanceState`. */
  state: Scalars['String']['output'];
};

/** An edge in a connection. */
export type InstanceEdge = {
  __typename?: 'InstanceEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: Instance;
};

/** Which instances to list. */
export type InstanceFilter = {
  /** Only this health. */
  health?: InputMaybe<Health>;
  /** Only names containing this text. */
  nameContains?: InputMaybe<Scalars['String']['input']>;
  /** Only this project's (one the caller is in; none otherwise). */
  projectId?: InputMaybe<Scalars['ID']['input']>;
  /** Only this provider. */
  provider?: InputMaybe<Provider>;
  /** Only this state; without it, deleted instances are left out. */
  state?: InputMaybe<InstanceState>;
};

export type InstanceMember = {
  __typename?: 'InstanceMember';
  /** When the primary last reported on a standby. */
  checkedAt: Maybe<Scalars['DateTime']['output']>;
  /** The address it serves at, once started. */
  host: Maybe<Scalars['String']['output']>;
  /** Its id: it names one data directory for its whole life, whichever role it has. */
  id: Scalars['ID']['output'];
  /**
   * How many bytes of WAL a standby has not replayed yet, when last measured; 0 for the
   * primary.
   */
  lagBytes: Maybe<Scalars['Float']['output']>;
  /** Its port, once allocated. */
  port: Maybe<Scalars['Int']['output']>;
  /** How far a standby's replay trails the primary's commits, in milliseconds, when known. */
  replayLagMs: Maybe<Scalars['Float']['output']>;
  /** What it does. */
  role: MemberRole;
  /** The fleet server it runs on (`SERVER` instances). */
  server: Maybe<Server>;
  /** Where it is. */
  state: MemberState;
};

export type InstanceMove = {
  __typename?: 'InstanceMove';
  /** When it was planned. */
  createdAt: Scalars['DateTime']['output'];
  /** Why it was undone. */
  error: Maybe<Scalars['String']['output']>;
  /** When it ended. */
  finishedAt: Maybe<Scalars['DateTime']['output']>;
  /** Its id. */
  id: Scalars['ID']['output'];
  /** The instance. */
  instance: Instance;
  /** The instance's id. */
  instanceId: Scalars['ID']['output'];
  /** How far the new copy trailed the primary when last measured, in bytes. */
  lagBytes: Maybe<Scalars['Float']['output']>;
  /** The `move_instance` operation carrying it out, once started. */
  operation: Maybe<Operation>;
  /** How far it has come. */
  phase: MovePhase;
  /** Its place in its drain's order, from 1. */
  position: Scalars['Int']['output'];
  /** The server it moves from. */
  source: Server;
  /** The server it moves to. */
  target: Server;
  /** The write-unavailability window, in milliseconds, once the move has switched. */
  unavailableMs: Maybe<Scalars['Float']['output']>;
  /** When writes resumed: the connection string named the promoted copy. */
  writesResumedAt: Maybe<Scalars['DateTime']['output']>;
  /** When writes stopped: the old primary began its shutdown. */
  writesStoppedAt: Maybe<Scalars['DateTime']['output']>;
};

/** CPU and memory an instance gets (on Kubernetes, its pod's requests and limits). */
export type InstancePlan = {
  __typename?: 'InstancePlan';
  /** CPU limit, in millicores. */
  cpuLimitMillis: Scalars['Int']['output'];
  /** CPU requested, in millicores. */
  cpuRequestMillis: Scalars['Int']['output'];
  /** Memory requested and limited, in MiB. */
  memoryMib: Scalars['Int']['output'];
  /** Its name, for `createInstance(input: { plan })`. */
  name: Scalars['String']['output'];
};

/** Where an instance is in its life. */
export type InstanceState =
  /** Being made. */
  | 'CREATING'
  /** Gone, data included. */
  | 'DELETED'
  /** Being deleted. */
  | 'DELETING'
  /** An operation on it gave up; `failureReason` says why. */
  | 'FAILED'
  /** Serving. */
  | 'RUNNING'
  /** Being started again. */
  | 'STARTING'
  /** Stopped on request; its data is kept. */
  | 'STOPPED'
  /** Being stopped. */
  | 'STOPPING';

/** A label on a server's VM. */
export type Label = {
  __typename?: 'Label';
  /** Its key. */
  key: Scalars['String']['output'];
  /** Its value. */
  value: Scalars['String']['output'];
};

/** A label on a server's VM. */
export type LabelInput = {
  /** Its key. */
  key: Scalars['String']['input'];
  /** Its value. */
  value: Scalars['String']['input'];
};

/** What `login` returns. */
export type LoginPayload = {
  __typename?: 'LoginPayload';
  /** When the token stops working. */
  expiresAt: Scalars['DateTime']['output'];
  /** A bearer token for `Authorization: Bearer <token>` and for `connection_init`. */
  token: Scalars['String']['output'];
  /** Who logged in. */
  user: User;
};

/** A member of a project. */
export type Member = {
  __typename?: 'Member';
  /** Whether they are disabled. */
  disabled: Scalars['Boolean']['output'];
  /** Their email. */
  email: Scalars['String']['output'];
  /** Their role in the project. */
  role: Role;
  /** Since when they are a member. */
  since: Scalars['DateTime']['output'];
  /** The user's id. */
  userId: Scalars['ID']['output'];
};

/** What a member of an instance does. */
export type MemberRole =
  /** Takes writes; the connection string names it first. */
  | 'PRIMARY'
  /** Streams the primary's WAL; read-only, ready to take over. */
  | 'STANDBY';

/** Where a member is. */
export type MemberState =
  /** Being made, or rejoining as a standby after a switchover. */
  | 'CREATING'
  /**
   * Not serving (a standby its primary does not see, or a primary that fails its checks
   * or is stopped).
   */
  | 'DOWN'
  /** A standby streaming, but more than 16 MiB behind. */
  | 'LAGGING'
  /** The primary, serving. */
  | 'SERVING'
  /** A standby streaming close behind the primary. */
  | 'STREAMING';

/** One point of a CPU and memory time series. */
export type MetricPoint = {
  __typename?: 'MetricPoint';
  /** The start of the step. */
  at: Scalars['DateTime']['output'];
  /** Average busy CPU over the step. */
  cpuPercent: Maybe<Scalars['Float']['output']>;
  /** Average memory in use over the step. */
  memoryPercent: Maybe<Scalars['Float']['output']>;
};

/** How far a move has come. */
export type MovePhase =
  /** Never started (its drain stopped first). */
  | 'CANCELLED'
  /** The new copy streams the primary's WAL and is catching up; writes go on. */
  | 'CATCHING_UP'
  /** The new copy is being made from a base backup. */
  | 'COPYING'
  /** The old primary is shutting down: writes are unavailable. */
  | 'CUTTING_OVER'
  /** Finished: the old copy is removed. */
  | 'DONE'
  /** Planned by a drain; not started. */
  | 'PLANNED'
  /** The new copy is being promoted; from here the move only goes forward. */
  | 'PROMOTING'
  /** Undone: the old primary serves as before and the new copy is gone. */
  | 'ROLLED_BACK'
  /** The connection string names the new primary; writes resumed. */
  | 'SWITCHED';

/** Every mutation. */
export type MutationRoot = {
  __typename?: 'MutationRoot';
  /**
   * Give a running LOCAL or SERVER instance one more standby (at most 2): on `serverId`, or
   * for SERVER instances on the server the placement rule picks among those holding no
   * member of the instance; LOCAL standbys are other server processes on this host.
   * Counts toward the project's standby quota. Returns the `add_standby` operation; the
   * new member shows in `members` at once, `CREATING` until it streams. Kubernetes
   * instances answer `UNSUPPORTED`.
   */
  addStandby: Operation;
  /** Change the caller's own password, given the current one. */
  changePassword: Scalars['Boolean']['output'];
  /**
   * Create an API token for a project (its admins), with a role no higher than ADMIN and an
   * optional expiry. Its secret is returned this once.
   */
  createApiToken: CreateApiTokenPayload;
  /**
   * Back a running instance up now: `FULL` or `DIFFERENTIAL` (changes since the last full
   * backup; a full one if there is none). Returns the `backup_instance` operation.
   */
  createBackup: Operation;
  /**
   * Ask for a new instance. Returns at once with the instance (`CREATING`) and the
   * operation that makes it; bad input creates nothing.
   */
  createInstance: CreateInstancePayload;
  /** Create a project; the caller becomes its admin. */
  createProject: Project;
  /** Create a user (site admins). They belong to no project until a project admin adds them. */
  createUser: User;
  /**
   * Stop the instance and remove it with all its data. On Kubernetes, `retainStorage`
   * keeps its volume (the PVC); the installation's default (`TOYGRES_K8S_RETAIN_PVC`)
   * applies if omitted. Its backups are kept for their retention period, so that
   * `restoreInstance` can bring it back, unless `purgeBackups` is true.
   */
  deleteInstance: Operation;
  /**
   * Delete a project (its admins). Refused, with `CONFLICT`, while it still holds
   * instances or servers; its history goes with it.
   */
  deleteProject: Scalars['ID']['output'];
  /** Delete a user (site admins). What they made stays. */
  deleteUser: Scalars['ID']['output'];
  /**
   * Disable a user (site admins): their tokens, API tokens they made and open
   * subscriptions stop working at once.
   */
  disableUser: User;
  /**
   * Move every instance off the server, one after the other, each to the best other
   * active server (see the placement rule in the docs), and place nothing new on it. One
   * operation, with a `move_instance` operation per instance. An instance with standbys
   * is not moved: first, one instance at a time, a primary on the server switches over to
   * a standby streaming elsewhere (`switchover`), and each standby on the server, the old
   * primary included, is copied afresh onto another server (`relocate_standby`). With
   * `dryRun`, only return the plan: each action, its target and the order, or why it
   * cannot be done. Without room for everything elsewhere (or a standby streaming
   * elsewhere to switch over to), the drain is refused (`CONFLICT`) before anything
   * happens.
   */
  drainServer: DrainServerPayload;
  /** Enable a disabled user again (site admins). */
  enableUser: User;
  /**
   * Promote the standby holding the most WAL of an instance whose primary is lost, as the
   * failover watcher does by itself (`TOYGRES_HA_CHECK_SECS`,
   * `TOYGRES_FAILOVER_AFTER_CHECKS`). The old primary is stopped first; when its host
   * cannot be reached the failover stops and says so, unless `force` is true: use it only
   * when you know that host is down, or two primaries may take writes. Returns the
   * `failover` operation.
   */
  failover: Operation;
  /**
   * Exchange an email and password for a token. Needs no token. At most one `login` per
   * request; failed logins are limited per account and per client address
   * (`RATE_LIMITED`, with `extensions.retryAfterSeconds`).
   */
  login: LoginPayload;
  /**
   * Move a SERVER instance to another server (`serverId`, or the best one by the placement
   * rule): a new copy streams from it, catches up, and takes over; writes pause only for
   * the cutover, whose length the move records (`InstanceMove.unavailableMs`). Returns the
   * `move_instance` operation.
   */
  moveInstance: Operation;
  /**
   * Ask for a new server. Returns at once with the server (`PROVISIONING`) and the
   * operation that creates and bootstraps it; bad input creates nothing.
   */
  provisionServer: ProvisionServerPayload;
  /** Replace the plan table with the cloud's own listing (site admins). */
  refreshPlans: Operation;
  /**
   * Add a host we did not make to the fleet, by address. Returns at once with the server
   * (`BOOTSTRAPPING`), the operation, and `authorizedKey`, a public SSH key made for this
   * server alone: once the host's owner adds it to `sshUser`'s `authorized_keys`, Toygres
   * logs in with it (until then the operation waits and says so in its `error`), trusts
   * and records the host key it presents, finds its PostgreSQL versions, memory and disk,
   * and makes it active. An address some server already has (in any project, in any state
   * but `REMOVED`; `::ffff:a.b.c.d` is `a.b.c.d`) is a `CONFLICT`; loopback, link-local and
   * metadata-service addresses are `INVALID_INPUT` unless the operator allows them. Bad
   * input records nothing.
   */
  registerServer: RegisterServerPayload;
  /**
   * Move a standby (`memberId`, from `members`) of a running SERVER instance to another
   * server: `serverId`, or the server the placement rule picks among those holding no
   * member of the instance. The standby stops, its data and replication slot go from its
   * old server (a synchronous primary stops waiting for it first), and a fresh copy is
   * made on the new one, `CREATING` until it streams. The primary cannot be relocated:
   * switch over first. Drains do this for the standbys on the drained server. Returns the
   * `relocate_standby` operation. Kubernetes instances answer `UNSUPPORTED`.
   */
  relocateStandby: Operation;
  /** Remove a user from a project (the project's admins). A project keeps at least one admin. */
  removeMember: Array<Member>;
  /** Drain the server, delete its VM, and mark it removed. */
  removeServer: Operation;
  /**
   * Remove a standby (`memberId`, from `members`): it stops, and its data and replication
   * slot go. The primary cannot be removed: switch over first. Returns the
   * `remove_standby` operation.
   */
  removeStandby: Operation;
  /** Rename a project (its admins). */
  renameProject: Project;
  /** Set a user's password (site admins). */
  resetPassword: Scalars['Boolean']['output'];
  /** Stop and start a running instance. */
  restartInstance: Operation;
  /**
   * Make a **new** instance from another's backups, as it was at `targetTime` (omitted:
   * the latest restorable point). It takes the source's version, login role and
   * database; the source, running or deleted, is never touched. Answers like
   * `createInstance`; a time outside the source's restore window is `INVALID_INPUT`.
   */
  restoreInstance: CreateInstancePayload;
  /**
   * Revoke an API token (its project's admins). It stops working at once, open
   * subscriptions included.
   */
  revokeApiToken: ApiToken;
  /**
   * End every session of a user (site admins; anyone for themselves): their access tokens
   * are refused from now on and their open subscriptions close. They log in again.
   */
  revokeSessions: Scalars['Boolean']['output'];
  /**
   * Stop accepting the tokens a retiring signing key signed, in every API process within
   * a second (site admins): for a key that leaked. The active key must be rotated first.
   */
  revokeSigningKey: SigningKey;
  /**
   * Add a new signing key and sign new tokens with it, in every API process at once (site
   * admins). Tokens signed by the previous key keep working until they expire; then it
   * retires. Returns the new key.
   */
  rotateSigningKey: SigningKey;
  /**
   * Run one read-only statement that returns rows (`SELECT`, `VALUES`, `TABLE`, `WITH …
   * SELECT`) on an instance's database, as its own role (admins and operators): in a
   * `READ ONLY` transaction that is rolled back, within 5 s, at most 500 rows and 1 MiB.
   */
  runReadOnlyQuery: RowSet;
  /**
   * Drill a running instance now: write a canary into it, restore its newest backup and
   * WAL into a scratch instance, check it, time it (RTO and RPO) and delete it. Returns the
   * `restore_drill` operation; the outcome shows in `Instance.restoreDrills`.
   */
  runRestoreDrill: Operation;
  /**
   * Check that Toygres's database and job queue work, as an operation that a worker runs
   * step by step. Returns at once; follow it with `operation(id)` or `operationUpdated`.
   */
  runSystemCheck: Operation;
  /**
   * Bring a group (cloud, plan, region) to `count` servers. With `dryRun`, only return the
   * plan: which servers would be added or removed, in what order, at what cost.
   */
  scaleCluster: ScalingOperation;
  /**
   * Set when an instance is backed up in full (`schedule`, cron in UTC, five fields) and
   * how many days back it can be restored (`retentionDays`, 1 to 3650). The defaults are
   * a full backup daily at 03:00 and 7 days.
   */
  setBackupPolicy: BackupPolicy;
  /**
   * Add a user to a project with a role, or change their role (the project's admins). A
   * project keeps at least one admin.
   */
  setMemberRole: Array<Member>;
  /**
   * Set a project's quota (site admins). What the project holds already is kept, even
   * above the new limits; only new instances, storage, servers and standbys are refused.
   */
  setProjectQuota: Project;
  /**
   * Set when the project's instances are restore-drilled: `schedule`, cron in UTC, five
   * fields (the default is weekly, Sundays at 04:00).
   */
  setRestoreDrillPolicy: RestoreDrillPolicy;
  /** Start a stopped or failed instance. */
  startInstance: Operation;
  /** Stop a running instance, keeping its data. */
  stopInstance: Operation;
  /**
   * Hand a running instance's primary over to a standby (`toMemberId`, or the streaming
   * one closest behind), for maintenance: writes pause while the primary shuts down and
   * the standby, holding every committed write, is promoted; the old primary rejoins as a
   * standby. The pause is recorded (`highAvailability.handovers`). Clients connected with
   * the multi-host connection string find the new primary when they reconnect. Returns the
   * `switchover` operation.
   */
  switchover: Operation;
};


/** Every mutation. */
export type MutationRootAddStandbyArgs = {
  instanceId: Scalars['ID']['input'];
  serverId?: InputMaybe<Scalars['ID']['input']>;
};


/** Every mutation. */
export type MutationRootChangePasswordArgs = {
  currentPassword: Scalars['String']['input'];
  newPassword: Scalars['String']['input'];
};


/** Every mutation. */
export type MutationRootCreateApiTokenArgs = {
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  name: Scalars['String']['input'];
  projectId: Scalars['ID']['input'];
  role: Role;
};


/** Every mutation. */
export type MutationRootCreateBackupArgs = {
  instanceId: Scalars['ID']['input'];
  kind?: BackupKind;
};


/** Every mutation. */
export type MutationRootCreateInstanceArgs = {
  input: CreateInstanceInput;
};


/** Every mutation. */
export type MutationRootCreateProjectArgs = {
  name: Scalars['String']['input'];
};


/** Every mutation. */
export type MutationRootCreateUserArgs = {
  email: Scalars['String']['input'];
  password: Scalars['String']['input'];
  siteAdmin?: Scalars['Boolean']['input'];
};


/** Every mutation. */
export type MutationRootDeleteInstanceArgs = {
  id: Scalars['ID']['input'];
  purgeBackups?: InputMaybe<Scalars['Boolean']['input']>;
  retainStorage?: InputMaybe<Scalars['Boolean']['input']>;
};


/** Every mutation. */
export type MutationRootDeleteProjectArgs = {
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootDeleteUserArgs = {
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootDisableUserArgs = {
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootDrainServerArgs = {
  dryRun?: Scalars['Boolean']['input'];
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootEnableUserArgs = {
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootFailoverArgs = {
  force?: Scalars['Boolean']['input'];
  instanceId: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootLoginArgs = {
  email: Scalars['String']['input'];
  password: Scalars['String']['input'];
};


/** Every mutation. */
export type MutationRootMoveInstanceArgs = {
  id: Scalars['ID']['input'];
  serverId?: InputMaybe<Scalars['ID']['input']>;
};


/** Every mutation. */
export type MutationRootProvisionServerArgs = {
  input: ProvisionServerInput;
};


/** Every mutation. */
export type MutationRootRefreshPlansArgs = {
  provider: CloudProvider;
};


/** Every mutation. */
export type MutationRootRegisterServerArgs = {
  input: RegisterServerInput;
};


/** Every mutation. */
export type MutationRootRelocateStandbyArgs = {
  memberId: Scalars['ID']['input'];
  serverId?: InputMaybe<Scalars['ID']['input']>;
};


/** Every mutation. */
export type MutationRootRemoveMemberArgs = {
  projectId: Scalars['ID']['input'];
  userId: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootRemoveServerArgs = {
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootRemoveStandbyArgs = {
  memberId: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootRenameProjectArgs = {
  id: Scalars['ID']['input'];
  name: Scalars['String']['input'];
};


/** Every mutation. */
export type MutationRootResetPasswordArgs = {
  password: Scalars['String']['input'];
  userId: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootRestartInstanceArgs = {
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootRestoreInstanceArgs = {
  input: RestoreInstanceInput;
};


/** Every mutation. */
export type MutationRootRevokeApiTokenArgs = {
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootRevokeSessionsArgs = {
  userId: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootRevokeSigningKeyArgs = {
  kid: Scalars['String']['input'];
};


/** Every mutation. */
export type MutationRootRunReadOnlyQueryArgs = {
  instanceId: Scalars['ID']['input'];
  sql: Scalars['String']['input'];
};


/** Every mutation. */
export type MutationRootRunRestoreDrillArgs = {
  instanceId: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootRunSystemCheckArgs = {
  projectId?: InputMaybe<Scalars['ID']['input']>;
};


/** Every mutation. */
export type MutationRootScaleClusterArgs = {
  count: Scalars['Int']['input'];
  dryRun?: Scalars['Boolean']['input'];
  plan: Scalars['String']['input'];
  projectId?: InputMaybe<Scalars['ID']['input']>;
  provider: CloudProvider;
  region: Scalars['String']['input'];
};


/** Every mutation. */
export type MutationRootSetBackupPolicyArgs = {
  instanceId: Scalars['ID']['input'];
  retentionDays: Scalars['Int']['input'];
  schedule: Scalars['String']['input'];
};


/** Every mutation. */
export type MutationRootSetMemberRoleArgs = {
  projectId: Scalars['ID']['input'];
  role: Role;
  userId: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootSetProjectQuotaArgs = {
  input: ProjectQuotaInput;
  projectId: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootSetRestoreDrillPolicyArgs = {
  projectId?: InputMaybe<Scalars['ID']['input']>;
  schedule: Scalars['String']['input'];
};


/** Every mutation. */
export type MutationRootStartInstanceArgs = {
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootStopInstanceArgs = {
  id: Scalars['ID']['input'];
};


/** Every mutation. */
export type MutationRootSwitchoverArgs = {
  instanceId: Scalars['ID']['input'];
  toMemberId?: InputMaybe<Scalars['ID']['input']>;
};

export type Operation = {
  __typename?: 'Operation';
  /** Tries so far. */
  attempts: Scalars['Int']['output'];
  /** When it was asked for. */
  createdAt: Scalars['DateTime']['output'];
  /** The last failure, if any. */
  error: Maybe<Scalars['String']['output']>;
  /** When it finished. */
  finishedAt: Maybe<Scalars['DateTime']['output']>;
  /** The operation's id. */
  id: Scalars['ID']['output'];
  /** The workflow, such as `system_check`. */
  kind: Scalars['String']['output'];
  /** Tries allowed before it fails. */
  maxAttempts: Scalars['Int']['output'];
  /**
   * The move it carries out (`move_instance` operations): phase, lag, and the
   * write-unavailability window.
   */
  move: Maybe<InstanceMove>;
  /**
   * A drain's (or a removal's) moves, in their order: each instance, where it goes, and
   * how far it has come. Empty for other operations.
   */
  moves: Array<InstanceMove>;
  /** The project it belongs to. */
  projectId: Scalars['ID']['output'];
  /** Who asked for it. */
  requestedBy: Maybe<Scalars['ID']['output']>;
  /** When a worker first picked it up. */
  startedAt: Maybe<Scalars['DateTime']['output']>;
  /** Where it is in its life. */
  status: OperationStatus;
  /** The workflow's current step. */
  step: Scalars['String']['output'];
  /** Every step it has entered, in order. */
  steps: Array<OperationStep>;
  /** The id of what it acts on, unless it acts on Toygres or the fleet as a whole. */
  targetId: Maybe<Scalars['ID']['output']>;
  /** What it acts on. */
  targetKind: OperationTarget;
  /** When it last changed. */
  updatedAt: Scalars['DateTime']['output'];
};

export type OperationConnection = {
  __typename?: 'OperationConnection';
  /** A list of edges. */
  edges: Array<OperationEdge>;
  /** A list of nodes. */
  nodes: Array<Operation>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
};

/** An edge in a connection. */
export type OperationEdge = {
  __typename?: 'OperationEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: Operation;
};

/** Which operations to list. */
export type OperationFilter = {
  /** Only this kind, such as `system_check`. */
  kind?: InputMaybe<Scalars['String']['input']>;
  /** Only this status. */
  status?: InputMaybe<OperationStatus>;
  /** Only operations on this target. */
  targetId?: InputMaybe<Scalars['ID']['input']>;
};

/** Where an operation is in its life. */
export type OperationStatus =
  /** Stopped on request. */
  | 'CANCELLED'
  /** Gave up; `error` says why. */
  | 'FAILED'
  /** Waiting for a worker: a first run, or a retry after a failure. */
  | 'QUEUED'
  /** A worker is on it, or it waits on something outside between steps. */
  | 'RUNNING'
  /** Finished as asked. */
  | 'SUCCEEDED';

/** A step an operation entered. */
export type OperationStep = {
  __typename?: 'OperationStep';
  /** When it was entered. */
  enteredAt: Scalars['DateTime']['output'];
  /** 1 for the first step. */
  seq: Scalars['Int']['output'];
  /** The step's name. */
  step: Scalars['String']['output'];
};

/** What an operation acts on. */
export type OperationTarget =
  /** The fleet as a whole. */
  | 'CLUSTER'
  /** A Postgres instance. */
  | 'INSTANCE'
  /** A fleet server. */
  | 'SERVER'
  /** Toygres itself. */
  | 'SYSTEM';

/** Information about pagination in a connection */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** When paginating forwards, the cursor to continue. */
  endCursor: Maybe<Scalars['String']['output']>;
  /** When paginating forwards, are there more items? */
  hasNextPage: Scalars['Boolean']['output'];
  /** When paginating backwards, are there more items? */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** When paginating backwards, the cursor to continue. */
  startCursor: Maybe<Scalars['String']['output']>;
};

/** A plan a cloud offers. */
export type Plan = {
  __typename?: 'Plan';
  /** `x86` or `arm`. */
  architecture: Scalars['String']['output'];
  /** vCPUs. */
  cores: Scalars['Int']['output'];
  /** Currency of the price. */
  currency: Scalars['String']['output'];
  /** Whether the cloud marks it deprecated. */
  deprecated: Scalars['Boolean']['output'];
  /** Local disk, in GB. */
  diskGb: Scalars['Int']['output'];
  /** Memory, in GB. */
  memoryGb: Scalars['Float']['output'];
  /** Monthly price, when known. */
  monthlyPrice: Maybe<Scalars['Float']['output']>;
  /** Its name, as `provisionServer` takes it. */
  name: Scalars['String']['output'];
  /** Regions offering it; empty when unknown. */
  regions: Array<Scalars['String']['output']>;
};

/** One action of a drain plan. */
export type PlannedMove = {
  __typename?: 'PlannedMove';
  /** What is done: a move, a switchover or a standby's relocation. */
  action: DrainAction;
  /** The instance's id. */
  instanceId: Scalars['ID']['output'];
  /** The instance's name. */
  instanceName: Scalars['String']['output'];
  /**
   * The member concerned: the standby taking over (`SWITCHOVER`) or relocated
   * (`RELOCATE_STANDBY`); null for a `MOVE`.
   */
  memberId: Maybe<Scalars['ID']['output']>;
  /** Its order in the drain, from 1. */
  position: Scalars['Int']['output'];
  /** The server it would go to (for `SWITCHOVER`, where the standby taking over is). */
  targetServerId: Scalars['ID']['output'];
  /** That server's name. */
  targetServerName: Scalars['String']['output'];
};

export type Project = {
  __typename?: 'Project';
  /** Its API tokens, newest first, revoked ones included; never their secrets. Admins only. */
  apiTokens: Array<ApiToken>;
  /** When it was created. */
  createdAt: Scalars['DateTime']['output'];
  /** Its id. */
  id: Scalars['ID']['output'];
  /** Its members and their roles. */
  members: Array<Member>;
  /** The caller's role here (site admins: `ADMIN` everywhere). */
  myRole: Maybe<Role>;
  /** Its name, unique. */
  name: Scalars['String']['output'];
  /** The limits on what it may hold: its own, set by a site admin, or the installation's. */
  quota: ProjectQuota;
  /** What it holds, as its quota counts it. */
  usage: ProjectUsage;
};

/** Limits on what a project holds; a null limit is unlimited. */
export type ProjectQuota = {
  __typename?: 'ProjectQuota';
  /** Instances not deleted. */
  instances: Maybe<Scalars['Int']['output']>;
  /** Whether these are the installation's defaults rather than the project's own. */
  isDefault: Scalars['Boolean']['output'];
  /** Servers not removed. */
  servers: Maybe<Scalars['Int']['output']>;
  /** Standbys. */
  standbys: Maybe<Scalars['Int']['output']>;
  /** Storage of those instances, in GB. */
  storageGb: Maybe<Scalars['Int']['output']>;
};

/** A project's own quota. A null (or missing) limit is unlimited. */
export type ProjectQuotaInput = {
  /** Instances not deleted. */
  instances?: InputMaybe<Scalars['Int']['input']>;
  /** Servers not removed. */
  servers?: InputMaybe<Scalars['Int']['input']>;
  /** Standbys. */
  standbys?: InputMaybe<Scalars['Int']['input']>;
  /** Storage of those instances, in GB. */
  storageGb?: InputMaybe<Scalars['Int']['input']>;
  /**
   * Drop the project's own quota: the installation's defaults apply again, and the limits
   * above must be left out.
   */
  useDefault?: InputMaybe<Scalars['Boolean']['input']>;
};

/** A user's role in one project. */
export type ProjectRole = {
  __typename?: 'ProjectRole';
  /** The project's id. */
  projectId: Scalars['ID']['output'];
  /** The project's name. */
  projectName: Scalars['String']['output'];
  /** The role there. */
  role: Role;
};

/**
 * What a project holds, as its quota counts it. Restore drills' scratch instances are the
 * installation's and do not count.
 */
export type ProjectUsage = {
  __typename?: 'ProjectUsage';
  /** Instances not deleted. */
  instances: Scalars['Int']['output'];
  /** Servers not removed. */
  servers: Scalars['Int']['output'];
  /** Standbys (always 0 until instances can have standbys). */
  standbys: Scalars['Int']['output'];
  /** Storage of those instances, in GB. */
  storageGb: Scalars['Int']['output'];
};

/** Where an instance runs. */
export type Provider =
  /** A StatefulSet on Kubernetes. */
  | 'KUBERNETES'
  /** A PostgreSQL process on the control plane's host. */
  | 'LOCAL'
  /** A PostgreSQL process on a fleet server, reached over SSH. */
  | 'SERVER';

/** What `provisionServer` takes. */
export type ProvisionServerInput = {
  /** More labels for the VM. */
  labels?: Array<LabelInput>;
  /** A DNS-1123 name; generated from region and plan when absent. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** A plan, by name (see `plans`). */
  plan: Scalars['String']['input'];
  /** The project; the default project when absent. */
  projectId?: InputMaybe<Scalars['ID']['input']>;
  /** The cloud. */
  provider: CloudProvider;
  /** A region, by name. */
  region: Scalars['String']['input'];
  /** A template (see `serverTemplates`); `postgres-host` when absent. */
  template?: InputMaybe<Scalars['String']['input']>;
};

/** What `provisionServer` returns. */
export type ProvisionServerPayload = {
  __typename?: 'ProvisionServerPayload';
  /** The operation that provisions it. */
  operation: Operation;
  /** The new server, `PROVISIONING`. */
  server: Server;
};

/** Every query. */
export type QueryRoot = {
  __typename?: 'QueryRoot';
  /**
   * Recorded mutations, newest first: of the projects the caller administers, or of one of
   * them with `projectId`; site admins see everything, entries of no project included.
   */
  auditLog: AuditEntryConnection;
  /** The certificate authority that issues instances' certificates. Any signed-in caller. */
  certificateAuthority: CertificateAuthority;
  /** Fleet events the caller may see (and the cluster's own), newest first. */
  clusterEvents: ClusterEventConnection;
  /**
   * CPU and memory of the cluster and its servers as of the newest sample, and instance
   * counts. When the metrics source is unreachable the figures are null and `message`
   * says since when: never zeros, never stale figures shown as current.
   */
  clusterHealth: ClusterHealth;
  /** The clouds this installation has tokens for. */
  configuredProviders: Array<CloudProvider>;
  /** One instance, if the caller may see it. A deleted instance stays visible as `DELETED`. */
  instance: Maybe<Instance>;
  /** The plans instances can have. */
  instancePlans: Array<InstancePlan>;
  /**
   * The providers instances can be created on here: `LOCAL` always, `KUBERNETES` when a
   * cluster is configured, `SERVER` when an SSH key is (see `registerServer`).
   */
  instanceProviders: Array<Provider>;
  /** Instances the caller may see, newest first. */
  instances: InstanceConnection;
  /** The caller. */
  me: User;
  /** One operation, if the caller may see it. */
  operation: Maybe<Operation>;
  /** Operations the caller may see, newest first. */
  operations: OperationConnection;
  /** The plans a cloud offers: its last refreshed listing, or Toygres's built-in table. */
  plans: Array<Plan>;
  /** One project, if the caller is in it. */
  project: Maybe<Project>;
  /** The caller's projects (site admins: every project), by name. */
  projects: Array<Project>;
  /** The regions a cloud offers. */
  regions: Array<Scalars['String']['output']>;
  /** When a project's instances are restore-drilled (weekly, Sundays 04:00 UTC, unless set). */
  restoreDrillPolicy: RestoreDrillPolicy;
  /** Scaling decisions the caller may see, newest first. */
  scalingOperations: ScalingOperationConnection;
  /** One server, if the caller may see it. A removed server stays visible as `REMOVED`. */
  server: Maybe<Server>;
  /**
   * CPU and memory of one server (or, without `serverId`, of the cluster) from `from` to
   * `to`, averaged per `step` seconds. A server the caller may not see is `NOT_FOUND`.
   */
  serverMetrics: Array<MetricPoint>;
  /** The templates new servers can boot from. */
  serverTemplates: Array<ServerTemplate>;
  /** Servers the caller may see, newest first. */
  servers: ServerConnection;
  /**
   * The keys that sign and verify access tokens, newest first, without their material
   * (site admins).
   */
  signingKeys: Array<SigningKey>;
  /** Every user, by email (site admins). */
  users: Array<User>;
  /** The PostgreSQL major versions a provider (`LOCAL` if omitted) runs on this installation. */
  versions: Array<Scalars['Int']['output']>;
};


/** Every query. */
export type QueryRootAuditLogArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  projectId?: InputMaybe<Scalars['ID']['input']>;
};


/** Every query. */
export type QueryRootClusterEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  instanceId?: InputMaybe<Scalars['ID']['input']>;
  serverId?: InputMaybe<Scalars['ID']['input']>;
};


/** Every query. */
export type QueryRootInstanceArgs = {
  id: Scalars['ID']['input'];
};


/** Every query. */
export type QueryRootInstancesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<InstanceFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Every query. */
export type QueryRootOperationArgs = {
  id: Scalars['ID']['input'];
};


/** Every query. */
export type QueryRootOperationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<OperationFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Every query. */
export type QueryRootPlansArgs = {
  provider: CloudProvider;
};


/** Every query. */
export type QueryRootProjectArgs = {
  id: Scalars['ID']['input'];
};


/** Every query. */
export type QueryRootRegionsArgs = {
  provider: CloudProvider;
};


/** Every query. */
export type QueryRootRestoreDrillPolicyArgs = {
  projectId?: InputMaybe<Scalars['ID']['input']>;
};


/** Every query. */
export type QueryRootScalingOperationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Every query. */
export type QueryRootServerArgs = {
  id: Scalars['ID']['input'];
};


/** Every query. */
export type QueryRootServerMetricsArgs = {
  from: Scalars['DateTime']['input'];
  serverId?: InputMaybe<Scalars['ID']['input']>;
  step?: Scalars['Int']['input'];
  to: Scalars['DateTime']['input'];
};


/** Every query. */
export type QueryRootServersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ServerFilterInput>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/** Every query. */
export type QueryRootVersionsArgs = {
  provider?: InputMaybe<Provider>;
};

/** What `registerServer` takes. */
export type RegisterServerInput = {
  /** Its IP address: SSH is reached there, and its instances listen there. */
  address: Scalars['String']['input'];
  /** Disk instances may use, in GB; the free disk under the instances' root if omitted. */
  diskGb?: InputMaybe<Scalars['Int']['input']>;
  /** Memory instances may use, in GB; measured if omitted. */
  memoryGb?: InputMaybe<Scalars['Float']['input']>;
  /** A DNS-1123 name, unique in the project. */
  name: Scalars['String']['input'];
  /** The project; the default project if omitted. */
  projectId?: InputMaybe<Scalars['ID']['input']>;
  /** A region name of your choosing (placement can ask for one); `default` if omitted. */
  region?: InputMaybe<Scalars['String']['input']>;
  /** Its SSH port; 22 if omitted. */
  sshPort?: InputMaybe<Scalars['Int']['input']>;
  /**
   * The user to log in as: `root`, `postgres`, or one that may `sudo -u postgres`; `root`
   * if omitted.
   */
  sshUser?: InputMaybe<Scalars['String']['input']>;
};

/** What `registerServer` returns. */
export type RegisterServerPayload = {
  __typename?: 'RegisterServerPayload';
  /**
   * The server's own public SSH key (also `server.sshPublicKey`): add this line to the
   * `authorized_keys` of `sshUser` on the host. Toygres logs in with this key alone.
   */
  authorizedKey: Scalars['String']['output'];
  /**
   * The operation that reaches it: it waits (saying so in its `error`) until the key is
   * authorised.
   */
  operation: Operation;
  /** The new server, `BOOTSTRAPPING` until its key is authorised and it is reached. */
  server: Server;
};

export type RestoreDrill = {
  __typename?: 'RestoreDrill';
  /** When it began. */
  at: Scalars['DateTime']['output'];
  /** Why it failed. */
  error: Maybe<Scalars['String']['output']>;
  /** When it ended. */
  finishedAt: Maybe<Scalars['DateTime']['output']>;
  /** Its id. */
  id: Scalars['ID']['output'];
  /** Its operation. */
  operationId: Maybe<Scalars['ID']['output']>;
  /** Recovery point: how old the newest restored commit was when the restore began, in ms. */
  rpoMs: Maybe<Scalars['Float']['output']>;
  /** Recovery time: from the start of the restore to the copy taking connections, in ms. */
  rtoMs: Maybe<Scalars['Float']['output']>;
  /** The scratch instance it restored into (deleted once it is over). */
  scratchInstanceId: Scalars['ID']['output'];
  /** Where it is. */
  status: RestoreDrillStatus;
};

/** When a project's instances are drilled. */
export type RestoreDrillPolicy = {
  __typename?: 'RestoreDrillPolicy';
  /** The project. */
  projectId: Scalars['ID']['output'];
  /** Cron, five fields, UTC. */
  schedule: Scalars['String']['output'];
};

/** Where a restore drill is. */
export type RestoreDrillStatus =
  /** It did not; `error` says why. */
  | 'FAILED'
  /** Restoring or checking. */
  | 'RUNNING'
  /** The backup restored, started, and passed its checks. */
  | 'SUCCEEDED';

/** What to restore, and into what. */
export type RestoreInstanceInput = {
  /** The new instance's name. */
  name: Scalars['String']['input'];
  /** The login role's new password; a strong one is generated if omitted. */
  password?: InputMaybe<Scalars['String']['input']>;
  /** The plan; `small` if omitted. */
  plan?: InputMaybe<Scalars['String']['input']>;
  /** Where to run it; `LOCAL` if omitted. */
  provider?: InputMaybe<Provider>;
  /** On servers, the region to place it in when no server is named. */
  region?: InputMaybe<Scalars['String']['input']>;
  /** On servers, the server to place it on. */
  serverId?: InputMaybe<Scalars['ID']['input']>;
  /** The instance whose backups to restore (it may be deleted, while its backups are kept). */
  sourceInstanceId: Scalars['ID']['input'];
  /** Storage in GB; 10 if omitted. */
  storageGb?: InputMaybe<Scalars['Int']['input']>;
  /**
   * The moment to restore to, within the source's restore window; its latest restorable
   * point if omitted.
   */
  targetTime?: InputMaybe<Scalars['DateTime']['input']>;
};

/** A column of a result. */
export type ResultColumn = {
  __typename?: 'ResultColumn';
  /** Its type, as Postgres names it. */
  dataType: Scalars['String']['output'];
  /** Its name. */
  name: Scalars['String']['output'];
};

/** A role in a project. */
export type Role =
  /** Everything an operator may, plus managing members. */
  | 'ADMIN'
  /** Create, change and delete resources. */
  | 'OPERATOR'
  /** Read only. */
  | 'VIEWER';

/** Rows with typed columns. */
export type RowSet = {
  __typename?: 'RowSet';
  /** The columns. */
  columns: Array<ResultColumn>;
  /** For a table's rows: pass as `after` for the next page. */
  nextCursor: Maybe<Scalars['String']['output']>;
  /** The rows: one list per row, one JSON value per column, as Postgres renders it. */
  rows: Scalars['JSON']['output'];
  /** Whether rows were left out (by the page size, or the row or byte limit). */
  truncated: Scalars['Boolean']['output'];
};

/** One step of a scaling plan. */
export type ScaleAction = {
  __typename?: 'ScaleAction';
  /** Add or remove. */
  action: ScaleActionKind;
  /** What it costs per month, when known. */
  monthlyCost: Maybe<Scalars['Float']['output']>;
  /** Its place in the order (from 1). */
  order: Scalars['Int']['output'];
  /** The server added (its id to be) or removed. */
  serverId: Scalars['ID']['output'];
  /** Its name. */
  serverName: Scalars['String']['output'];
};

/** Add a server, or remove one. */
export type ScaleActionKind =
  /** Provision a new server. */
  | 'ADD'
  /** Remove an active server. */
  | 'REMOVE';

export type ScalingOperation = {
  __typename?: 'ScalingOperation';
  /** The steps, in order. */
  actions: Array<ScaleAction>;
  /** When it was asked for. */
  createdAt: Scalars['DateTime']['output'];
  /** The currency of the costs. */
  currency: Maybe<Scalars['String']['output']>;
  /** Servers in the group when asked (provisioning, bootstrapping or active). */
  currentCount: Scalars['Int']['output'];
  /** Whether it only planned. */
  dryRun: Scalars['Boolean']['output'];
  /** Its id. */
  id: Scalars['ID']['output'];
  /** The change of the group's monthly cost, when the price is known. */
  monthlyCostDelta: Maybe<Scalars['Float']['output']>;
  /** The operation carrying it out; none for a dry run. */
  operation: Maybe<Operation>;
  /** The group's plan. */
  plan: Scalars['String']['output'];
  /** The cloud. */
  provider: CloudProvider;
  /** The group's region. */
  region: Scalars['String']['output'];
  /** Servers asked for. */
  targetCount: Scalars['Int']['output'];
};

export type ScalingOperationConnection = {
  __typename?: 'ScalingOperationConnection';
  /** A list of edges. */
  edges: Array<ScalingOperationEdge>;
  /** A list of nodes. */
  nodes: Array<ScalingOperation>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
};

/** An edge in a connection. */
export type ScalingOperationEdge = {
  __typename?: 'ScalingOperationEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: ScalingOperation;
};

export type Server = {
  __typename?: 'Server';
  /** When it was asked for. */
  createdAt: Scalars['DateTime']['output'];
  /** Disk instances may use, in GB, once known. */
  diskGb: Maybe<Scalars['Int']['output']>;
  /** Its events, newest first. */
  events: ClusterEventConnection;
  /** Why it failed, when it did. */
  failureReason: Maybe<Scalars['String']['output']>;
  /** Its id. */
  id: Scalars['ID']['output'];
  /** The image it boots. */
  image: Scalars['String']['output'];
  /** How many live instances it hosts. */
  instanceCount: Scalars['Int']['output'];
  /** The live instances it hosts, by name. */
  instances: Array<Instance>;
  /** Public IPv4, once known. */
  ipv4: Maybe<Scalars['String']['output']>;
  /** Public IPv6, once known. */
  ipv6: Maybe<Scalars['String']['output']>;
  /** Labels asked for at provisioning. */
  labels: Array<Label>;
  /** Its newest CPU and memory figures, from the last hour. */
  latestMetrics: Maybe<ServerHealth>;
  /** Memory instances may use, in GB, once known. */
  memoryGb: Maybe<Scalars['Float']['output']>;
  /** Its name. */
  name: Scalars['String']['output'];
  /** Its operations, newest first. */
  operations: Array<Operation>;
  /** The PostgreSQL majors installed there, once reached. */
  pgVersions: Array<Scalars['Int']['output']>;
  /** Its plan (server type or size slug). */
  plan: Scalars['String']['output'];
  /** The project it belongs to. */
  projectId: Scalars['ID']['output'];
  /** Its cloud. */
  provider: CloudProvider;
  /** The cloud's id for its VM, once known. */
  providerId: Maybe<Scalars['String']['output']>;
  /** Its region. */
  region: Scalars['String']['output'];
  /** When it was removed. */
  removedAt: Maybe<Scalars['DateTime']['output']>;
  /**
   * The host key it presented when first reached (`<type> <base64>`), trusted from then
   * on; a server that presents another is refused.
   */
  sshHostKey: Maybe<Scalars['String']['output']>;
  /** The port its sshd listens on. */
  sshPort: Scalars['Int']['output'];
  /**
   * The public half of the server's own SSH key, one `authorized_keys` line: Toygres logs
   * in with this key alone, so the host's owner must authorise it for `sshUser` (cloud-init
   * does on provisioned VMs). Null for servers from before keys were per server, which use
   * the installation's key.
   */
  sshPublicKey: Maybe<Scalars['String']['output']>;
  /** The user Toygres logs in as. */
  sshUser: Scalars['String']['output'];
  /** Where it is in its life. */
  state: ServerState;
  /** When its state last changed. */
  stateChangedAt: Scalars['DateTime']['output'];
  /** The template it boots from. */
  template: Scalars['String']['output'];
  /** When it last changed. */
  updatedAt: Scalars['DateTime']['output'];
  /** The VM's name at the cloud. */
  vmName: Scalars['String']['output'];
};


export type ServerEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type ServerOperationsArgs = {
  first?: Scalars['Int']['input'];
};

export type ServerConnection = {
  __typename?: 'ServerConnection';
  /** A list of edges. */
  edges: Array<ServerEdge>;
  /** A list of nodes. */
  nodes: Array<Server>;
  /** Information to aid in pagination. */
  pageInfo: PageInfo;
};

/** An edge in a connection. */
export type ServerEdge = {
  __typename?: 'ServerEdge';
  /** A cursor for use in pagination */
  cursor: Scalars['String']['output'];
  /** The item at the end of the edge */
  node: Server;
};

/** Which servers to list. */
export type ServerFilterInput = {
  /** Only names containing this. */
  nameContains?: InputMaybe<Scalars['String']['input']>;
  /** Only this project's (one the caller is in; none otherwise). */
  projectId?: InputMaybe<Scalars['ID']['input']>;
  /** Only this cloud. */
  provider?: InputMaybe<CloudProvider>;
  /** Only this region. */
  region?: InputMaybe<Scalars['String']['input']>;
  /** Only this state; without it, removed servers are left out. */
  state?: InputMaybe<ServerState>;
};

/** One server's newest figures. */
export type ServerHealth = {
  __typename?: 'ServerHealth';
  /** Busy CPU, 0 to 100. */
  cpuPercent: Maybe<Scalars['Float']['output']>;
  /** Memory in use, 0 to 100. */
  memoryPercent: Maybe<Scalars['Float']['output']>;
  /** When the sample was taken. */
  sampledAt: Scalars['DateTime']['output'];
  /** The server. */
  serverId: Scalars['ID']['output'];
};

/** Where a server is in its life. */
export type ServerState =
  /** Ready to host instances. */
  | 'ACTIVE'
  /** The VM runs; its template is being installed and SSH awaited. */
  | 'BOOTSTRAPPING'
  /** Nothing new is placed on it. */
  | 'DRAINING'
  /**
   * Provisioning or removal gave up, or its VM was powered off to fence a primary that
   * ran on it; `failureReason` says why.
   */
  | 'FAILED'
  /** The VM is being created. */
  | 'PROVISIONING'
  /** Gone. */
  | 'REMOVED'
  /** Its VM is being deleted. */
  | 'REMOVING';

/** A cloud-init template new servers boot from. */
export type ServerTemplate = {
  __typename?: 'ServerTemplate';
  /** What it installs. */
  description: Scalars['String']['output'];
  /** Its name, as `provisionServer` takes it. */
  name: Scalars['String']['output'];
  /** The cloud-config document, with `{{placeholders}}` filled per server. */
  userData: Scalars['String']['output'];
};

/** How clients outside a Kubernetes cluster reach an instance. */
export type ServiceType =
  /** Inside the cluster only, at `NAME.NAMESPACE.svc`. */
  | 'CLUSTER_IP'
  /** Through a cloud load balancer. */
  | 'LOAD_BALANCER';

/** A key that signs or verifies access tokens, without its material. */
export type SigningKey = {
  __typename?: 'SigningKey';
  /** The JWT algorithm. */
  algorithm: Scalars['String']['output'];
  /** Whether it comes from the configuration (`TOYGRES_JWT_SECRET`) rather than the database. */
  configured: Scalars['Boolean']['output'];
  /** When it was made. */
  createdAt: Maybe<Scalars['DateTime']['output']>;
  /** The key id, in each token's header (`kid`). */
  kid: Scalars['String']['output'];
  /** When a retiring key stops verifying. */
  retireAfter: Maybe<Scalars['DateTime']['output']>;
  /**
   * `active` signs and verifies; `retiring` verifies the tokens it signed until
   * `retireAfter`; `retired` does neither.
   */
  state: Scalars['String']['output'];
};

/** Every subscription. */
export type SubscriptionRoot = {
  __typename?: 'SubscriptionRoot';
  /**
   * Every new event the caller may see (and the cluster's own); only one server's with
   * `serverId`, one instance's with `instanceId`.
   */
  clusterEvents: ClusterEvent;
  /** The cluster's health after each new sample. */
  clusterHealthUpdated: ClusterHealth;
  /**
   * Every state and health change of one instance (`id`), or of every instance the caller
   * may see. A subscriber that falls behind gets a `LAGGED` error and should refetch.
   */
  instanceUpdated: Instance;
  /**
   * Every change to one operation (`id`), or to every operation the caller may see. A
   * subscriber that falls behind gets a `LAGGED` error and should refetch.
   */
  operationUpdated: Operation;
  /**
   * Every change of one server (`id`), or of every server the caller may see. A subscriber
   * that falls behind gets a `LAGGED` error and should refetch.
   */
  serverUpdated: Server;
};


/** Every subscription. */
export type SubscriptionRootClusterEventsArgs = {
  instanceId?: InputMaybe<Scalars['ID']['input']>;
  serverId?: InputMaybe<Scalars['ID']['input']>;
};


/** Every subscription. */
export type SubscriptionRootInstanceUpdatedArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};


/** Every subscription. */
export type SubscriptionRootOperationUpdatedArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};


/** Every subscription. */
export type SubscriptionRootServerUpdatedArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};

/** A table, view or materialized view of an instance's database. */
export type Table = {
  __typename?: 'Table';
  /** Its columns, in order. */
  columns: Array<TableColumn>;
  /** The planner's estimate of its rows (-1 when never analyzed). */
  estimatedRows: Scalars['Int']['output'];
  /** Its indexes. */
  indexes: Array<TableIndex>;
  /** `table`, `partitioned table`, `view` or `materialized view`. */
  kind: Scalars['String']['output'];
  /** Its name. */
  name: Scalars['String']['output'];
  /** Its schema. */
  schema: Scalars['String']['output'];
  /** Its size with indexes and TOAST, in bytes. */
  sizeBytes: Scalars['Int']['output'];
};

/** A column of a table. */
export type TableColumn = {
  __typename?: 'TableColumn';
  /** Its type, as Postgres writes it. */
  dataType: Scalars['String']['output'];
  /** Its default expression. */
  default: Maybe<Scalars['String']['output']>;
  /** Its name. */
  name: Scalars['String']['output'];
  /** Whether it may be null. */
  nullable: Scalars['Boolean']['output'];
  /** Whether it is part of the primary key. */
  primaryKey: Scalars['Boolean']['output'];
};

/** An index of a table. */
export type TableIndex = {
  __typename?: 'TableIndex';
  /** Its definition. */
  definition: Scalars['String']['output'];
  /** Its name. */
  name: Scalars['String']['output'];
  /** Whether it is the primary key. */
  primary: Scalars['Boolean']['output'];
  /** Whether it is unique. */
  unique: Scalars['Boolean']['output'];
};

/** Someone who logs in. */
export type User = {
  __typename?: 'User';
  /** Whether they are disabled (and may not log in). */
  disabled: Scalars['Boolean']['output'];
  /** Their email address. */
  email: Scalars['String']['output'];
  /** The user's id. */
  id: Scalars['ID']['output'];
  /** Whether they manage the whole installation. */
  isSiteAdmin: Scalars['Boolean']['output'];
  /** Their role in each project they belong to. */
  roles: Array<ProjectRole>;
};

export type LoginMutationVariables = Exact<{
  email: Scalars['String']['input'];
  password: Scalars['String']['input'];
}>;


export type LoginMutation = { __typename?: 'MutationRoot', login: { __typename?: 'LoginPayload', token: string, expiresAt: string, user: { __typename?: 'User', id: string, email: string, isSiteAdmin: boolean, roles: Array<{ __typename?: 'ProjectRole', projectId: string, projectName: string, role: Role }> } } };

export type InstancesQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<InstanceFilter>;
}>;


export type InstancesQuery = { __typename?: 'QueryRoot', instances: { __typename?: 'InstanceConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename?: 'Instance', id: string, projectId: string, name: string, provider: Provider, plan: string, version: number, storageGb: number, state: InstanceState, health: Health, host: string | null, port: number | null, latencyMs: number | null, lastCheckedAt: string | null, createdAt: string, updatedAt: string, lastDrill: Array<{ __typename?: 'RestoreDrill', id: string, status: RestoreDrillStatus, at: string, error: string | null }> }> } };

export type LastDrillFieldsFragment = { __typename?: 'RestoreDrill', id: string, status: RestoreDrillStatus, at: string, error: string | null };

export type InstanceUpdatedSubscriptionVariables = Exact<{
  id?: InputMaybe<Scalars['ID']['input']>;
}>;


export type InstanceUpdatedSubscription = { __typename?: 'SubscriptionRoot', instanceUpdated: { __typename?: 'Instance', id: string, name: string, state: InstanceState, health: Health, failureReason: string | null, statusMessage: string | null, host: string | null, port: number | null, latencyMs: number | null, lastCheckedAt: string | null, serverVersion: string | null, updatedAt: string, lastDrill: Array<{ __typename?: 'RestoreDrill', id: string, status: RestoreDrillStatus, at: string, error: string | null }> } };

export type InstanceDetailQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  checks: Scalars['Int']['input'];
}>;


export type InstanceDetailQuery = { __typename?: 'QueryRoot', instance: { __typename?: 'Instance', id: string, projectId: string, name: string, provider: Provider, plan: string, serviceType: ServiceType | null, statusMessage: string | null, version: number, storageGb: number, state: InstanceState, health: Health, failureReason: string | null, username: string, database: string, host: string | null, port: number | null, connectionString: string | null, readOnlyConnectionString: string | null, lastCheckedAt: string | null, latencyMs: number | null, serverVersion: string | null, createdAt: string, updatedAt: string, restoredFrom: string | null, members: Array<{ __typename?: 'InstanceMember', id: string, role: MemberRole, host: string | null, port: number | null, state: MemberState, lagBytes: number | null, replayLagMs: number | null, checkedAt: string | null, server: { __typename?: 'Server', id: string, name: string } | null }>, highAvailability: { __typename?: 'HighAvailability', standbys: number, synchronous: boolean, lastFailoverAt: string | null, handovers: Array<{ __typename?: 'Handover', id: string, planned: boolean, fromMemberId: string, toMemberId: string, operationId: string, writesStoppedAt: string | null, writesResumedAt: string | null, unavailableMs: number | null, createdAt: string, finishedAt: string | null }> }, archiving: { __typename?: 'Archiving', lastArchivedAt: string | null, lastFailedAt: string | null, lastError: string | null } | null, lastDrill: Array<{ __typename?: 'RestoreDrill', id: string, status: RestoreDrillStatus, at: string, error: string | null }>, server: { __typename?: 'Server', id: string, name: string, state: ServerState, region: string } | null, moves: Array<{ __typename?: 'InstanceMove', id: string, instanceId: string, position: number, phase: MovePhase, lagBytes: number | null, unavailableMs: number | null, writesStoppedAt: string | null, writesResumedAt: string | null, error: string | null, createdAt: string, finishedAt: string | null, instance: { __typename?: 'Instance', id: string, name: string }, source: { __typename?: 'Server', id: string, name: string }, target: { __typename?: 'Server', id: string, name: string }, operation: { __typename?: 'Operation', id: string, status: OperationStatus, step: string, error: string | null } | null }>, healthChecks: Array<{ __typename?: 'HealthCheck', checkedAt: string, healthy: boolean, latencyMs: number | null, error: string | null }>, operations: Array<{ __typename?: 'Operation', id: string, kind: string, status: OperationStatus, step: string, attempts: number, error: string | null, createdAt: string, finishedAt: string | null }>, events: { __typename?: 'ClusterEventConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename?: 'ClusterEvent', id: string, serverId: string | null, instanceId: string | null, kind: string, severity: string, message: string, createdAt: string }> } } | null, instancePlans: Array<{ __typename?: 'InstancePlan', name: string, cpuRequestMillis: number, cpuLimitMillis: number, memoryMib: number }> };

export type InstanceMemberFieldsFragment = { __typename?: 'InstanceMember', id: string, role: MemberRole, host: string | null, port: number | null, state: MemberState, lagBytes: number | null, replayLagMs: number | null, checkedAt: string | null, server: { __typename?: 'Server', id: string, name: string } | null };

export type HighAvailabilityFieldsFragment = { __typename?: 'HighAvailability', standbys: number, synchronous: boolean, lastFailoverAt: string | null, handovers: Array<{ __typename?: 'Handover', id: string, planned: boolean, fromMemberId: string, toMemberId: string, operationId: string, writesStoppedAt: string | null, writesResumedAt: string | null, unavailableMs: number | null, createdAt: string, finishedAt: string | null }> };

export type AddStandbyMutationVariables = Exact<{
  instanceId: Scalars['ID']['input'];
  serverId?: InputMaybe<Scalars['ID']['input']>;
}>;


export type AddStandbyMutation = { __typename?: 'MutationRoot', addStandby: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type RemoveStandbyMutationVariables = Exact<{
  memberId: Scalars['ID']['input'];
}>;


export type RemoveStandbyMutation = { __typename?: 'MutationRoot', removeStandby: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type SwitchoverMutationVariables = Exact<{
  instanceId: Scalars['ID']['input'];
  toMemberId?: InputMaybe<Scalars['ID']['input']>;
}>;


export type SwitchoverMutation = { __typename?: 'MutationRoot', switchover: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type FailoverMutationVariables = Exact<{
  instanceId: Scalars['ID']['input'];
  force?: Scalars['Boolean']['input'];
}>;


export type FailoverMutation = { __typename?: 'MutationRoot', failover: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type InstancePlanFieldsFragment = { __typename?: 'InstancePlan', name: string, cpuRequestMillis: number, cpuLimitMillis: number, memoryMib: number };

export type InstanceOfferingsQueryVariables = Exact<{ [key: string]: never; }>;


export type InstanceOfferingsQuery = { __typename?: 'QueryRoot', instanceProviders: Array<Provider>, instancePlans: Array<{ __typename?: 'InstancePlan', name: string, cpuRequestMillis: number, cpuLimitMillis: number, memoryMib: number }> };

export type VersionsQueryVariables = Exact<{
  provider?: InputMaybe<Provider>;
}>;


export type VersionsQuery = { __typename?: 'QueryRoot', versions: Array<number> };

export type CreateInstanceMutationVariables = Exact<{
  input: CreateInstanceInput;
}>;


export type CreateInstanceMutation = { __typename?: 'MutationRoot', createInstance: { __typename?: 'CreateInstancePayload', instance: { __typename?: 'Instance', id: string, name: string, state: InstanceState }, operation: { __typename?: 'Operation', id: string } } };

export type StopInstanceMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type StopInstanceMutation = { __typename?: 'MutationRoot', stopInstance: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type StartInstanceMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type StartInstanceMutation = { __typename?: 'MutationRoot', startInstance: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type RestartInstanceMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RestartInstanceMutation = { __typename?: 'MutationRoot', restartInstance: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type DeleteInstanceMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  retainStorage?: InputMaybe<Scalars['Boolean']['input']>;
  purgeBackups?: InputMaybe<Scalars['Boolean']['input']>;
}>;


export type DeleteInstanceMutation = { __typename?: 'MutationRoot', deleteInstance: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type OperationsQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<OperationFilter>;
}>;


export type OperationsQuery = { __typename?: 'QueryRoot', operations: { __typename?: 'OperationConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename?: 'Operation', id: string, kind: string, targetKind: OperationTarget, targetId: string | null, status: OperationStatus, step: string, attempts: number, maxAttempts: number, error: string | null, createdAt: string, updatedAt: string, finishedAt: string | null }> } };

export type OperationDetailQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type OperationDetailQuery = { __typename?: 'QueryRoot', operation: { __typename?: 'Operation', id: string, projectId: string, kind: string, targetKind: OperationTarget, targetId: string | null, status: OperationStatus, step: string, attempts: number, maxAttempts: number, error: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, steps: Array<{ __typename?: 'OperationStep', seq: number, step: string, enteredAt: string }> } | null };

export type OperationFullFragment = { __typename?: 'Operation', id: string, projectId: string, kind: string, targetKind: OperationTarget, targetId: string | null, status: OperationStatus, step: string, attempts: number, maxAttempts: number, error: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, steps: Array<{ __typename?: 'OperationStep', seq: number, step: string, enteredAt: string }> };

export type OperationUpdatedSubscriptionVariables = Exact<{
  id?: InputMaybe<Scalars['ID']['input']>;
}>;


export type OperationUpdatedSubscription = { __typename?: 'SubscriptionRoot', operationUpdated: { __typename?: 'Operation', id: string, projectId: string, kind: string, targetKind: OperationTarget, targetId: string | null, status: OperationStatus, step: string, attempts: number, maxAttempts: number, error: string | null, createdAt: string, updatedAt: string, startedAt: string | null, finishedAt: string | null, steps: Array<{ __typename?: 'OperationStep', seq: number, step: string, enteredAt: string }> } };

export type ClusterHealthFieldsFragment = { __typename?: 'ClusterHealth', cpuPercent: number | null, memoryPercent: number | null, sampledAt: string | null, source: string | null, available: boolean, unavailableSince: string | null, message: string | null, servers: Array<{ __typename?: 'ServerHealth', serverId: string, cpuPercent: number | null, memoryPercent: number | null, sampledAt: string }>, instances: Array<{ __typename?: 'InstanceCount', state: string, health: string, count: number }> };

export type ClusterQueryVariables = Exact<{
  from: Scalars['DateTime']['input'];
  to: Scalars['DateTime']['input'];
  step: Scalars['Int']['input'];
}>;


export type ClusterQuery = { __typename?: 'QueryRoot', clusterHealth: { __typename?: 'ClusterHealth', cpuPercent: number | null, memoryPercent: number | null, sampledAt: string | null, source: string | null, available: boolean, unavailableSince: string | null, message: string | null, servers: Array<{ __typename?: 'ServerHealth', serverId: string, cpuPercent: number | null, memoryPercent: number | null, sampledAt: string }>, instances: Array<{ __typename?: 'InstanceCount', state: string, health: string, count: number }> }, serverMetrics: Array<{ __typename?: 'MetricPoint', at: string, cpuPercent: number | null, memoryPercent: number | null }>, servers: { __typename?: 'ServerConnection', nodes: Array<{ __typename?: 'Server', id: string, name: string }> }, removedServers: { __typename?: 'ServerConnection', nodes: Array<{ __typename?: 'Server', id: string, name: string }> } };

export type ClusterHealthUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ClusterHealthUpdatedSubscription = { __typename?: 'SubscriptionRoot', clusterHealthUpdated: { __typename?: 'ClusterHealth', cpuPercent: number | null, memoryPercent: number | null, sampledAt: string | null, source: string | null, available: boolean, unavailableSince: string | null, message: string | null, servers: Array<{ __typename?: 'ServerHealth', serverId: string, cpuPercent: number | null, memoryPercent: number | null, sampledAt: string }>, instances: Array<{ __typename?: 'InstanceCount', state: string, health: string, count: number }> } };

export type ServerFieldsFragment = { __typename?: 'Server', id: string, projectId: string, name: string, provider: CloudProvider, plan: string, region: string, providerId: string | null, vmName: string, ipv4: string | null, ipv6: string | null, state: ServerState, failureReason: string | null, template: string, image: string, createdAt: string, updatedAt: string, stateChangedAt: string, removedAt: string | null, sshPort: number, sshUser: string, sshHostKey: string | null, sshPublicKey: string | null, memoryGb: number | null, diskGb: number | null, pgVersions: Array<number> };

export type ServersQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ServerFilterInput>;
}>;


export type ServersQuery = { __typename?: 'QueryRoot', servers: { __typename?: 'ServerConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename?: 'Server', instanceCount: number, id: string, projectId: string, name: string, provider: CloudProvider, plan: string, region: string, providerId: string | null, vmName: string, ipv4: string | null, ipv6: string | null, state: ServerState, failureReason: string | null, template: string, image: string, createdAt: string, updatedAt: string, stateChangedAt: string, removedAt: string | null, sshPort: number, sshUser: string, sshHostKey: string | null, sshPublicKey: string | null, memoryGb: number | null, diskGb: number | null, pgVersions: Array<number> }> } };

export type ConfiguredProvidersQueryVariables = Exact<{ [key: string]: never; }>;


export type ConfiguredProvidersQuery = { __typename?: 'QueryRoot', configuredProviders: Array<CloudProvider> };

export type ServerUpdatedSubscriptionVariables = Exact<{
  id?: InputMaybe<Scalars['ID']['input']>;
}>;


export type ServerUpdatedSubscription = { __typename?: 'SubscriptionRoot', serverUpdated: { __typename?: 'Server', id: string, projectId: string, name: string, provider: CloudProvider, plan: string, region: string, providerId: string | null, vmName: string, ipv4: string | null, ipv6: string | null, state: ServerState, failureReason: string | null, template: string, image: string, createdAt: string, updatedAt: string, stateChangedAt: string, removedAt: string | null, sshPort: number, sshUser: string, sshHostKey: string | null, sshPublicKey: string | null, memoryGb: number | null, diskGb: number | null, pgVersions: Array<number> } };

export type ServerInstanceFieldsFragment = { __typename?: 'Instance', id: string, name: string, state: InstanceState, health: Health, host: string | null, port: number | null, plan: string, storageGb: number, version: number, updatedAt: string };

export type ServerInstanceUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ServerInstanceUpdatedSubscription = { __typename?: 'SubscriptionRoot', instanceUpdated: { __typename?: 'Instance', id: string, name: string, state: InstanceState, health: Health, host: string | null, port: number | null, plan: string, storageGb: number, version: number, updatedAt: string, server: { __typename?: 'Server', id: string } | null } };

export type ServerDetailQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ServerDetailQuery = { __typename?: 'QueryRoot', server: { __typename?: 'Server', instanceCount: number, id: string, projectId: string, name: string, provider: CloudProvider, plan: string, region: string, providerId: string | null, vmName: string, ipv4: string | null, ipv6: string | null, state: ServerState, failureReason: string | null, template: string, image: string, createdAt: string, updatedAt: string, stateChangedAt: string, removedAt: string | null, sshPort: number, sshUser: string, sshHostKey: string | null, sshPublicKey: string | null, memoryGb: number | null, diskGb: number | null, pgVersions: Array<number>, labels: Array<{ __typename?: 'Label', key: string, value: string }>, instances: Array<{ __typename?: 'Instance', id: string, name: string, state: InstanceState, health: Health, host: string | null, port: number | null, plan: string, storageGb: number, version: number, updatedAt: string }>, latestMetrics: { __typename?: 'ServerHealth', cpuPercent: number | null, memoryPercent: number | null, sampledAt: string } | null, operations: Array<{ __typename?: 'Operation', id: string, kind: string, status: OperationStatus, step: string, attempts: number, error: string | null, createdAt: string, finishedAt: string | null }> } | null };

export type PlanFieldsFragment = { __typename?: 'Plan', name: string, cores: number, memoryGb: number, diskGb: number, monthlyPrice: number | null, currency: string, architecture: string, regions: Array<string>, deprecated: boolean };

export type FleetSetupQueryVariables = Exact<{ [key: string]: never; }>;


export type FleetSetupQuery = { __typename?: 'QueryRoot', configuredProviders: Array<CloudProvider>, serverTemplates: Array<{ __typename?: 'ServerTemplate', name: string, description: string }> };

export type CloudOfferingsQueryVariables = Exact<{
  provider: CloudProvider;
}>;


export type CloudOfferingsQuery = { __typename?: 'QueryRoot', regions: Array<string>, plans: Array<{ __typename?: 'Plan', name: string, cores: number, memoryGb: number, diskGb: number, monthlyPrice: number | null, currency: string, architecture: string, regions: Array<string>, deprecated: boolean }> };

export type ProvisionServerMutationVariables = Exact<{
  input: ProvisionServerInput;
}>;


export type ProvisionServerMutation = { __typename?: 'MutationRoot', provisionServer: { __typename?: 'ProvisionServerPayload', server: { __typename?: 'Server', id: string, name: string, state: ServerState }, operation: { __typename?: 'Operation', id: string } } };

export type DrainPlanFieldsFragment = { __typename?: 'DrainPlan', serverId: string, blocked: string | null, moves: Array<{ __typename?: 'PlannedMove', position: number, action: DrainAction, instanceId: string, instanceName: string, memberId: string | null, targetServerId: string, targetServerName: string }> };

export type DrainServerMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  dryRun: Scalars['Boolean']['input'];
}>;


export type DrainServerMutation = { __typename?: 'MutationRoot', drainServer: { __typename?: 'DrainServerPayload', dryRun: boolean, plan: { __typename?: 'DrainPlan', serverId: string, blocked: string | null, moves: Array<{ __typename?: 'PlannedMove', position: number, action: DrainAction, instanceId: string, instanceName: string, memberId: string | null, targetServerId: string, targetServerName: string }> }, operation: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } | null } };

export type RegisterServerMutationVariables = Exact<{
  input: RegisterServerInput;
}>;


export type RegisterServerMutation = { __typename?: 'MutationRoot', registerServer: { __typename?: 'RegisterServerPayload', server: { __typename?: 'Server', id: string, name: string, state: ServerState }, operation: { __typename?: 'Operation', id: string } } };

export type InstanceMoveFieldsFragment = { __typename?: 'InstanceMove', id: string, instanceId: string, position: number, phase: MovePhase, lagBytes: number | null, unavailableMs: number | null, writesStoppedAt: string | null, writesResumedAt: string | null, error: string | null, createdAt: string, finishedAt: string | null, instance: { __typename?: 'Instance', id: string, name: string }, source: { __typename?: 'Server', id: string, name: string }, target: { __typename?: 'Server', id: string, name: string }, operation: { __typename?: 'Operation', id: string, status: OperationStatus, step: string, error: string | null } | null };

export type DrainProgressQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type DrainProgressQuery = { __typename?: 'QueryRoot', operation: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus, step: string, error: string | null, targetId: string | null, createdAt: string, updatedAt: string, finishedAt: string | null, moves: Array<{ __typename?: 'InstanceMove', id: string, instanceId: string, position: number, phase: MovePhase, lagBytes: number | null, unavailableMs: number | null, writesStoppedAt: string | null, writesResumedAt: string | null, error: string | null, createdAt: string, finishedAt: string | null, instance: { __typename?: 'Instance', id: string, name: string }, source: { __typename?: 'Server', id: string, name: string }, target: { __typename?: 'Server', id: string, name: string }, operation: { __typename?: 'Operation', id: string, status: OperationStatus, step: string, error: string | null } | null }> } | null };

export type MoveProgressQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type MoveProgressQuery = { __typename?: 'QueryRoot', operation: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus, step: string, error: string | null, targetId: string | null, createdAt: string, updatedAt: string, finishedAt: string | null, move: { __typename?: 'InstanceMove', id: string, instanceId: string, position: number, phase: MovePhase, lagBytes: number | null, unavailableMs: number | null, writesStoppedAt: string | null, writesResumedAt: string | null, error: string | null, createdAt: string, finishedAt: string | null, instance: { __typename?: 'Instance', id: string, name: string }, source: { __typename?: 'Server', id: string, name: string }, target: { __typename?: 'Server', id: string, name: string }, operation: { __typename?: 'Operation', id: string, status: OperationStatus, step: string, error: string | null } | null } | null } | null };

export type MoveInstanceMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  serverId?: InputMaybe<Scalars['ID']['input']>;
}>;


export type MoveInstanceMutation = { __typename?: 'MutationRoot', moveInstance: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type ActiveServersQueryVariables = Exact<{ [key: string]: never; }>;


export type ActiveServersQuery = { __typename?: 'QueryRoot', servers: { __typename?: 'ServerConnection', nodes: Array<{ __typename?: 'Server', id: string, projectId: string, name: string, provider: CloudProvider, region: string, state: ServerState, sshHostKey: string | null, memoryGb: number | null, diskGb: number | null, pgVersions: Array<number>, instanceCount: number }> } };

export type RemoveServerMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RemoveServerMutation = { __typename?: 'MutationRoot', removeServer: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type RefreshPlansMutationVariables = Exact<{
  provider: CloudProvider;
}>;


export type RefreshPlansMutation = { __typename?: 'MutationRoot', refreshPlans: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type ScalingOperationFieldsFragment = { __typename?: 'ScalingOperation', id: string, provider: CloudProvider, plan: string, region: string, currentCount: number, targetCount: number, dryRun: boolean, monthlyCostDelta: number | null, currency: string | null, createdAt: string, actions: Array<{ __typename?: 'ScaleAction', order: number, action: ScaleActionKind, serverId: string, serverName: string, monthlyCost: number | null }>, operation: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus, step: string, error: string | null, updatedAt: string } | null };

export type ScaleClusterMutationVariables = Exact<{
  provider: CloudProvider;
  plan: Scalars['String']['input'];
  region: Scalars['String']['input'];
  count: Scalars['Int']['input'];
  dryRun: Scalars['Boolean']['input'];
  projectId?: InputMaybe<Scalars['ID']['input']>;
}>;


export type ScaleClusterMutation = { __typename?: 'MutationRoot', scaleCluster: { __typename?: 'ScalingOperation', id: string, provider: CloudProvider, plan: string, region: string, currentCount: number, targetCount: number, dryRun: boolean, monthlyCostDelta: number | null, currency: string | null, createdAt: string, actions: Array<{ __typename?: 'ScaleAction', order: number, action: ScaleActionKind, serverId: string, serverName: string, monthlyCost: number | null }>, operation: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus, step: string, error: string | null, updatedAt: string } | null } };

export type ScalingOperationsQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type ScalingOperationsQuery = { __typename?: 'QueryRoot', scalingOperations: { __typename?: 'ScalingOperationConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename?: 'ScalingOperation', id: string, provider: CloudProvider, plan: string, region: string, currentCount: number, targetCount: number, dryRun: boolean, monthlyCostDelta: number | null, currency: string | null, createdAt: string, actions: Array<{ __typename?: 'ScaleAction', order: number, action: ScaleActionKind, serverId: string, serverName: string, monthlyCost: number | null }>, operation: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus, step: string, error: string | null, updatedAt: string } | null }> } };

export type ClusterEventFieldsFragment = { __typename?: 'ClusterEvent', id: string, serverId: string | null, instanceId: string | null, kind: string, severity: string, message: string, createdAt: string };

export type ClusterEventsQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  serverId?: InputMaybe<Scalars['ID']['input']>;
  instanceId?: InputMaybe<Scalars['ID']['input']>;
}>;


export type ClusterEventsQuery = { __typename?: 'QueryRoot', clusterEvents: { __typename?: 'ClusterEventConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename?: 'ClusterEvent', id: string, serverId: string | null, instanceId: string | null, kind: string, severity: string, message: string, createdAt: string }> } };

export type ClusterEventAddedSubscriptionVariables = Exact<{
  serverId?: InputMaybe<Scalars['ID']['input']>;
  instanceId?: InputMaybe<Scalars['ID']['input']>;
}>;


export type ClusterEventAddedSubscription = { __typename?: 'SubscriptionRoot', clusterEvents: { __typename?: 'ClusterEvent', id: string, serverId: string | null, instanceId: string | null, kind: string, severity: string, message: string, createdAt: string } };

export type ProjectFieldsFragment = { __typename?: 'Project', id: string, name: string, createdAt: string, myRole: Role | null };

export type UserFieldsFragment = { __typename?: 'User', id: string, email: string, isSiteAdmin: boolean, disabled: boolean, roles: Array<{ __typename?: 'ProjectRole', projectId: string, projectName: string, role: Role }> };

export type ProjectsQueryVariables = Exact<{ [key: string]: never; }>;


export type ProjectsQuery = { __typename?: 'QueryRoot', me: { __typename?: 'User', id: string, email: string, isSiteAdmin: boolean, disabled: boolean, roles: Array<{ __typename?: 'ProjectRole', projectId: string, projectName: string, role: Role }> }, projects: Array<{ __typename?: 'Project', id: string, name: string, createdAt: string, myRole: Role | null }> };

export type CreateProjectMutationVariables = Exact<{
  name: Scalars['String']['input'];
}>;


export type CreateProjectMutation = { __typename?: 'MutationRoot', createProject: { __typename?: 'Project', id: string, name: string, createdAt: string, myRole: Role | null } };

export type RenameProjectMutationVariables = Exact<{
  id: Scalars['ID']['input'];
  name: Scalars['String']['input'];
}>;


export type RenameProjectMutation = { __typename?: 'MutationRoot', renameProject: { __typename?: 'Project', id: string, name: string, createdAt: string, myRole: Role | null } };

export type DeleteProjectMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type DeleteProjectMutation = { __typename?: 'MutationRoot', deleteProject: string };

export type MemberFieldsFragment = { __typename?: 'Member', userId: string, email: string, role: Role, disabled: boolean, since: string };

export type ProjectMembersQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  withUsers: Scalars['Boolean']['input'];
}>;


export type ProjectMembersQuery = { __typename?: 'QueryRoot', project: { __typename?: 'Project', id: string, name: string, createdAt: string, myRole: Role | null, members: Array<{ __typename?: 'Member', userId: string, email: string, role: Role, disabled: boolean, since: string }> } | null, users?: Array<{ __typename?: 'User', id: string, email: string, disabled: boolean }> };

export type SetMemberRoleMutationVariables = Exact<{
  projectId: Scalars['ID']['input'];
  userId: Scalars['ID']['input'];
  role: Role;
}>;


export type SetMemberRoleMutation = { __typename?: 'MutationRoot', setMemberRole: Array<{ __typename?: 'Member', userId: string, email: string, role: Role, disabled: boolean, since: string }> };

export type RemoveMemberMutationVariables = Exact<{
  projectId: Scalars['ID']['input'];
  userId: Scalars['ID']['input'];
}>;


export type RemoveMemberMutation = { __typename?: 'MutationRoot', removeMember: Array<{ __typename?: 'Member', userId: string, email: string, role: Role, disabled: boolean, since: string }> };

export type ApiTokenFieldsFragment = { __typename?: 'ApiToken', id: string, projectId: string, name: string, role: Role, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null, active: boolean };

export type ProjectTokensQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  withTokens: Scalars['Boolean']['input'];
}>;


export type ProjectTokensQuery = { __typename?: 'QueryRoot', project: { __typename?: 'Project', id: string, name: string, createdAt: string, myRole: Role | null, apiTokens?: Array<{ __typename?: 'ApiToken', id: string, projectId: string, name: string, role: Role, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null, active: boolean }> } | null };

export type CreateApiTokenMutationVariables = Exact<{
  projectId: Scalars['ID']['input'];
  name: Scalars['String']['input'];
  role: Role;
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
}>;


export type CreateApiTokenMutation = { __typename?: 'MutationRoot', createApiToken: { __typename?: 'CreateApiTokenPayload', secret: string, token: { __typename?: 'ApiToken', id: string, projectId: string, name: string, role: Role, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null, active: boolean } } };

export type RevokeApiTokenMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type RevokeApiTokenMutation = { __typename?: 'MutationRoot', revokeApiToken: { __typename?: 'ApiToken', id: string, projectId: string, name: string, role: Role, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null, active: boolean } };

export type UsersQueryVariables = Exact<{ [key: string]: never; }>;


export type UsersQuery = { __typename?: 'QueryRoot', users: Array<{ __typename?: 'User', id: string, email: string, isSiteAdmin: boolean, disabled: boolean, roles: Array<{ __typename?: 'ProjectRole', projectId: string, projectName: string, role: Role }> }> };

export type CreateUserMutationVariables = Exact<{
  email: Scalars['String']['input'];
  password: Scalars['String']['input'];
  siteAdmin: Scalars['Boolean']['input'];
}>;


export type CreateUserMutation = { __typename?: 'MutationRoot', createUser: { __typename?: 'User', id: string, email: string, isSiteAdmin: boolean, disabled: boolean, roles: Array<{ __typename?: 'ProjectRole', projectId: string, projectName: string, role: Role }> } };

export type DisableUserMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type DisableUserMutation = { __typename?: 'MutationRoot', disableUser: { __typename?: 'User', id: string, email: string, isSiteAdmin: boolean, disabled: boolean, roles: Array<{ __typename?: 'ProjectRole', projectId: string, projectName: string, role: Role }> } };

export type EnableUserMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type EnableUserMutation = { __typename?: 'MutationRoot', enableUser: { __typename?: 'User', id: string, email: string, isSiteAdmin: boolean, disabled: boolean, roles: Array<{ __typename?: 'ProjectRole', projectId: string, projectName: string, role: Role }> } };

export type DeleteUserMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type DeleteUserMutation = { __typename?: 'MutationRoot', deleteUser: string };

export type ResetPasswordMutationVariables = Exact<{
  userId: Scalars['ID']['input'];
  password: Scalars['String']['input'];
}>;


export type ResetPasswordMutation = { __typename?: 'MutationRoot', resetPassword: boolean };

export type ChangePasswordMutationVariables = Exact<{
  currentPassword: Scalars['String']['input'];
  newPassword: Scalars['String']['input'];
}>;


export type ChangePasswordMutation = { __typename?: 'MutationRoot', changePassword: boolean };

export type SigningKeyFieldsFragment = { __typename?: 'SigningKey', kid: string, algorithm: string, state: string, createdAt: string | null, retireAfter: string | null, configured: boolean };

export type SigningKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type SigningKeysQuery = { __typename?: 'QueryRoot', signingKeys: Array<{ __typename?: 'SigningKey', kid: string, algorithm: string, state: string, createdAt: string | null, retireAfter: string | null, configured: boolean }> };

export type RotateSigningKeyMutationVariables = Exact<{ [key: string]: never; }>;


export type RotateSigningKeyMutation = { __typename?: 'MutationRoot', rotateSigningKey: { __typename?: 'SigningKey', kid: string, algorithm: string, state: string, createdAt: string | null, retireAfter: string | null, configured: boolean } };

export type AuditEntryFieldsFragment = { __typename?: 'AuditEntry', id: string, at: string, actor: string, actorUserId: string | null, tokenId: string | null, projectId: string | null, action: string, targetId: string | null, arguments: any, sourceIp: string | null, userAgent: string | null, outcome: string, errorCode: string | null, errorMessage: string | null };

export type AuditLogQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  projectId?: InputMaybe<Scalars['ID']['input']>;
}>;


export type AuditLogQuery = { __typename?: 'QueryRoot', auditLog: { __typename?: 'AuditEntryConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename?: 'AuditEntry', id: string, at: string, actor: string, actorUserId: string | null, tokenId: string | null, projectId: string | null, action: string, targetId: string | null, arguments: any, sourceIp: string | null, userAgent: string | null, outcome: string, errorCode: string | null, errorMessage: string | null }> } };

export type RowSetFieldsFragment = { __typename?: 'RowSet', rows: any, truncated: boolean, nextCursor: string | null, columns: Array<{ __typename?: 'ResultColumn', name: string, dataType: string }> };

export type InstanceTablesQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type InstanceTablesQuery = { __typename?: 'QueryRoot', instance: { __typename?: 'Instance', id: string, tables: Array<{ __typename?: 'Table', schema: string, name: string, kind: string, estimatedRows: number, sizeBytes: number, columns: Array<{ __typename?: 'TableColumn', name: string, dataType: string, nullable: boolean, default: string | null, primaryKey: boolean }>, indexes: Array<{ __typename?: 'TableIndex', name: string, definition: string, unique: boolean, primary: boolean }> }> } | null };

export type InstanceRowsQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  table: Scalars['String']['input'];
  schema: Scalars['String']['input'];
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type InstanceRowsQuery = { __typename?: 'QueryRoot', instance: { __typename?: 'Instance', id: string, rows: { __typename?: 'RowSet', rows: any, truncated: boolean, nextCursor: string | null, columns: Array<{ __typename?: 'ResultColumn', name: string, dataType: string }> } } | null };

export type RunReadOnlyQueryMutationVariables = Exact<{
  instanceId: Scalars['ID']['input'];
  sql: Scalars['String']['input'];
}>;


export type RunReadOnlyQueryMutation = { __typename?: 'MutationRoot', runReadOnlyQuery: { __typename?: 'RowSet', rows: any, truncated: boolean, nextCursor: string | null, columns: Array<{ __typename?: 'ResultColumn', name: string, dataType: string }> } };

export type ArchivingFieldsFragment = { __typename?: 'Archiving', lastArchivedAt: string | null, lastFailedAt: string | null, lastError: string | null };

export type BackupFieldsFragment = { __typename?: 'Backup', id: string, kind: BackupKind, status: BackupStatus, startedAt: string, finishedAt: string | null, sizeBytes: number | null, storedBytes: number | null, label: string | null, error: string | null, operationId: string | null };

export type RestoreDrillFieldsFragment = { __typename?: 'RestoreDrill', id: string, at: string, status: RestoreDrillStatus, finishedAt: string | null, rtoMs: number | null, rpoMs: number | null, error: string | null, scratchInstanceId: string, operationId: string | null };

export type InstanceBackupsQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  first: Scalars['Int']['input'];
  drills: Scalars['Int']['input'];
}>;


export type InstanceBackupsQuery = { __typename?: 'QueryRoot', instance: { __typename?: 'Instance', id: string, updatedAt: string, earliestRestoreTime: string | null, latestRestoreTime: string | null, backupPolicy: { __typename?: 'BackupPolicy', schedule: string, retentionDays: number }, archiving: { __typename?: 'Archiving', lastArchivedAt: string | null, lastFailedAt: string | null, lastError: string | null } | null, backups: { __typename?: 'BackupConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename?: 'Backup', id: string, kind: BackupKind, status: BackupStatus, startedAt: string, finishedAt: string | null, sizeBytes: number | null, storedBytes: number | null, label: string | null, error: string | null, operationId: string | null }> }, restoreDrills: Array<{ __typename?: 'RestoreDrill', id: string, at: string, status: RestoreDrillStatus, finishedAt: string | null, rtoMs: number | null, rpoMs: number | null, error: string | null, scratchInstanceId: string, operationId: string | null }> } | null };

export type InstanceBackupsPageQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  first: Scalars['Int']['input'];
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type InstanceBackupsPageQuery = { __typename?: 'QueryRoot', instance: { __typename?: 'Instance', id: string, backups: { __typename?: 'BackupConnection', pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename?: 'Backup', id: string, kind: BackupKind, status: BackupStatus, startedAt: string, finishedAt: string | null, sizeBytes: number | null, storedBytes: number | null, label: string | null, error: string | null, operationId: string | null }> } } | null };

export type CreateBackupMutationVariables = Exact<{
  instanceId: Scalars['ID']['input'];
  kind: BackupKind;
}>;


export type CreateBackupMutation = { __typename?: 'MutationRoot', createBackup: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type SetBackupPolicyMutationVariables = Exact<{
  instanceId: Scalars['ID']['input'];
  schedule: Scalars['String']['input'];
  retentionDays: Scalars['Int']['input'];
}>;


export type SetBackupPolicyMutation = { __typename?: 'MutationRoot', setBackupPolicy: { __typename?: 'BackupPolicy', schedule: string, retentionDays: number } };

export type RestoreInstanceMutationVariables = Exact<{
  input: RestoreInstanceInput;
}>;


export type RestoreInstanceMutation = { __typename?: 'MutationRoot', restoreInstance: { __typename?: 'CreateInstancePayload', instance: { __typename?: 'Instance', id: string, name: string, state: InstanceState }, operation: { __typename?: 'Operation', id: string } } };

export type RunRestoreDrillMutationVariables = Exact<{
  instanceId: Scalars['ID']['input'];
}>;


export type RunRestoreDrillMutation = { __typename?: 'MutationRoot', runRestoreDrill: { __typename?: 'Operation', id: string, kind: string, status: OperationStatus } };

export type RestoreDrillPolicyQueryVariables = Exact<{
  projectId?: InputMaybe<Scalars['ID']['input']>;
}>;


export type RestoreDrillPolicyQuery = { __typename?: 'QueryRoot', restoreDrillPolicy: { __typename?: 'RestoreDrillPolicy', projectId: string, schedule: string } };

export type SetRestoreDrillPolicyMutationVariables = Exact<{
  projectId?: InputMaybe<Scalars['ID']['input']>;
  schedule: Scalars['String']['input'];
}>;


export type SetRestoreDrillPolicyMutation = { __typename?: 'MutationRoot', setRestoreDrillPolicy: { __typename?: 'RestoreDrillPolicy', projectId: string, schedule: string } };

export type ProjectQuotaFieldsFragment = { __typename?: 'Project', id: string, quota: { __typename?: 'ProjectQuota', instances: number | null, storageGb: number | null, servers: number | null, standbys: number | null, isDefault: boolean }, usage: { __typename?: 'ProjectUsage', instances: number, storageGb: number, servers: number, standbys: number } };

export type ProjectQuotaQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ProjectQuotaQuery = { __typename?: 'QueryRoot', project: { __typename?: 'Project', id: string, quota: { __typename?: 'ProjectQuota', instances: number | null, storageGb: number | null, servers: number | null, standbys: number | null, isDefault: boolean }, usage: { __typename?: 'ProjectUsage', instances: number, storageGb: number, servers: number, standbys: number } } | null };

export type SetProjectQuotaMutationVariables = Exact<{
  projectId: Scalars['ID']['input'];
  input: ProjectQuotaInput;
}>;


export type SetProjectQuotaMutation = { __typename?: 'MutationRoot', setProjectQuota: { __typename?: 'Project', id: string, quota: { __typename?: 'ProjectQuota', instances: number | null, storageGb: number | null, servers: number | null, standbys: number | null, isDefault: boolean }, usage: { __typename?: 'ProjectUsage', instances: number, storageGb: number, servers: number, standbys: number } } };

export type CertificateAuthorityQueryVariables = Exact<{ [key: string]: never; }>;


export type CertificateAuthorityQuery = { __typename?: 'QueryRoot', certificateAuthority: { __typename?: 'CertificateAuthority', pem: string } };

export const LastDrillFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"LastDrillFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RestoreDrill"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}}]} as unknown as DocumentNode<LastDrillFieldsFragment, unknown>;
export const InstanceMemberFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"InstanceMemberFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstanceMember"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"server"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"lagBytes"}},{"kind":"Field","name":{"kind":"Name","value":"replayLagMs"}},{"kind":"Field","name":{"kind":"Name","value":"checkedAt"}}]}}]} as unknown as DocumentNode<InstanceMemberFieldsFragment, unknown>;
export const HighAvailabilityFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"HighAvailabilityFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"HighAvailability"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"standbys"}},{"kind":"Field","name":{"kind":"Name","value":"synchronous"}},{"kind":"Field","name":{"kind":"Name","value":"lastFailoverAt"}},{"kind":"Field","name":{"kind":"Name","value":"handovers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"planned"}},{"kind":"Field","name":{"kind":"Name","value":"fromMemberId"}},{"kind":"Field","name":{"kind":"Name","value":"toMemberId"}},{"kind":"Field","name":{"kind":"Name","value":"operationId"}},{"kind":"Field","name":{"kind":"Name","value":"writesStoppedAt"}},{"kind":"Field","name":{"kind":"Name","value":"writesResumedAt"}},{"kind":"Field","name":{"kind":"Name","value":"unavailableMs"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]}}]} as unknown as DocumentNode<HighAvailabilityFieldsFragment, unknown>;
export const InstancePlanFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"InstancePlanFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstancePlan"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"cpuRequestMillis"}},{"kind":"Field","name":{"kind":"Name","value":"cpuLimitMillis"}},{"kind":"Field","name":{"kind":"Name","value":"memoryMib"}}]}}]} as unknown as DocumentNode<InstancePlanFieldsFragment, unknown>;
export const OperationFullFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OperationFull"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Operation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"targetKind"}},{"kind":"Field","name":{"kind":"Name","value":"targetId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"maxAttempts"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"steps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"enteredAt"}}]}}]}}]} as unknown as DocumentNode<OperationFullFragment, unknown>;
export const ClusterHealthFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClusterHealthFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ClusterHealth"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cpuPercent"}},{"kind":"Field","name":{"kind":"Name","value":"memoryPercent"}},{"kind":"Field","name":{"kind":"Name","value":"sampledAt"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"available"}},{"kind":"Field","name":{"kind":"Name","value":"unavailableSince"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"servers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"cpuPercent"}},{"kind":"Field","name":{"kind":"Name","value":"memoryPercent"}},{"kind":"Field","name":{"kind":"Name","value":"sampledAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"instances"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"health"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]} as unknown as DocumentNode<ClusterHealthFieldsFragment, unknown>;
export const ServerFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ServerFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Server"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"providerId"}},{"kind":"Field","name":{"kind":"Name","value":"vmName"}},{"kind":"Field","name":{"kind":"Name","value":"ipv4"}},{"kind":"Field","name":{"kind":"Name","value":"ipv6"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"failureReason"}},{"kind":"Field","name":{"kind":"Name","value":"template"}},{"kind":"Field","name":{"kind":"Name","value":"image"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"stateChangedAt"}},{"kind":"Field","name":{"kind":"Name","value":"removedAt"}},{"kind":"Field","name":{"kind":"Name","value":"sshPort"}},{"kind":"Field","name":{"kind":"Name","value":"sshUser"}},{"kind":"Field","name":{"kind":"Name","value":"sshHostKey"}},{"kind":"Field","name":{"kind":"Name","value":"sshPublicKey"}},{"kind":"Field","name":{"kind":"Name","value":"memoryGb"}},{"kind":"Field","name":{"kind":"Name","value":"diskGb"}},{"kind":"Field","name":{"kind":"Name","value":"pgVersions"}}]}}]} as unknown as DocumentNode<ServerFieldsFragment, unknown>;
export const ServerInstanceFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ServerInstanceFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Instance"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"health"}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ServerInstanceFieldsFragment, unknown>;
export const PlanFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PlanFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Plan"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"cores"}},{"kind":"Field","name":{"kind":"Name","value":"memoryGb"}},{"kind":"Field","name":{"kind":"Name","value":"diskGb"}},{"kind":"Field","name":{"kind":"Name","value":"monthlyPrice"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"architecture"}},{"kind":"Field","name":{"kind":"Name","value":"regions"}},{"kind":"Field","name":{"kind":"Name","value":"deprecated"}}]}}]} as unknown as DocumentNode<PlanFieldsFragment, unknown>;
export const DrainPlanFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DrainPlanFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DrainPlan"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"blocked"}},{"kind":"Field","name":{"kind":"Name","value":"moves"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"position"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"instanceName"}},{"kind":"Field","name":{"kind":"Name","value":"memberId"}},{"kind":"Field","name":{"kind":"Name","value":"targetServerId"}},{"kind":"Field","name":{"kind":"Name","value":"targetServerName"}}]}}]}}]} as unknown as DocumentNode<DrainPlanFieldsFragment, unknown>;
export const InstanceMoveFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"InstanceMoveFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstanceMove"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"position"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"instance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"source"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"target"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lagBytes"}},{"kind":"Field","name":{"kind":"Name","value":"unavailableMs"}},{"kind":"Field","name":{"kind":"Name","value":"writesStoppedAt"}},{"kind":"Field","name":{"kind":"Name","value":"writesResumedAt"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]} as unknown as DocumentNode<InstanceMoveFieldsFragment, unknown>;
export const ScalingOperationFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ScalingOperationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ScalingOperation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"currentCount"}},{"kind":"Field","name":{"kind":"Name","value":"targetCount"}},{"kind":"Field","name":{"kind":"Name","value":"dryRun"}},{"kind":"Field","name":{"kind":"Name","value":"actions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"serverName"}},{"kind":"Field","name":{"kind":"Name","value":"monthlyCost"}}]}},{"kind":"Field","name":{"kind":"Name","value":"monthlyCostDelta"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}}]} as unknown as DocumentNode<ScalingOperationFieldsFragment, unknown>;
export const ClusterEventFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClusterEventFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ClusterEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ClusterEventFieldsFragment, unknown>;
export const ProjectFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProjectFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Project"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"myRole"}}]}}]} as unknown as DocumentNode<ProjectFieldsFragment, unknown>;
export const UserFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"isSiteAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"roles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"projectName"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]} as unknown as DocumentNode<UserFieldsFragment, unknown>;
export const MemberFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MemberFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Member"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"since"}}]}}]} as unknown as DocumentNode<MemberFieldsFragment, unknown>;
export const ApiTokenFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ApiTokenFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApiToken"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"active"}}]}}]} as unknown as DocumentNode<ApiTokenFieldsFragment, unknown>;
export const SigningKeyFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SigningKeyFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SigningKey"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kid"}},{"kind":"Field","name":{"kind":"Name","value":"algorithm"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"retireAfter"}},{"kind":"Field","name":{"kind":"Name","value":"configured"}}]}}]} as unknown as DocumentNode<SigningKeyFieldsFragment, unknown>;
export const AuditEntryFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AuditEntryFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEntry"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"actorUserId"}},{"kind":"Field","name":{"kind":"Name","value":"tokenId"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"targetId"}},{"kind":"Field","name":{"kind":"Name","value":"arguments"}},{"kind":"Field","name":{"kind":"Name","value":"sourceIp"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMessage"}}]}}]} as unknown as DocumentNode<AuditEntryFieldsFragment, unknown>;
export const RowSetFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"RowSetFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RowSet"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"columns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"dataType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rows"}},{"kind":"Field","name":{"kind":"Name","value":"truncated"}},{"kind":"Field","name":{"kind":"Name","value":"nextCursor"}}]}}]} as unknown as DocumentNode<RowSetFieldsFragment, unknown>;
export const ArchivingFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ArchivingFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Archiving"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lastArchivedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastFailedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}}]}}]} as unknown as DocumentNode<ArchivingFieldsFragment, unknown>;
export const BackupFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"BackupFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Backup"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"sizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"storedBytes"}},{"kind":"Field","name":{"kind":"Name","value":"label"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"operationId"}}]}}]} as unknown as DocumentNode<BackupFieldsFragment, unknown>;
export const RestoreDrillFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"RestoreDrillFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RestoreDrill"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"rtoMs"}},{"kind":"Field","name":{"kind":"Name","value":"rpoMs"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"scratchInstanceId"}},{"kind":"Field","name":{"kind":"Name","value":"operationId"}}]}}]} as unknown as DocumentNode<RestoreDrillFieldsFragment, unknown>;
export const ProjectQuotaFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProjectQuotaFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Project"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instances"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"servers"}},{"kind":"Field","name":{"kind":"Name","value":"standbys"}},{"kind":"Field","name":{"kind":"Name","value":"isDefault"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instances"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"servers"}},{"kind":"Field","name":{"kind":"Name","value":"standbys"}}]}}]}}]} as unknown as DocumentNode<ProjectQuotaFieldsFragment, unknown>;
export const LoginDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Login"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"email"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"login"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"email"},"value":{"kind":"Variable","name":{"kind":"Name","value":"email"}}},{"kind":"Argument","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"token"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"isSiteAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"roles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"projectName"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]}}]}}]} as unknown as DocumentNode<LoginMutation, LoginMutationVariables>;
export const InstancesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Instances"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"InstanceFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instances"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"health"}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"lastCheckedAt"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","alias":{"kind":"Name","value":"lastDrill"},"name":{"kind":"Name","value":"restoreDrills"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"LastDrillFields"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"LastDrillFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RestoreDrill"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}}]} as unknown as DocumentNode<InstancesQuery, InstancesQueryVariables>;
export const InstanceUpdatedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"InstanceUpdated"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instanceUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"health"}},{"kind":"Field","name":{"kind":"Name","value":"failureReason"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"lastCheckedAt"}},{"kind":"Field","name":{"kind":"Name","value":"serverVersion"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","alias":{"kind":"Name","value":"lastDrill"},"name":{"kind":"Name","value":"restoreDrills"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"LastDrillFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"LastDrillFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RestoreDrill"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}}]} as unknown as DocumentNode<InstanceUpdatedSubscription, InstanceUpdatedSubscriptionVariables>;
export const InstanceDetailDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"InstanceDetail"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"checks"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"serviceType"}},{"kind":"Field","name":{"kind":"Name","value":"statusMessage"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"health"}},{"kind":"Field","name":{"kind":"Name","value":"failureReason"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"database"}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"connectionString"}},{"kind":"Field","name":{"kind":"Name","value":"readOnlyConnectionString"}},{"kind":"Field","name":{"kind":"Name","value":"lastCheckedAt"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"serverVersion"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"restoredFrom"}},{"kind":"Field","name":{"kind":"Name","value":"members"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"InstanceMemberFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"highAvailability"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"HighAvailabilityFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"archiving"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ArchivingFields"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"lastDrill"},"name":{"kind":"Name","value":"restoreDrills"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"LastDrillFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"server"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"region"}}]}},{"kind":"Field","name":{"kind":"Name","value":"moves"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"InstanceMoveFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"healthChecks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"checks"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"checkedAt"}},{"kind":"Field","name":{"kind":"Name","value":"healthy"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"events"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ClusterEventFields"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"instancePlans"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"InstancePlanFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"InstanceMemberFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstanceMember"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"server"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"lagBytes"}},{"kind":"Field","name":{"kind":"Name","value":"replayLagMs"}},{"kind":"Field","name":{"kind":"Name","value":"checkedAt"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"HighAvailabilityFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"HighAvailability"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"standbys"}},{"kind":"Field","name":{"kind":"Name","value":"synchronous"}},{"kind":"Field","name":{"kind":"Name","value":"lastFailoverAt"}},{"kind":"Field","name":{"kind":"Name","value":"handovers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"planned"}},{"kind":"Field","name":{"kind":"Name","value":"fromMemberId"}},{"kind":"Field","name":{"kind":"Name","value":"toMemberId"}},{"kind":"Field","name":{"kind":"Name","value":"operationId"}},{"kind":"Field","name":{"kind":"Name","value":"writesStoppedAt"}},{"kind":"Field","name":{"kind":"Name","value":"writesResumedAt"}},{"kind":"Field","name":{"kind":"Name","value":"unavailableMs"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ArchivingFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Archiving"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lastArchivedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastFailedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"LastDrillFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RestoreDrill"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"InstanceMoveFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstanceMove"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"position"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"instance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"source"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"target"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lagBytes"}},{"kind":"Field","name":{"kind":"Name","value":"unavailableMs"}},{"kind":"Field","name":{"kind":"Name","value":"writesStoppedAt"}},{"kind":"Field","name":{"kind":"Name","value":"writesResumedAt"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClusterEventFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ClusterEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"InstancePlanFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstancePlan"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"cpuRequestMillis"}},{"kind":"Field","name":{"kind":"Name","value":"cpuLimitMillis"}},{"kind":"Field","name":{"kind":"Name","value":"memoryMib"}}]}}]} as unknown as DocumentNode<InstanceDetailQuery, InstanceDetailQueryVariables>;
export const AddStandbyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AddStandby"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"serverId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"addStandby"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"instanceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}}},{"kind":"Argument","name":{"kind":"Name","value":"serverId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"serverId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<AddStandbyMutation, AddStandbyMutationVariables>;
export const RemoveStandbyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RemoveStandby"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"memberId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeStandby"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"memberId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"memberId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<RemoveStandbyMutation, RemoveStandbyMutationVariables>;
export const SwitchoverDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Switchover"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"toMemberId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"switchover"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"instanceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}}},{"kind":"Argument","name":{"kind":"Name","value":"toMemberId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"toMemberId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<SwitchoverMutation, SwitchoverMutationVariables>;
export const FailoverDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Failover"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"force"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}},"defaultValue":{"kind":"BooleanValue","value":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"failover"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"instanceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}}},{"kind":"Argument","name":{"kind":"Name","value":"force"},"value":{"kind":"Variable","name":{"kind":"Name","value":"force"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<FailoverMutation, FailoverMutationVariables>;
export const InstanceOfferingsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"InstanceOfferings"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instanceProviders"}},{"kind":"Field","name":{"kind":"Name","value":"instancePlans"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"InstancePlanFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"InstancePlanFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstancePlan"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"cpuRequestMillis"}},{"kind":"Field","name":{"kind":"Name","value":"cpuLimitMillis"}},{"kind":"Field","name":{"kind":"Name","value":"memoryMib"}}]}}]} as unknown as DocumentNode<InstanceOfferingsQuery, InstanceOfferingsQueryVariables>;
export const VersionsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Versions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"provider"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Provider"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"versions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"provider"},"value":{"kind":"Variable","name":{"kind":"Name","value":"provider"}}}]}]}}]} as unknown as DocumentNode<VersionsQuery, VersionsQueryVariables>;
export const CreateInstanceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateInstance"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateInstanceInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createInstance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"state"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<CreateInstanceMutation, CreateInstanceMutationVariables>;
export const StopInstanceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"StopInstance"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stopInstance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<StopInstanceMutation, StopInstanceMutationVariables>;
export const StartInstanceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"StartInstance"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"startInstance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<StartInstanceMutation, StartInstanceMutationVariables>;
export const RestartInstanceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RestartInstance"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"restartInstance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<RestartInstanceMutation, RestartInstanceMutationVariables>;
export const DeleteInstanceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteInstance"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"retainStorage"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"purgeBackups"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteInstance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"retainStorage"},"value":{"kind":"Variable","name":{"kind":"Name","value":"retainStorage"}}},{"kind":"Argument","name":{"kind":"Name","value":"purgeBackups"},"value":{"kind":"Variable","name":{"kind":"Name","value":"purgeBackups"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<DeleteInstanceMutation, DeleteInstanceMutationVariables>;
export const OperationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Operations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"OperationFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"operations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"targetKind"}},{"kind":"Field","name":{"kind":"Name","value":"targetId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"maxAttempts"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]}}]}}]} as unknown as DocumentNode<OperationsQuery, OperationsQueryVariables>;
export const OperationDetailDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"OperationDetail"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"operation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OperationFull"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OperationFull"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Operation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"targetKind"}},{"kind":"Field","name":{"kind":"Name","value":"targetId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"maxAttempts"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"steps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"enteredAt"}}]}}]}}]} as unknown as DocumentNode<OperationDetailQuery, OperationDetailQueryVariables>;
export const OperationUpdatedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OperationUpdated"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"operationUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"OperationFull"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"OperationFull"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Operation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"targetKind"}},{"kind":"Field","name":{"kind":"Name","value":"targetId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"maxAttempts"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"steps"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"enteredAt"}}]}}]}}]} as unknown as DocumentNode<OperationUpdatedSubscription, OperationUpdatedSubscriptionVariables>;
export const ClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Cluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"step"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clusterHealth"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ClusterHealthFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"serverMetrics"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"step"},"value":{"kind":"Variable","name":{"kind":"Name","value":"step"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"cpuPercent"}},{"kind":"Field","name":{"kind":"Name","value":"memoryPercent"}}]}},{"kind":"Field","name":{"kind":"Name","value":"servers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","alias":{"kind":"Name","value":"removedServers"},"name":{"kind":"Name","value":"servers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"state"},"value":{"kind":"EnumValue","value":"REMOVED"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClusterHealthFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ClusterHealth"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cpuPercent"}},{"kind":"Field","name":{"kind":"Name","value":"memoryPercent"}},{"kind":"Field","name":{"kind":"Name","value":"sampledAt"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"available"}},{"kind":"Field","name":{"kind":"Name","value":"unavailableSince"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"servers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"cpuPercent"}},{"kind":"Field","name":{"kind":"Name","value":"memoryPercent"}},{"kind":"Field","name":{"kind":"Name","value":"sampledAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"instances"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"health"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]} as unknown as DocumentNode<ClusterQuery, ClusterQueryVariables>;
export const ClusterHealthUpdatedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ClusterHealthUpdated"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clusterHealthUpdated"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ClusterHealthFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClusterHealthFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ClusterHealth"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cpuPercent"}},{"kind":"Field","name":{"kind":"Name","value":"memoryPercent"}},{"kind":"Field","name":{"kind":"Name","value":"sampledAt"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"available"}},{"kind":"Field","name":{"kind":"Name","value":"unavailableSince"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"servers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"cpuPercent"}},{"kind":"Field","name":{"kind":"Name","value":"memoryPercent"}},{"kind":"Field","name":{"kind":"Name","value":"sampledAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"instances"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"health"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}}]}}]} as unknown as DocumentNode<ClusterHealthUpdatedSubscription, ClusterHealthUpdatedSubscriptionVariables>;
export const ServersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Servers"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ServerFilterInput"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"servers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ServerFields"}},{"kind":"Field","name":{"kind":"Name","value":"instanceCount"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ServerFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Server"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"providerId"}},{"kind":"Field","name":{"kind":"Name","value":"vmName"}},{"kind":"Field","name":{"kind":"Name","value":"ipv4"}},{"kind":"Field","name":{"kind":"Name","value":"ipv6"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"failureReason"}},{"kind":"Field","name":{"kind":"Name","value":"template"}},{"kind":"Field","name":{"kind":"Name","value":"image"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"stateChangedAt"}},{"kind":"Field","name":{"kind":"Name","value":"removedAt"}},{"kind":"Field","name":{"kind":"Name","value":"sshPort"}},{"kind":"Field","name":{"kind":"Name","value":"sshUser"}},{"kind":"Field","name":{"kind":"Name","value":"sshHostKey"}},{"kind":"Field","name":{"kind":"Name","value":"sshPublicKey"}},{"kind":"Field","name":{"kind":"Name","value":"memoryGb"}},{"kind":"Field","name":{"kind":"Name","value":"diskGb"}},{"kind":"Field","name":{"kind":"Name","value":"pgVersions"}}]}}]} as unknown as DocumentNode<ServersQuery, ServersQueryVariables>;
export const ConfiguredProvidersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ConfiguredProviders"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"configuredProviders"}}]}}]} as unknown as DocumentNode<ConfiguredProvidersQuery, ConfiguredProvidersQueryVariables>;
export const ServerUpdatedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ServerUpdated"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serverUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ServerFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ServerFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Server"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"providerId"}},{"kind":"Field","name":{"kind":"Name","value":"vmName"}},{"kind":"Field","name":{"kind":"Name","value":"ipv4"}},{"kind":"Field","name":{"kind":"Name","value":"ipv6"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"failureReason"}},{"kind":"Field","name":{"kind":"Name","value":"template"}},{"kind":"Field","name":{"kind":"Name","value":"image"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"stateChangedAt"}},{"kind":"Field","name":{"kind":"Name","value":"removedAt"}},{"kind":"Field","name":{"kind":"Name","value":"sshPort"}},{"kind":"Field","name":{"kind":"Name","value":"sshUser"}},{"kind":"Field","name":{"kind":"Name","value":"sshHostKey"}},{"kind":"Field","name":{"kind":"Name","value":"sshPublicKey"}},{"kind":"Field","name":{"kind":"Name","value":"memoryGb"}},{"kind":"Field","name":{"kind":"Name","value":"diskGb"}},{"kind":"Field","name":{"kind":"Name","value":"pgVersions"}}]}}]} as unknown as DocumentNode<ServerUpdatedSubscription, ServerUpdatedSubscriptionVariables>;
export const ServerInstanceUpdatedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ServerInstanceUpdated"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instanceUpdated"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ServerInstanceFields"}},{"kind":"Field","name":{"kind":"Name","value":"server"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ServerInstanceFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Instance"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"health"}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ServerInstanceUpdatedSubscription, ServerInstanceUpdatedSubscriptionVariables>;
export const ServerDetailDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ServerDetail"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"server"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ServerFields"}},{"kind":"Field","name":{"kind":"Name","value":"labels"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}},{"kind":"Field","name":{"kind":"Name","value":"instanceCount"}},{"kind":"Field","name":{"kind":"Name","value":"instances"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ServerInstanceFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"latestMetrics"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cpuPercent"}},{"kind":"Field","name":{"kind":"Name","value":"memoryPercent"}},{"kind":"Field","name":{"kind":"Name","value":"sampledAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"attempts"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ServerFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Server"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"providerId"}},{"kind":"Field","name":{"kind":"Name","value":"vmName"}},{"kind":"Field","name":{"kind":"Name","value":"ipv4"}},{"kind":"Field","name":{"kind":"Name","value":"ipv6"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"failureReason"}},{"kind":"Field","name":{"kind":"Name","value":"template"}},{"kind":"Field","name":{"kind":"Name","value":"image"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"stateChangedAt"}},{"kind":"Field","name":{"kind":"Name","value":"removedAt"}},{"kind":"Field","name":{"kind":"Name","value":"sshPort"}},{"kind":"Field","name":{"kind":"Name","value":"sshUser"}},{"kind":"Field","name":{"kind":"Name","value":"sshHostKey"}},{"kind":"Field","name":{"kind":"Name","value":"sshPublicKey"}},{"kind":"Field","name":{"kind":"Name","value":"memoryGb"}},{"kind":"Field","name":{"kind":"Name","value":"diskGb"}},{"kind":"Field","name":{"kind":"Name","value":"pgVersions"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ServerInstanceFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Instance"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"health"}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"port"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<ServerDetailQuery, ServerDetailQueryVariables>;
export const FleetSetupDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"FleetSetup"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"configuredProviders"}},{"kind":"Field","name":{"kind":"Name","value":"serverTemplates"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}}]}}]}}]} as unknown as DocumentNode<FleetSetupQuery, FleetSetupQueryVariables>;
export const CloudOfferingsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CloudOfferings"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"provider"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CloudProvider"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"plans"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"provider"},"value":{"kind":"Variable","name":{"kind":"Name","value":"provider"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"PlanFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"regions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"provider"},"value":{"kind":"Variable","name":{"kind":"Name","value":"provider"}}}]}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PlanFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Plan"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"cores"}},{"kind":"Field","name":{"kind":"Name","value":"memoryGb"}},{"kind":"Field","name":{"kind":"Name","value":"diskGb"}},{"kind":"Field","name":{"kind":"Name","value":"monthlyPrice"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"architecture"}},{"kind":"Field","name":{"kind":"Name","value":"regions"}},{"kind":"Field","name":{"kind":"Name","value":"deprecated"}}]}}]} as unknown as DocumentNode<CloudOfferingsQuery, CloudOfferingsQueryVariables>;
export const ProvisionServerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ProvisionServer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ProvisionServerInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"provisionServer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"server"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"state"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<ProvisionServerMutation, ProvisionServerMutationVariables>;
export const DrainServerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DrainServer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"dryRun"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"drainServer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"dryRun"},"value":{"kind":"Variable","name":{"kind":"Name","value":"dryRun"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dryRun"}},{"kind":"Field","name":{"kind":"Name","value":"plan"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"DrainPlanFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DrainPlanFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DrainPlan"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"blocked"}},{"kind":"Field","name":{"kind":"Name","value":"moves"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"position"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"instanceName"}},{"kind":"Field","name":{"kind":"Name","value":"memberId"}},{"kind":"Field","name":{"kind":"Name","value":"targetServerId"}},{"kind":"Field","name":{"kind":"Name","value":"targetServerName"}}]}}]}}]} as unknown as DocumentNode<DrainServerMutation, DrainServerMutationVariables>;
export const RegisterServerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RegisterServer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RegisterServerInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"registerServer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"server"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"state"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<RegisterServerMutation, RegisterServerMutationVariables>;
export const DrainProgressDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"DrainProgress"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"operation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"targetId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"moves"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"InstanceMoveFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"InstanceMoveFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstanceMove"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"position"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"instance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"source"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"target"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lagBytes"}},{"kind":"Field","name":{"kind":"Name","value":"unavailableMs"}},{"kind":"Field","name":{"kind":"Name","value":"writesStoppedAt"}},{"kind":"Field","name":{"kind":"Name","value":"writesResumedAt"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]} as unknown as DocumentNode<DrainProgressQuery, DrainProgressQueryVariables>;
export const MoveProgressDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MoveProgress"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"operation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"targetId"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"move"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"InstanceMoveFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"InstanceMoveFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InstanceMove"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"position"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"instance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"source"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"target"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"error"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lagBytes"}},{"kind":"Field","name":{"kind":"Name","value":"unavailableMs"}},{"kind":"Field","name":{"kind":"Name","value":"writesStoppedAt"}},{"kind":"Field","name":{"kind":"Name","value":"writesResumedAt"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}}]} as unknown as DocumentNode<MoveProgressQuery, MoveProgressQueryVariables>;
export const MoveInstanceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"MoveInstance"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"serverId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"moveInstance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"serverId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"serverId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<MoveInstanceMutation, MoveInstanceMutationVariables>;
export const ActiveServersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ActiveServers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"servers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"state"},"value":{"kind":"EnumValue","value":"ACTIVE"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"sshHostKey"}},{"kind":"Field","name":{"kind":"Name","value":"memoryGb"}},{"kind":"Field","name":{"kind":"Name","value":"diskGb"}},{"kind":"Field","name":{"kind":"Name","value":"pgVersions"}},{"kind":"Field","name":{"kind":"Name","value":"instanceCount"}}]}}]}}]}}]} as unknown as DocumentNode<ActiveServersQuery, ActiveServersQueryVariables>;
export const RemoveServerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RemoveServer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeServer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<RemoveServerMutation, RemoveServerMutationVariables>;
export const RefreshPlansDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RefreshPlans"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"provider"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CloudProvider"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"refreshPlans"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"provider"},"value":{"kind":"Variable","name":{"kind":"Name","value":"provider"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<RefreshPlansMutation, RefreshPlansMutationVariables>;
export const ScaleClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ScaleCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"provider"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CloudProvider"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"plan"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"region"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"count"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"dryRun"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"scaleCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"provider"},"value":{"kind":"Variable","name":{"kind":"Name","value":"provider"}}},{"kind":"Argument","name":{"kind":"Name","value":"plan"},"value":{"kind":"Variable","name":{"kind":"Name","value":"plan"}}},{"kind":"Argument","name":{"kind":"Name","value":"region"},"value":{"kind":"Variable","name":{"kind":"Name","value":"region"}}},{"kind":"Argument","name":{"kind":"Name","value":"count"},"value":{"kind":"Variable","name":{"kind":"Name","value":"count"}}},{"kind":"Argument","name":{"kind":"Name","value":"dryRun"},"value":{"kind":"Variable","name":{"kind":"Name","value":"dryRun"}}},{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ScalingOperationFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ScalingOperationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ScalingOperation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"currentCount"}},{"kind":"Field","name":{"kind":"Name","value":"targetCount"}},{"kind":"Field","name":{"kind":"Name","value":"dryRun"}},{"kind":"Field","name":{"kind":"Name","value":"actions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"serverName"}},{"kind":"Field","name":{"kind":"Name","value":"monthlyCost"}}]}},{"kind":"Field","name":{"kind":"Name","value":"monthlyCostDelta"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}}]} as unknown as DocumentNode<ScaleClusterMutation, ScaleClusterMutationVariables>;
export const ScalingOperationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ScalingOperations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"scalingOperations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ScalingOperationFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ScalingOperationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ScalingOperation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"provider"}},{"kind":"Field","name":{"kind":"Name","value":"plan"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"currentCount"}},{"kind":"Field","name":{"kind":"Name","value":"targetCount"}},{"kind":"Field","name":{"kind":"Name","value":"dryRun"}},{"kind":"Field","name":{"kind":"Name","value":"actions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"order"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"serverName"}},{"kind":"Field","name":{"kind":"Name","value":"monthlyCost"}}]}},{"kind":"Field","name":{"kind":"Name","value":"monthlyCostDelta"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}}]} as unknown as DocumentNode<ScalingOperationsQuery, ScalingOperationsQueryVariables>;
export const ClusterEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ClusterEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"serverId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clusterEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"serverId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"serverId"}}},{"kind":"Argument","name":{"kind":"Name","value":"instanceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ClusterEventFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClusterEventFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ClusterEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ClusterEventsQuery, ClusterEventsQueryVariables>;
export const ClusterEventAddedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ClusterEventAdded"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"serverId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clusterEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"serverId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"serverId"}}},{"kind":"Argument","name":{"kind":"Name","value":"instanceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ClusterEventFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ClusterEventFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ClusterEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"instanceId"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"severity"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<ClusterEventAddedSubscription, ClusterEventAddedSubscriptionVariables>;
export const ProjectsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Projects"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"projects"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ProjectFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"isSiteAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"roles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"projectName"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProjectFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Project"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"myRole"}}]}}]} as unknown as DocumentNode<ProjectsQuery, ProjectsQueryVariables>;
export const CreateProjectDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateProject"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createProject"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ProjectFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProjectFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Project"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"myRole"}}]}}]} as unknown as DocumentNode<CreateProjectMutation, CreateProjectMutationVariables>;
export const RenameProjectDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RenameProject"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"renameProject"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ProjectFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProjectFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Project"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"myRole"}}]}}]} as unknown as DocumentNode<RenameProjectMutation, RenameProjectMutationVariables>;
export const DeleteProjectDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteProject"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteProject"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<DeleteProjectMutation, DeleteProjectMutationVariables>;
export const ProjectMembersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ProjectMembers"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"withUsers"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"project"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ProjectFields"}},{"kind":"Field","name":{"kind":"Name","value":"members"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"MemberFields"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"users"},"directives":[{"kind":"Directive","name":{"kind":"Name","value":"include"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"if"},"value":{"kind":"Variable","name":{"kind":"Name","value":"withUsers"}}}]}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProjectFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Project"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"myRole"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MemberFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Member"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"since"}}]}}]} as unknown as DocumentNode<ProjectMembersQuery, ProjectMembersQueryVariables>;
export const SetMemberRoleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetMemberRole"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"role"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Role"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setMemberRole"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"role"},"value":{"kind":"Variable","name":{"kind":"Name","value":"role"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"MemberFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MemberFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Member"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"since"}}]}}]} as unknown as DocumentNode<SetMemberRoleMutation, SetMemberRoleMutationVariables>;
export const RemoveMemberDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RemoveMember"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeMember"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"MemberFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MemberFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Member"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"since"}}]}}]} as unknown as DocumentNode<RemoveMemberMutation, RemoveMemberMutationVariables>;
export const ProjectTokensDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ProjectTokens"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"withTokens"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"project"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ProjectFields"}},{"kind":"Field","name":{"kind":"Name","value":"apiTokens"},"directives":[{"kind":"Directive","name":{"kind":"Name","value":"include"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"if"},"value":{"kind":"Variable","name":{"kind":"Name","value":"withTokens"}}}]}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ApiTokenFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProjectFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Project"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"myRole"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ApiTokenFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApiToken"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"active"}}]}}]} as unknown as DocumentNode<ProjectTokensQuery, ProjectTokensQueryVariables>;
export const CreateApiTokenDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateApiToken"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"role"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Role"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"expiresAt"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createApiToken"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}},{"kind":"Argument","name":{"kind":"Name","value":"role"},"value":{"kind":"Variable","name":{"kind":"Name","value":"role"}}},{"kind":"Argument","name":{"kind":"Name","value":"expiresAt"},"value":{"kind":"Variable","name":{"kind":"Name","value":"expiresAt"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"token"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ApiTokenFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"secret"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ApiTokenFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApiToken"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"active"}}]}}]} as unknown as DocumentNode<CreateApiTokenMutation, CreateApiTokenMutationVariables>;
export const RevokeApiTokenDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RevokeApiToken"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revokeApiToken"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ApiTokenFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ApiTokenFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ApiToken"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"revokedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastUsedAt"}},{"kind":"Field","name":{"kind":"Name","value":"active"}}]}}]} as unknown as DocumentNode<RevokeApiTokenMutation, RevokeApiTokenMutationVariables>;
export const UsersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Users"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"users"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"isSiteAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"roles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"projectName"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]} as unknown as DocumentNode<UsersQuery, UsersQueryVariables>;
export const CreateUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"email"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"siteAdmin"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"email"},"value":{"kind":"Variable","name":{"kind":"Name","value":"email"}}},{"kind":"Argument","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}},{"kind":"Argument","name":{"kind":"Name","value":"siteAdmin"},"value":{"kind":"Variable","name":{"kind":"Name","value":"siteAdmin"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"isSiteAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"roles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"projectName"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]} as unknown as DocumentNode<CreateUserMutation, CreateUserMutationVariables>;
export const DisableUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DisableUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"disableUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"isSiteAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"roles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"projectName"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]} as unknown as DocumentNode<DisableUserMutation, DisableUserMutationVariables>;
export const EnableUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"EnableUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enableUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"UserFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"UserFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"isSiteAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"disabled"}},{"kind":"Field","name":{"kind":"Name","value":"roles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"projectName"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]} as unknown as DocumentNode<EnableUserMutation, EnableUserMutationVariables>;
export const DeleteUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}]}}]} as unknown as DocumentNode<DeleteUserMutation, DeleteUserMutationVariables>;
export const ResetPasswordDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ResetPassword"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"password"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resetPassword"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"password"},"value":{"kind":"Variable","name":{"kind":"Name","value":"password"}}}]}]}}]} as unknown as DocumentNode<ResetPasswordMutation, ResetPasswordMutationVariables>;
export const ChangePasswordDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ChangePassword"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"newPassword"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"changePassword"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"currentPassword"},"value":{"kind":"Variable","name":{"kind":"Name","value":"currentPassword"}}},{"kind":"Argument","name":{"kind":"Name","value":"newPassword"},"value":{"kind":"Variable","name":{"kind":"Name","value":"newPassword"}}}]}]}}]} as unknown as DocumentNode<ChangePasswordMutation, ChangePasswordMutationVariables>;
export const SigningKeysDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SigningKeys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"signingKeys"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SigningKeyFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SigningKeyFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SigningKey"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kid"}},{"kind":"Field","name":{"kind":"Name","value":"algorithm"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"retireAfter"}},{"kind":"Field","name":{"kind":"Name","value":"configured"}}]}}]} as unknown as DocumentNode<SigningKeysQuery, SigningKeysQueryVariables>;
export const RotateSigningKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RotateSigningKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rotateSigningKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SigningKeyFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SigningKeyFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SigningKey"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kid"}},{"kind":"Field","name":{"kind":"Name","value":"algorithm"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"retireAfter"}},{"kind":"Field","name":{"kind":"Name","value":"configured"}}]}}]} as unknown as DocumentNode<RotateSigningKeyMutation, RotateSigningKeyMutationVariables>;
export const AuditLogDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuditLog"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditLog"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AuditEntryFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AuditEntryFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AuditEntry"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"actorUserId"}},{"kind":"Field","name":{"kind":"Name","value":"tokenId"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"targetId"}},{"kind":"Field","name":{"kind":"Name","value":"arguments"}},{"kind":"Field","name":{"kind":"Name","value":"sourceIp"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMessage"}}]}}]} as unknown as DocumentNode<AuditLogQuery, AuditLogQueryVariables>;
export const InstanceTablesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"InstanceTables"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"tables"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"schema"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"estimatedRows"}},{"kind":"Field","name":{"kind":"Name","value":"sizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"columns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"dataType"}},{"kind":"Field","name":{"kind":"Name","value":"nullable"}},{"kind":"Field","name":{"kind":"Name","value":"default"}},{"kind":"Field","name":{"kind":"Name","value":"primaryKey"}}]}},{"kind":"Field","name":{"kind":"Name","value":"indexes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"definition"}},{"kind":"Field","name":{"kind":"Name","value":"unique"}},{"kind":"Field","name":{"kind":"Name","value":"primary"}}]}}]}}]}}]}}]} as unknown as DocumentNode<InstanceTablesQuery, InstanceTablesQueryVariables>;
export const InstanceRowsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"InstanceRows"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"table"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"schema"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"rows"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"table"},"value":{"kind":"Variable","name":{"kind":"Name","value":"table"}}},{"kind":"Argument","name":{"kind":"Name","value":"schema"},"value":{"kind":"Variable","name":{"kind":"Name","value":"schema"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"RowSetFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"RowSetFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RowSet"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"columns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"dataType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rows"}},{"kind":"Field","name":{"kind":"Name","value":"truncated"}},{"kind":"Field","name":{"kind":"Name","value":"nextCursor"}}]}}]} as unknown as DocumentNode<InstanceRowsQuery, InstanceRowsQueryVariables>;
export const RunReadOnlyQueryDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RunReadOnlyQuery"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"sql"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runReadOnlyQuery"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"instanceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}}},{"kind":"Argument","name":{"kind":"Name","value":"sql"},"value":{"kind":"Variable","name":{"kind":"Name","value":"sql"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"RowSetFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"RowSetFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RowSet"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"columns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"dataType"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rows"}},{"kind":"Field","name":{"kind":"Name","value":"truncated"}},{"kind":"Field","name":{"kind":"Name","value":"nextCursor"}}]}}]} as unknown as DocumentNode<RunReadOnlyQueryMutation, RunReadOnlyQueryMutationVariables>;
export const InstanceBackupsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"InstanceBackups"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"drills"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"backupPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"schedule"}},{"kind":"Field","name":{"kind":"Name","value":"retentionDays"}}]}},{"kind":"Field","name":{"kind":"Name","value":"earliestRestoreTime"}},{"kind":"Field","name":{"kind":"Name","value":"latestRestoreTime"}},{"kind":"Field","name":{"kind":"Name","value":"archiving"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ArchivingFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"backups"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"BackupFields"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"restoreDrills"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"drills"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"RestoreDrillFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ArchivingFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Archiving"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lastArchivedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastFailedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastError"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"BackupFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Backup"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"sizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"storedBytes"}},{"kind":"Field","name":{"kind":"Name","value":"label"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"operationId"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"RestoreDrillFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RestoreDrill"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"rtoMs"}},{"kind":"Field","name":{"kind":"Name","value":"rpoMs"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"scratchInstanceId"}},{"kind":"Field","name":{"kind":"Name","value":"operationId"}}]}}]} as unknown as DocumentNode<InstanceBackupsQuery, InstanceBackupsQueryVariables>;
export const InstanceBackupsPageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"InstanceBackupsPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"backups"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"BackupFields"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"BackupFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Backup"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"sizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"storedBytes"}},{"kind":"Field","name":{"kind":"Name","value":"label"}},{"kind":"Field","name":{"kind":"Name","value":"error"}},{"kind":"Field","name":{"kind":"Name","value":"operationId"}}]}}]} as unknown as DocumentNode<InstanceBackupsPageQuery, InstanceBackupsPageQueryVariables>;
export const CreateBackupDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateBackup"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"kind"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"BackupKind"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createBackup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"instanceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}}},{"kind":"Argument","name":{"kind":"Name","value":"kind"},"value":{"kind":"Variable","name":{"kind":"Name","value":"kind"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<CreateBackupMutation, CreateBackupMutationVariables>;
export const SetBackupPolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetBackupPolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"schedule"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"retentionDays"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setBackupPolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"instanceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}}},{"kind":"Argument","name":{"kind":"Name","value":"schedule"},"value":{"kind":"Variable","name":{"kind":"Name","value":"schedule"}}},{"kind":"Argument","name":{"kind":"Name","value":"retentionDays"},"value":{"kind":"Variable","name":{"kind":"Name","value":"retentionDays"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"schedule"}},{"kind":"Field","name":{"kind":"Name","value":"retentionDays"}}]}}]}}]} as unknown as DocumentNode<SetBackupPolicyMutation, SetBackupPolicyMutationVariables>;
export const RestoreInstanceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RestoreInstance"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RestoreInstanceInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"restoreInstance"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"state"}}]}},{"kind":"Field","name":{"kind":"Name","value":"operation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]} as unknown as DocumentNode<RestoreInstanceMutation, RestoreInstanceMutationVariables>;
export const RunRestoreDrillDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RunRestoreDrill"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runRestoreDrill"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"instanceId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"instanceId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<RunRestoreDrillMutation, RunRestoreDrillMutationVariables>;
export const RestoreDrillPolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"RestoreDrillPolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"restoreDrillPolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}}]}}]}}]} as unknown as DocumentNode<RestoreDrillPolicyQuery, RestoreDrillPolicyQueryVariables>;
export const SetRestoreDrillPolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetRestoreDrillPolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"schedule"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setRestoreDrillPolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"schedule"},"value":{"kind":"Variable","name":{"kind":"Name","value":"schedule"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}}]}}]}}]} as unknown as DocumentNode<SetRestoreDrillPolicyMutation, SetRestoreDrillPolicyMutationVariables>;
export const ProjectQuotaDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ProjectQuota"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"project"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ProjectQuotaFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProjectQuotaFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Project"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instances"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"servers"}},{"kind":"Field","name":{"kind":"Name","value":"standbys"}},{"kind":"Field","name":{"kind":"Name","value":"isDefault"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instances"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"servers"}},{"kind":"Field","name":{"kind":"Name","value":"standbys"}}]}}]}}]} as unknown as DocumentNode<ProjectQuotaQuery, ProjectQuotaQueryVariables>;
export const SetProjectQuotaDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetProjectQuota"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ProjectQuotaInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setProjectQuota"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ProjectQuotaFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProjectQuotaFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Project"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"quota"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instances"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"servers"}},{"kind":"Field","name":{"kind":"Name","value":"standbys"}},{"kind":"Field","name":{"kind":"Name","value":"isDefault"}}]}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"instances"}},{"kind":"Field","name":{"kind":"Name","value":"storageGb"}},{"kind":"Field","name":{"kind":"Name","value":"servers"}},{"kind":"Field","name":{"kind":"Name","value":"standbys"}}]}}]}}]} as unknown as DocumentNode<SetProjectQuotaMutation, SetProjectQuotaMutationVariables>;
export const CertificateAuthorityDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CertificateAuthority"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"certificateAuthority"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pem"}}]}}]}}]} as unknown as DocumentNode<CertificateAuthorityQuery, CertificateAuthorityQueryVariables>;