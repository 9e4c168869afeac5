import { graphql } from '../gql';

// Every GraphQL document the dashboard sends. `npm run codegen` types them from ../schema.graphql.

export const LoginMutation = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
      expiresAt
      user {
        id
        email
        isSiteAdmin
        roles {
          projectId
          projectName
          role
        }
      }
    }
  }
`);

export const InstancesQuery = graphql(`
  query Instances($first: Int, $after: String, $filter: InstanceFilter) {
    instances(first: $first, after: $after, filter: $filter) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        projectId
        name
        provider
        plan
        version
        storageGb
        state
        health
        host
        port
        latencyMs
        lastCheckedAt
        createdAt
        updatedAt
        lastDrill: restoreDrills(first: 1) {
          ...LastDrillFields
        }
      }
    }
  }
`);

/** An instance's newest restore drill: the list and the header show a failed one in red. */
export const LastDrillFields = graphql(`
  fragment LastDrillFields on RestoreDrill {
    id
    status
    at
    error
  }
`);

export const InstanceUpdatedSubscription = graphql(`
  subscription InstanceUpdated($id: ID) {
    instanceUpdated(id: $id) {
      id
      name
      state
      health
      failureReason
      statusMessage
      host
      port
      latencyMs
      lastCheckedAt
      serverVersion
      updatedAt
      lastDrill: restoreDrills(first: 1) {
        ...LastDrillFields
      }
    }
  }
`);

export const InstanceDetailQuery = graphql(`
  query InstanceDetail($id: ID!, $checks: Int!) {
    instance(id: $id) {
      id
      projectId
      name
      provider
      plan
      serviceType
      statusMessage
      version
      storageGb
      state
      health
      failureReason
      username
      database
      host
      port
      connectionString
      readOnlyConnectionString
      lastCheckedAt
      latencyMs
      serverVersion
      createdAt
      updatedAt
      restoredFrom
      members {
        ...InstanceMemberFields
      }
      highAvailability {
        ...HighAvailabilityFields
      }
      archiving {
        ...ArchivingFields
      }
      lastDrill: restoreDrills(first: 1) {
        ...LastDrillFields
      }
      server {
        id
        name
        state
        region
      }
      moves(first: 10) {
        ...InstanceMoveFields
      }
      healthChecks(last: $checks) {
        checkedAt
        healthy
        latencyMs
        error
      }
      operations(first: 10) {
        id
        kind
        status
        step
        attempts
        error
        createdAt
        finishedAt
      }
      events(first: 20) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ...ClusterEventFields
        }
      }
    }
    instancePlans {
      ...InstancePlanFields
    }
  }
`);

/** A member of an instance (its primary or a standby), as the High availability card shows it. */
export const InstanceMemberFields = graphql(`
  fragment InstanceMemberFields on InstanceMember {
    id
    role
    server {
      id
      name
    }
    host
    port
    state
    lagBytes
    replayLagMs
    checkedAt
  }
`);

/** How an instance stays available: its standbys, whether commits wait, its handovers. */
export const HighAvailabilityFields = graphql(`
  fragment HighAvailabilityFields on HighAvailability {
    standbys
    synchronous
    lastFailoverAt
    handovers(first: 10) {
      id
      planned
      fromMemberId
      toMemberId
      operationId
      writesStoppedAt
      writesResumedAt
      unavailableMs
      createdAt
      finishedAt
    }
  }
`);

export const AddStandbyMutation = graphql(`
  mutation AddStandby($instanceId: ID!, $serverId: ID) {
    addStandby(instanceId: $instanceId, serverId: $serverId) {
      id
      kind
      status
    }
  }
`);

export const RemoveStandbyMutation = graphql(`
  mutation RemoveStandby($memberId: ID!) {
    removeStandby(memberId: $memberId) {
      id
      kind
      status
    }
  }
`);

export const SwitchoverMutation = graphql(`
  mutation Switchover($instanceId: ID!, $toMemberId: ID) {
    switchover(instanceId: $instanceId, toMemberId: $toMemberId) {
      id
      kind
      status
    }
  }
`);

export const FailoverMutation = graphql(`
  mutation Failover($instanceId: ID!, $force: Boolean! = false) {
    failover(instanceId: $instanceId, force: $force) {
      id
      kind
      status
    }
  }
`);

export const InstancePlanFields = graphql(`
  fragment InstancePlanFields on InstancePlan {
    name
    cpuRequestMillis
    cpuLimitMillis
    memoryMib
  }
`);

/** What the create form offers: where instances can run, and their plans. */
export const InstanceOfferingsQuery = graphql(`
  query InstanceOfferings {
    instanceProviders
    instancePlans {
      ...InstancePlanFields
    }
  }
`);

export const VersionsQuery = graphql(`
  query Versions($provider: Provider) {
    versions(provider: $provider)
  }
`);

export const CreateInstanceMutation = graphql(`
  mutation CreateInstance($input: CreateInstanceInput!) {
    createInstance(input: $input) {
      instance {
        id
        name
        state
      }
      operation {
        id
      }
    }
  }
`);

export const StopInstanceMutation = graphql(`
  mutation StopInstance($id: ID!) {
    stopInstance(id: $id) {
      id
      kind
      status
    }
  }
`);

export const StartInstanceMutation = graphql(`
  mutation StartInstance($id: ID!) {
    startInstance(id: $id) {
      id
      kind
      status
    }
  }
`);

export const RestartInstanceMutation = graphql(`
  mutation RestartInstance($id: ID!) {
    restartInstance(id: $id) {
      id
      kind
      status
    }
  }
`);

export const DeleteInstanceMutation = graphql(`
  mutation DeleteInstance($id: ID!, $retainStorage: Boolean, $purgeBackups: Boolean) {
    deleteInstance(id: $id, retainStorage: $retainStorage, purgeBackups: $purgeBackups) {
      id
      kind
      status
    }
  }
`);

export const OperationsQuery = graphql(`
  query Operations($first: Int, $after: String, $filter: OperationFilter) {
    operations(first: $first, after: $after, filter: $filter) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        kind
        targetKind
        targetId
        status
        step
        attempts
        maxAttempts
        error
        createdAt
        updatedAt
        finishedAt
      }
    }
  }
`);

export const OperationDetailQuery = graphql(`
  query OperationDetail($id: ID!) {
    operation(id: $id) {
      ...OperationFull
    }
  }
`);

export const OperationFullFragment = graphql(`
  fragment OperationFull on Operation {
    id
    projectId
    kind
    targetKind
    targetId
    status
    step
    attempts
    maxAttempts
    error
    createdAt
    updatedAt
    startedAt
    finishedAt
    steps {
      seq
      step
      enteredAt
    }
  }
`);

export const OperationUpdatedSubscription = graphql(`
  subscription OperationUpdated($id: ID) {
    operationUpdated(id: $id) {
      ...OperationFull
    }
  }
`);

export const ClusterHealthFields = graphql(`
  fragment ClusterHealthFields on ClusterHealth {
    cpuPercent
    memoryPercent
    sampledAt
    source
    available
    unavailableSince
    message
    servers {
      serverId
      cpuPercent
      memoryPercent
      sampledAt
    }
    instances {
      state
      health
      count
    }
  }
`);

export const ClusterQuery = graphql(`
  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {
    clusterHealth {
      ...ClusterHealthFields
    }
    serverMetrics(from: $from, to: $to, step: $step) {
      at
      cpuPercent
      memoryPercent
    }
    # Names for the server ids in the per-server figures and the fleet events; removed
    # servers are listed only when asked for by state.
    servers(first: 100) {
      nodes {
        id
        name
      }
    }
    removedServers: servers(first: 100, filter: { state: REMOVED }) {
      nodes {
        id
        name
      }
    }
  }
`);

export const ClusterHealthUpdatedSubscription = graphql(`
  subscription ClusterHealthUpdated {
    clusterHealthUpdated {
      ...ClusterHealthFields
    }
  }
`);

// The server fleet.

export const ServerFields = graphql(`
  fragment ServerFields on Server {
    id
    projectId
    name
    provider
    plan
    region
    providerId
    vmName
    ipv4
    ipv6
    state
    failureReason
    template
    image
    createdAt
    updatedAt
    stateChangedAt
    removedAt
    sshPort
    sshUser
    sshHostKey
    sshPublicKey
    memoryGb
    diskGb
    pgVersions
  }
`);

export const ServersQuery = graphql(`
  query Servers($first: Int, $after: String, $filter: ServerFilterInput) {
    servers(first: $first, after: $after, filter: $filter) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...ServerFields
        instanceCount
      }
    }
  }
`);

export const ConfiguredProvidersQuery = graphql(`
  query ConfiguredProviders {
    configuredProviders
  }
`);

export const ServerUpdatedSubscription = graphql(`
  subscription ServerUpdated($id: ID) {
    serverUpdated(id: $id) {
      ...ServerFields
    }
  }
`);

/** An instance as its server's page lists it. */
export const ServerInstanceFields = graphql(`
  fragment ServerInstanceFields on Instance {
    id
    name
    state
    health
    host
    port
    plan
    storageGb
    version
    updatedAt
  }
`);

/** Instances' changes, with the server each is on now (to see them arrive at or leave a server). */
export const ServerInstanceUpdatedSubscription = graphql(`
  subscription ServerInstanceUpdated {
    instanceUpdated {
      ...ServerInstanceFields
      server {
        id
      }
    }
  }
`);

export const ServerDetailQuery = graphql(`
  query ServerDetail($id: ID!) {
    server(id: $id) {
      ...ServerFields
      labels {
        key
        value
      }
      instanceCount
      instances {
        ...ServerInstanceFields
      }
      latestMetrics {
        cpuPercent
        memoryPercent
        sampledAt
      }
      operations(first: 10) {
        id
        kind
        status
        step
        attempts
        error
        createdAt
        finishedAt
      }
    }
  }
`);

export const PlanFields = graphql(`
  fragment PlanFields on Plan {
    name
    cores
    memoryGb
    diskGb
    monthlyPrice
    currency
    architecture
    regions
    deprecated
  }
`);

export const FleetSetupQuery = graphql(`
  query FleetSetup {
    configuredProviders
    serverTemplates {
      name
      description
    }
  }
`);

export const CloudOfferingsQuery = graphql(`
  query CloudOfferings($provider: CloudProvider!) {
    plans(provider: $provider) {
      ...PlanFields
    }
    regions(provider: $provider)
  }
`);

export const ProvisionServerMutation = graphql(`
  mutation ProvisionServer($input: ProvisionServerInput!) {
    provisionServer(input: $input) {
      server {
        id
        name
        state
      }
      operation {
        id
      }
    }
  }
`);

export const DrainPlanFields = graphql(`
  fragment DrainPlanFields on DrainPlan {
    serverId
    blocked
    moves {
      position
      action
      instanceId
      instanceName
      memberId
      targetServerId
      targetServerName
    }
  }
`);

/** With `dryRun`, only the plan (nothing is recorded); without, the plan and the drain. */
export const DrainServerMutation = graphql(`
  mutation DrainServer($id: ID!, $dryRun: Boolean!) {
    drainServer(id: $id, dryRun: $dryRun) {
      dryRun
      plan {
        ...DrainPlanFields
      }
      operation {
        id
        kind
        status
      }
    }
  }
`);

export const RegisterServerMutation = graphql(`
  mutation RegisterServer($input: RegisterServerInput!) {
    registerServer(input: $input) {
      server {
        id
        name
        state
      }
      operation {
        id
      }
    }
  }
`);

// Moves of instances between servers.

export const InstanceMoveFields = graphql(`
  fragment InstanceMoveFields on InstanceMove {
    id
    instanceId
    position
    phase
    instance {
      id
      name
    }
    source {
      id
      name
    }
    target {
      id
      name
    }
    operation {
      id
      status
      step
      error
    }
    lagBytes
    unavailableMs
    writesStoppedAt
    writesResumedAt
    error
    createdAt
    finishedAt
  }
`);

/** A drain (or a removal) and its moves, in order. */
export const DrainProgressQuery = graphql(`
  query DrainProgress($id: ID!) {
    operation(id: $id) {
      id
      kind
      status
      step
      error
      targetId
      createdAt
      updatedAt
      finishedAt
      moves {
        ...InstanceMoveFields
      }
    }
  }
`);

/** A `move_instance` operation and its move. */
export const MoveProgressQuery = graphql(`
  query MoveProgress($id: ID!) {
    operation(id: $id) {
      id
      kind
      status
      step
      error
      targetId
      createdAt
      updatedAt
      finishedAt
      move {
        ...InstanceMoveFields
      }
    }
  }
`);

export const MoveInstanceMutation = graphql(`
  mutation MoveInstance($id: ID!, $serverId: ID) {
    moveInstance(id: $id, serverId: $serverId) {
      id
      kind
      status
    }
  }
`);

/** Where instances can go: the active servers (of every project the caller sees). */
export const ActiveServersQuery = graphql(`
  query ActiveServers {
    servers(first: 100, filter: { state: ACTIVE }) {
      nodes {
        id
        projectId
        name
        provider
        region
        state
        sshHostKey
        memoryGb
        diskGb
        pgVersions
        instanceCount
      }
    }
  }
`);

export const RemoveServerMutation = graphql(`
  mutation RemoveServer($id: ID!) {
    removeServer(id: $id) {
      id
      kind
      status
    }
  }
`);

export const RefreshPlansMutation = graphql(`
  mutation RefreshPlans($provider: CloudProvider!) {
    refreshPlans(provider: $provider) {
      id
      kind
      status
    }
  }
`);

export const ScalingOperationFields = graphql(`
  fragment ScalingOperationFields on ScalingOperation {
    id
    provider
    plan
    region
    currentCount
    targetCount
    dryRun
    actions {
      order
      action
      serverId
      serverName
      monthlyCost
    }
    monthlyCostDelta
    currency
    createdAt
    operation {
      id
      kind
      status
      step
      error
      updatedAt
    }
  }
`);

export const ScaleClusterMutation = graphql(`
  mutation ScaleCluster($provider: CloudProvider!, $plan: String!, $region: String!, $count: Int!, $dryRun: Boolean!, $projectId: ID) {
    scaleCluster(provider: $provider, plan: $plan, region: $region, count: $count, dryRun: $dryRun, projectId: $projectId) {
      ...ScalingOperationFields
    }
  }
`);

export const ScalingOperationsQuery = graphql(`
  query ScalingOperations($first: Int, $after: String) {
    scalingOperations(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...ScalingOperationFields
      }
    }
  }
`);

export const ClusterEventFields = graphql(`
  fragment ClusterEventFields on ClusterEvent {
    id
    serverId
    instanceId
    kind
    severity
    message
    createdAt
  }
`);

export const ClusterEventsQuery = graphql(`
  query ClusterEvents($first: Int, $after: String, $serverId: ID, $instanceId: ID) {
    clusterEvents(first: $first, after: $after, serverId: $serverId, instanceId: $instanceId) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...ClusterEventFields
      }
    }
  }
`);

export const ClusterEventAddedSubscription = graphql(`
  subscription ClusterEventAdded($serverId: ID, $instanceId: ID) {
    clusterEvents(serverId: $serverId, instanceId: $instanceId) {
      ...ClusterEventFields
    }
  }
`);

// Projects, members, API tokens, users, signing keys, the audit log.

export const ProjectFields = graphql(`
  fragment ProjectFields on Project {
    id
    name
    createdAt
    myRole
  }
`);

export const UserFields = graphql(`
  fragment UserFields on User {
    id
    email
    isSiteAdmin
    disabled
    roles {
      projectId
      projectName
      role
    }
  }
`);

/** Who the caller is now, and their projects: the project switcher and every role check. */
export const ProjectsQuery = graphql(`
  query Projects {
    me {
      ...UserFields
    }
    projects {
      ...ProjectFields
    }
  }
`);

export const CreateProjectMutation = graphql(`
  mutation CreateProject($name: String!) {
    createProject(name: $name) {
      ...ProjectFields
    }
  }
`);

export const RenameProjectMutation = graphql(`
  mutation RenameProject($id: ID!, $name: String!) {
    renameProject(id: $id, name: $name) {
      ...ProjectFields
    }
  }
`);

export const DeleteProjectMutation = graphql(`
  mutation DeleteProject($id: ID!) {
    deleteProject(id: $id)
  }
`);

export const MemberFields = graphql(`
  fragment MemberFields on Member {
    userId
    email
    role
    disabled
    since
  }
`);

/** A project's members; with `withUsers` (site admins), every user, to add from. */
export const ProjectMembersQuery = graphql(`
  query ProjectMembers($id: ID!, $withUsers: Boolean!) {
    project(id: $id) {
      ...ProjectFields
      members {
        ...MemberFields
      }
    }
    users @include(if: $withUsers) {
      id
      email
      disabled
    }
  }
`);

export const SetMemberRoleMutation = graphql(`
  mutation SetMemberRole($projectId: ID!, $userId: ID!, $role: Role!) {
    setMemberRole(projectId: $projectId, userId: $userId, role: $role) {
      ...MemberFields
    }
  }
`);

export const RemoveMemberMutation = graphql(`
  mutation RemoveMember($projectId: ID!, $userId: ID!) {
    removeMember(projectId: $projectId, userId: $userId) {
      ...MemberFields
    }
  }
`);

export const ApiTokenFields = graphql(`
  fragment ApiTokenFields on ApiToken {
    id
    projectId
    name
    role
    createdAt
    expiresAt
    revokedAt
    lastUsedAt
    active
  }
`);

/** A project's API tokens (its admins only: others get the project without them). */
export const ProjectTokensQuery = graphql(`
  query ProjectTokens($id: ID!, $withTokens: Boolean!) {
    project(id: $id) {
      ...ProjectFields
      apiTokens @include(if: $withTokens) {
        ...ApiTokenFields
      }
    }
  }
`);

export const CreateApiTokenMutation = graphql(`
  mutation CreateApiToken($projectId: ID!, $name: String!, $role: Role!, $expiresAt: DateTime) {
    createApiToken(projectId: $projectId, name: $name, role: $role, expiresAt: $expiresAt) {
      token {
        ...ApiTokenFields
      }
      secret
    }
  }
`);

export const RevokeApiTokenMutation = graphql(`
  mutation RevokeApiToken($id: ID!) {
    revokeApiToken(id: $id) {
      ...ApiTokenFields
    }
  }
`);

export const UsersQuery = graphql(`
  query Users {
    users {
      ...UserFields
    }
  }
`);

export const CreateUserMutation = graphql(`
  mutation CreateUser($email: String!, $password: String!, $siteAdmin: Boolean!) {
    createUser(email: $email, password: $password, siteAdmin: $siteAdmin) {
      ...UserFields
    }
  }
`);

export const DisableUserMutation = graphql(`
  mutation DisableUser($id: ID!) {
    disableUser(id: $id) {
      ...UserFields
    }
  }
`);

export const EnableUserMutation = graphql(`
  mutation EnableUser($id: ID!) {
    enableUser(id: $id) {
      ...UserFields
    }
  }
`);

export const DeleteUserMutation = graphql(`
  mutation DeleteUser($id: ID!) {
    deleteUser(id: $id)
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ResetPassword($userId: ID!, $password: String!) {
    resetPassword(userId: $userId, password: $password)
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`);

export const SigningKeyFields = graphql(`
  fragment SigningKeyFields on SigningKey {
    kid
    algorithm
    state
    createdAt
    retireAfter
    configured
  }
`);

export const SigningKeysQuery = graphql(`
  query SigningKeys {
    signingKeys {
      ...SigningKeyFields
    }
  }
`);

export const RotateSigningKeyMutation = graphql(`
  mutation RotateSigningKey {
    rotateSigningKey {
      ...SigningKeyFields
    }
  }
`);

export const AuditEntryFields = graphql(`
  fragment AuditEntryFields on AuditEntry {
    id
    at
    actor
    actorUserId
    tokenId
    projectId
    action
    targetId
    arguments
    sourceIp
    userAgent
    outcome
    errorCode
    errorMessage
  }
`);

export const AuditLogQuery = graphql(`
  query AuditLog($first: Int, $after: String, $projectId: ID) {
    auditLog(first: $first, after: $after, projectId: $projectId) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...AuditEntryFields
      }
    }
  }
`);

// The database browser.

export const RowSetFields = graphql(`
  fragment RowSetFields on RowSet {
    columns {
      name
      dataType
    }
    rows
    truncated
    nextCursor
  }
`);

export const InstanceTablesQuery = graphql(`
  query InstanceTables($id: ID!) {
    instance(id: $id) {
      id
      tables {
        schema
        name
        kind
        estimatedRows
        sizeBytes
        columns {
          name
          dataType
          nullable
          default
          primaryKey
        }
        indexes {
          name
          definition
          unique
          primary
        }
      }
    }
  }
`);

export const InstanceRowsQuery = graphql(`
  query InstanceRows($id: ID!, $table: String!, $schema: String!, $first: Int!, $after: String) {
    instance(id: $id) {
      id
      rows(table: $table, schema: $schema, first: $first, after: $after) {
        ...RowSetFields
      }
    }
  }
`);

export const RunReadOnlyQueryMutation = graphql(`
  mutation RunReadOnlyQuery($instanceId: ID!, $sql: String!) {
    runReadOnlyQuery(instanceId: $instanceId, sql: $sql) {
      ...RowSetFields
    }
  }
`);

// Backups, restores and restore drills.

export const ArchivingFields = graphql(`
  fragment ArchivingFields on Archiving {
    lastArchivedAt
    lastFailedAt
    lastError
  }
`);

export const BackupFields = graphql(`
  fragment BackupFields on Backup {
    id
    kind
    status
    startedAt
    finishedAt
    sizeBytes
    storedBytes
    label
    error
    operationId
  }
`);

export const RestoreDrillFields = graphql(`
  fragment RestoreDrillFields on RestoreDrill {
    id
    at
    status
    finishedAt
    rtoMs
    rpoMs
    error
    scratchInstanceId
    operationId
  }
`);

/** An instance's Backups tab: its policy, restore window, archiving, backups and drills. */
export const InstanceBackupsQuery = graphql(`
  query InstanceBackups($id: ID!, $first: Int!, $drills: Int!) {
    instance(id: $id) {
      id
      updatedAt
      backupPolicy {
        schedule
        retentionDays
      }
      earliestRestoreTime
      latestRestoreTime
      archiving {
        ...ArchivingFields
      }
      backups(first: $first) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ...BackupFields
        }
      }
      restoreDrills(first: $drills) {
        ...RestoreDrillFields
      }
    }
  }
`);

/** Older backups, for "Load more". */
export const InstanceBackupsPageQuery = graphql(`
  query InstanceBackupsPage($id: ID!, $first: Int!, $after: String) {
    instance(id: $id) {
      id
      backups(first: $first, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ...BackupFields
        }
      }
    }
  }
`);

export const CreateBackupMutation = graphql(`
  mutation CreateBackup($instanceId: ID!, $kind: BackupKind!) {
    createBackup(instanceId: $instanceId, kind: $kind) {
      id
      kind
      status
    }
  }
`);

export const SetBackupPolicyMutation = graphql(`
  mutation SetBackupPolicy($instanceId: ID!, $schedule: String!, $retentionDays: Int!) {
    setBackupPolicy(instanceId: $instanceId, schedule: $schedule, retentionDays: $retentionDays) {
      schedule
      retentionDays
    }
  }
`);

export const RestoreInstanceMutation = graphql(`
  mutation RestoreInstance($input: RestoreInstanceInput!) {
    restoreInstance(input: $input) {
      instance {
        id
        name
        state
      }
      operation {
        id
      }
    }
  }
`);

export const RunRestoreDrillMutation = graphql(`
  mutation RunRestoreDrill($instanceId: ID!) {
    runRestoreDrill(instanceId: $instanceId) {
      id
      kind
      status
    }
  }
`);

export const RestoreDrillPolicyQuery = graphql(`
  query RestoreDrillPolicy($projectId: ID) {
    restoreDrillPolicy(projectId: $projectId) {
      projectId
      schedule
    }
  }
`);

export const SetRestoreDrillPolicyMutation = graphql(`
  mutation SetRestoreDrillPolicy($projectId: ID, $schedule: String!) {
    setRestoreDrillPolicy(projectId: $projectId, schedule: $schedule) {
      projectId
      schedule
    }
  }
`);

export const ProjectQuotaFields = graphql(`
  fragment ProjectQuotaFields on Project {
    id
    quota {
      instances
      storageGb
      servers
      standbys
      isDefault
    }
    usage {
      instances
      storageGb
      servers
      standbys
    }
  }
`);

export const ProjectQuotaQuery = graphql(`
  query ProjectQuota($id: ID!) {
    project(id: $id) {
      ...ProjectQuotaFields
    }
  }
`);

export const SetProjectQuotaMutation = graphql(`
  mutation SetProjectQuota($projectId: ID!, $input: ProjectQuotaInput!) {
    setProjectQuota(projectId: $projectId, input: $input) {
      ...ProjectQuotaFields
    }
  }
`);

export const CertificateAuthorityQuery = graphql(`
  query CertificateAuthority {
    certificateAuthority {
      pem
    }
  }
`);
