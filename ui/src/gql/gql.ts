/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        isSiteAdmin\n        roles {\n          projectId\n          projectName\n          role\n        }\n      }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query Instances($first: Int, $after: String, $filter: InstanceFilter) {\n    instances(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        projectId\n        name\n        provider\n        plan\n        version\n        storageGb\n        state\n        health\n        host\n        port\n        latencyMs\n        lastCheckedAt\n        createdAt\n        updatedAt\n        lastDrill: restoreDrills(first: 1) {\n          ...LastDrillFields\n        }\n      }\n    }\n  }\n": typeof types.InstancesDocument,
    "\n  fragment LastDrillFields on RestoreDrill {\n    id\n    status\n    at\n    error\n  }\n": typeof types.LastDrillFieldsFragmentDoc,
    "\n  subscription InstanceUpdated($id: ID) {\n    instanceUpdated(id: $id) {\n      id\n      name\n      state\n      health\n      failureReason\n      statusMessage\n      host\n      port\n      latencyMs\n      lastCheckedAt\n      serverVersion\n      updatedAt\n      lastDrill: restoreDrills(first: 1) {\n        ...LastDrillFields\n      }\n    }\n  }\n": typeof types.InstanceUpdatedDocument,
    "\n  query InstanceDetail($id: ID!, $checks: Int!) {\n    instance(id: $id) {\n      id\n      projectId\n      name\n      provider\n      plan\n      serviceType\n      statusMessage\n      version\n      storageGb\n      state\n      health\n      failureReason\n      username\n      database\n      host\n      port\n      connectionString\n      readOnlyConnectionString\n      lastCheckedAt\n      latencyMs\n      serverVersion\n      createdAt\n      updatedAt\n      restoredFrom\n      members {\n        ...InstanceMemberFields\n      }\n      highAvailability {\n        ...HighAvailabilityFields\n      }\n      archiving {\n        ...ArchivingFields\n      }\n      lastDrill: restoreDrills(first: 1) {\n        ...LastDrillFields\n      }\n      server {\n        id\n        name\n        state\n        region\n      }\n      moves(first: 10) {\n        ...InstanceMoveFields\n      }\n      healthChecks(last: $checks) {\n        checkedAt\n        healthy\n        latencyMs\n        error\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n      events(first: 20) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...ClusterEventFields\n        }\n      }\n    }\n    instancePlans {\n      ...InstancePlanFields\n    }\n  }\n": typeof types.InstanceDetailDocument,
    "\n  fragment InstanceMemberFields on InstanceMember {\n    id\n    role\n    server {\n      id\n      name\n    }\n    host\n    port\n    state\n    lagBytes\n    replayLagMs\n    checkedAt\n  }\n": typeof types.InstanceMemberFieldsFragmentDoc,
    "\n  fragment HighAvailabilityFields on HighAvailability {\n    standbys\n    synchronous\n    lastFailoverAt\n    handovers(first: 10) {\n      id\n      planned\n      fromMemberId\n      toMemberId\n      operationId\n      writesStoppedAt\n      writesResumedAt\n      unavailableMs\n      createdAt\n      finishedAt\n    }\n  }\n": typeof types.HighAvailabilityFieldsFragmentDoc,
    "\n  mutation AddStandby($instanceId: ID!, $serverId: ID) {\n    addStandby(instanceId: $instanceId, serverId: $serverId) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.AddStandbyDocument,
    "\n  mutation RemoveStandby($memberId: ID!) {\n    removeStandby(memberId: $memberId) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.RemoveStandbyDocument,
    "\n  mutation Switchover($instanceId: ID!, $toMemberId: ID) {\n    switchover(instanceId: $instanceId, toMemberId: $toMemberId) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.SwitchoverDocument,
    "\n  mutation Failover($instanceId: ID!, $force: Boolean! = false) {\n    failover(instanceId: $instanceId, force: $force) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.FailoverDocument,
    "\n  fragment InstancePlanFields on InstancePlan {\n    name\n    cpuRequestMillis\n    cpuLimitMillis\n    memoryMib\n  }\n": typeof types.InstancePlanFieldsFragmentDoc,
    "\n  query InstanceOfferings {\n    instanceProviders\n    instancePlans {\n      ...InstancePlanFields\n    }\n  }\n": typeof types.InstanceOfferingsDocument,
    "\n  query Versions($provider: Provider) {\n    versions(provider: $provider)\n  }\n": typeof types.VersionsDocument,
    "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": typeof types.CreateInstanceDocument,
    "\n  mutation StopInstance($id: ID!) {\n    stopInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.StopInstanceDocument,
    "\n  mutation StartInstance($id: ID!) {\n    startInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.StartInstanceDocument,
    "\n  mutation RestartInstance($id: ID!) {\n    restartInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.RestartInstanceDocument,
    "\n  mutation DeleteInstance($id: ID!, $retainStorage: Boolean, $purgeBackups: Boolean) {\n    deleteInstance(id: $id, retainStorage: $retainStorage, purgeBackups: $purgeBackups) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.DeleteInstanceDocument,
    "\n  query Operations($first: Int, $after: String, $filter: OperationFilter) {\n    operations(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        kind\n        targetKind\n        targetId\n        status\n        step\n        attempts\n        maxAttempts\n        error\n        createdAt\n        updatedAt\n        finishedAt\n      }\n    }\n  }\n": typeof types.OperationsDocument,
    "\n  query OperationDetail($id: ID!) {\n    operation(id: $id) {\n      ...OperationFull\n    }\n  }\n": typeof types.OperationDetailDocument,
    "\n  fragment OperationFull on Operation {\n    id\n    projectId\n    kind\n    targetKind\n    targetId\n    status\n    step\n    attempts\n    maxAttempts\n    error\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    steps {\n      seq\n      step\n      enteredAt\n    }\n  }\n": typeof types.OperationFullFragmentDoc,
    "\n  subscription OperationUpdated($id: ID) {\n    operationUpdated(id: $id) {\n      ...OperationFull\n    }\n  }\n": typeof types.OperationUpdatedDocument,
    "\n  fragment ClusterHealthFields on ClusterHealth {\n    cpuPercent\n    memoryPercent\n    sampledAt\n    source\n    available\n    unavailableSince\n    message\n    servers {\n      serverId\n      cpuPercent\n      memoryPercent\n      sampledAt\n    }\n    instances {\n      state\n      health\n      count\n    }\n  }\n": typeof types.ClusterHealthFieldsFragmentDoc,
    "\n  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {\n    clusterHealth {\n      ...ClusterHealthFields\n    }\n    serverMetrics(from: $from, to: $to, step: $step) {\n      at\n      cpuPercent\n      memoryPercent\n    }\n    # Names for the server ids in the per-server figures and the fleet events; removed\n    # servers are listed only when asked for by state.\n    servers(first: 100) {\n      nodes {\n        id\n        name\n      }\n    }\n    removedServers: servers(first: 100, filter: { state: REMOVED }) {\n      nodes {\n        id\n        name\n      }\n    }\n  }\n": typeof types.ClusterDocument,
    "\n  subscription ClusterHealthUpdated {\n    clusterHealthUpdated {\n      ...ClusterHealthFields\n    }\n  }\n": typeof types.ClusterHealthUpdatedDocument,
    "\n  fragment ServerFields on Server {\n    id\n    projectId\n    name\n    provider\n    plan\n    region\n    providerId\n    vmName\n    ipv4\n    ipv6\n    state\n    failureReason\n    template\n    image\n    createdAt\n    updatedAt\n    stateChangedAt\n    removedAt\n    sshPort\n    sshUser\n    sshHostKey\n    sshPublicKey\n    memoryGb\n    diskGb\n    pgVersions\n  }\n": typeof types.ServerFieldsFragmentDoc,
    "\n  query Servers($first: Int, $after: String, $filter: ServerFilterInput) {\n    servers(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ServerFields\n        instanceCount\n      }\n    }\n  }\n": typeof types.ServersDocument,
    "\n  query ConfiguredProviders {\n    configuredProviders\n  }\n": typeof types.ConfiguredProvidersDocument,
    "\n  subscription ServerUpdated($id: ID) {\n    serverUpdated(id: $id) {\n      ...ServerFields\n    }\n  }\n": typeof types.ServerUpdatedDocument,
    "\n  fragment ServerInstanceFields on Instance {\n    id\n    name\n    state\n    health\n    host\n    port\n    plan\n    storageGb\n    version\n    updatedAt\n  }\n": typeof types.ServerInstanceFieldsFragmentDoc,
    "\n  subscription ServerInstanceUpdated {\n    instanceUpdated {\n      ...ServerInstanceFields\n      server {\n        id\n      }\n    }\n  }\n": typeof types.ServerInstanceUpdatedDocument,
    "\n  query ServerDetail($id: ID!) {\n    server(id: $id) {\n      ...ServerFields\n      labels {\n        key\n        value\n      }\n      instanceCount\n      instances {\n        ...ServerInstanceFields\n      }\n      latestMetrics {\n        cpuPercent\n        memoryPercent\n        sampledAt\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n    }\n  }\n": typeof types.ServerDetailDocument,
    "\n  fragment PlanFields on Plan {\n    name\n    cores\n    memoryGb\n    diskGb\n    monthlyPrice\n    currency\n    architecture\n    regions\n    deprecated\n  }\n": typeof types.PlanFieldsFragmentDoc,
    "\n  query FleetSetup {\n    configuredProviders\n    serverTemplates {\n      name\n      description\n    }\n  }\n": typeof types.FleetSetupDocument,
    "\n  query CloudOfferings($provider: CloudProvider!) {\n    plans(provider: $provider) {\n      ...PlanFields\n    }\n    regions(provider: $provider)\n  }\n": typeof types.CloudOfferingsDocument,
    "\n  mutation ProvisionServer($input: ProvisionServerInput!) {\n    provisionServer(input: $input) {\n      server {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": typeof types.ProvisionServerDocument,
    "\n  fragment DrainPlanFields on DrainPlan {\n    serverId\n    blocked\n    moves {\n      position\n      action\n      instanceId\n      instanceName\n      memberId\n      targetServerId\n      targetServerName\n    }\n  }\n": typeof types.DrainPlanFieldsFragmentDoc,
    "\n  mutation DrainServer($id: ID!, $dryRun: Boolean!) {\n    drainServer(id: $id, dryRun: $dryRun) {\n      dryRun\n      plan {\n        ...DrainPlanFields\n      }\n      operation {\n        id\n        kind\n        status\n      }\n    }\n  }\n": typeof types.DrainServerDocument,
    "\n  mutation RegisterServer($input: RegisterServerInput!) {\n    registerServer(input: $input) {\n      server {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": typeof types.RegisterServerDocument,
    "\n  fragment InstanceMoveFields on InstanceMove {\n    id\n    instanceId\n    position\n    phase\n    instance {\n      id\n      name\n    }\n    source {\n      id\n      name\n    }\n    target {\n      id\n      name\n    }\n    operation {\n      id\n      status\n      step\n      error\n    }\n    lagBytes\n    unavailableMs\n    writesStoppedAt\n    writesResumedAt\n    error\n    createdAt\n    finishedAt\n  }\n": typeof types.InstanceMoveFieldsFragmentDoc,
    "\n  query DrainProgress($id: ID!) {\n    operation(id: $id) {\n      id\n      kind\n      status\n      step\n      error\n      targetId\n      createdAt\n      updatedAt\n      finishedAt\n      moves {\n        ...InstanceMoveFields\n      }\n    }\n  }\n": typeof types.DrainProgressDocument,
    "\n  query MoveProgress($id: ID!) {\n    operation(id: $id) {\n      id\n      kind\n      status\n      step\n      error\n      targetId\n      createdAt\n      updatedAt\n      finishedAt\n      move {\n        ...InstanceMoveFields\n      }\n    }\n  }\n": typeof types.MoveProgressDocument,
    "\n  mutation MoveInstance($id: ID!, $serverId: ID) {\n    moveInstance(id: $id, serverId: $serverId) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.MoveInstanceDocument,
    "\n  query ActiveServers {\n    servers(first: 100, filter: { state: ACTIVE }) {\n      nodes {\n        id\n        projectId\n        name\n        provider\n        region\n        state\n        sshHostKey\n        memoryGb\n        diskGb\n        pgVersions\n        instanceCount\n      }\n    }\n  }\n": typeof types.ActiveServersDocument,
    "\n  mutation RemoveServer($id: ID!) {\n    removeServer(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.RemoveServerDocument,
    "\n  mutation RefreshPlans($provider: CloudProvider!) {\n    refreshPlans(provider: $provider) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.RefreshPlansDocument,
    "\n  fragment ScalingOperationFields on ScalingOperation {\n    id\n    provider\n    plan\n    region\n    currentCount\n    targetCount\n    dryRun\n    actions {\n      order\n      action\n      serverId\n      serverName\n      monthlyCost\n    }\n    monthlyCostDelta\n    currency\n    createdAt\n    operation {\n      id\n      kind\n      status\n      step\n      error\n      updatedAt\n    }\n  }\n": typeof types.ScalingOperationFieldsFragmentDoc,
    "\n  mutation ScaleCluster($provider: CloudProvider!, $plan: String!, $region: String!, $count: Int!, $dryRun: Boolean!, $projectId: ID) {\n    scaleCluster(provider: $provider, plan: $plan, region: $region, count: $count, dryRun: $dryRun, projectId: $projectId) {\n      ...ScalingOperationFields\n    }\n  }\n": typeof types.ScaleClusterDocument,
    "\n  query ScalingOperations($first: Int, $after: String) {\n    scalingOperations(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ScalingOperationFields\n      }\n    }\n  }\n": typeof types.ScalingOperationsDocument,
    "\n  fragment ClusterEventFields on ClusterEvent {\n    id\n    serverId\n    instanceId\n    kind\n    severity\n    message\n    createdAt\n  }\n": typeof types.ClusterEventFieldsFragmentDoc,
    "\n  query ClusterEvents($first: Int, $after: String, $serverId: ID, $instanceId: ID) {\n    clusterEvents(first: $first, after: $after, serverId: $serverId, instanceId: $instanceId) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ClusterEventFields\n      }\n    }\n  }\n": typeof types.ClusterEventsDocument,
    "\n  subscription ClusterEventAdded($serverId: ID, $instanceId: ID) {\n    clusterEvents(serverId: $serverId, instanceId: $instanceId) {\n      ...ClusterEventFields\n    }\n  }\n": typeof types.ClusterEventAddedDocument,
    "\n  fragment ProjectFields on Project {\n    id\n    name\n    createdAt\n    myRole\n  }\n": typeof types.ProjectFieldsFragmentDoc,
    "\n  fragment UserFields on User {\n    id\n    email\n    isSiteAdmin\n    disabled\n    roles {\n      projectId\n      projectName\n      role\n    }\n  }\n": typeof types.UserFieldsFragmentDoc,
    "\n  query Projects {\n    me {\n      ...UserFields\n    }\n    projects {\n      ...ProjectFields\n    }\n  }\n": typeof types.ProjectsDocument,
    "\n  mutation CreateProject($name: String!) {\n    createProject(name: $name) {\n      ...ProjectFields\n    }\n  }\n": typeof types.CreateProjectDocument,
    "\n  mutation RenameProject($id: ID!, $name: String!) {\n    renameProject(id: $id, name: $name) {\n      ...ProjectFields\n    }\n  }\n": typeof types.RenameProjectDocument,
    "\n  mutation DeleteProject($id: ID!) {\n    deleteProject(id: $id)\n  }\n": typeof types.DeleteProjectDocument,
    "\n  fragment MemberFields on Member {\n    userId\n    email\n    role\n    disabled\n    since\n  }\n": typeof types.MemberFieldsFragmentDoc,
    "\n  query ProjectMembers($id: ID!, $withUsers: Boolean!) {\n    project(id: $id) {\n      ...ProjectFields\n      members {\n        ...MemberFields\n      }\n    }\n    users @include(if: $withUsers) {\n      id\n      email\n      disabled\n    }\n  }\n": typeof types.ProjectMembersDocument,
    "\n  mutation SetMemberRole($projectId: ID!, $userId: ID!, $role: Role!) {\n    setMemberRole(projectId: $projectId, userId: $userId, role: $role) {\n      ...MemberFields\n    }\n  }\n": typeof types.SetMemberRoleDocument,
    "\n  mutation RemoveMember($projectId: ID!, $userId: ID!) {\n    removeMember(projectId: $projectId, userId: $userId) {\n      ...MemberFields\n    }\n  }\n": typeof types.RemoveMemberDocument,
    "\n  fragment ApiTokenFields on ApiToken {\n    id\n    projectId\n    name\n    role\n    createdAt\n    expiresAt\n    revokedAt\n    lastUsedAt\n    active\n  }\n": typeof types.ApiTokenFieldsFragmentDoc,
    "\n  query ProjectTokens($id: ID!, $withTokens: Boolean!) {\n    project(id: $id) {\n      ...ProjectFields\n      apiTokens @include(if: $withTokens) {\n        ...ApiTokenFields\n      }\n    }\n  }\n": typeof types.ProjectTokensDocument,
    "\n  mutation CreateApiToken($projectId: ID!, $name: String!, $role: Role!, $expiresAt: DateTime) {\n    createApiToken(projectId: $projectId, name: $name, role: $role, expiresAt: $expiresAt) {\n      token {\n        ...ApiTokenFields\n      }\n      secret\n    }\n  }\n": typeof types.CreateApiTokenDocument,
    "\n  mutation RevokeApiToken($id: ID!) {\n    revokeApiToken(id: $id) {\n      ...ApiTokenFields\n    }\n  }\n": typeof types.RevokeApiTokenDocument,
    "\n  query Users {\n    users {\n      ...UserFields\n    }\n  }\n": typeof types.UsersDocument,
    "\n  mutation CreateUser($email: String!, $password: String!, $siteAdmin: Boolean!) {\n    createUser(email: $email, password: $password, siteAdmin: $siteAdmin) {\n      ...UserFields\n    }\n  }\n": typeof types.CreateUserDocument,
    "\n  mutation DisableUser($id: ID!) {\n    disableUser(id: $id) {\n      ...UserFields\n    }\n  }\n": typeof types.DisableUserDocument,
    "\n  mutation EnableUser($id: ID!) {\n    enableUser(id: $id) {\n      ...UserFields\n    }\n  }\n": typeof types.EnableUserDocument,
    "\n  mutation DeleteUser($id: ID!) {\n    deleteUser(id: $id)\n  }\n": typeof types.DeleteUserDocument,
    "\n  mutation ResetPassword($userId: ID!, $password: String!) {\n    resetPassword(userId: $userId, password: $password)\n  }\n": typeof types.ResetPasswordDocument,
    "\n  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n  }\n": typeof types.ChangePasswordDocument,
    "\n  fragment SigningKeyFields on SigningKey {\n    kid\n    algorithm\n    state\n    createdAt\n    retireAfter\n    configured\n  }\n": typeof types.SigningKeyFieldsFragmentDoc,
    "\n  query SigningKeys {\n    signingKeys {\n      ...SigningKeyFields\n    }\n  }\n": typeof types.SigningKeysDocument,
    "\n  mutation RotateSigningKey {\n    rotateSigningKey {\n      ...SigningKeyFields\n    }\n  }\n": typeof types.RotateSigningKeyDocument,
    "\n  fragment AuditEntryFields on AuditEntry {\n    id\n    at\n    actor\n    actorUserId\n    tokenId\n    projectId\n    action\n    targetId\n    arguments\n    sourceIp\n    userAgent\n    outcome\n    errorCode\n    errorMessage\n  }\n": typeof types.AuditEntryFieldsFragmentDoc,
    "\n  query AuditLog($first: Int, $after: String, $projectId: ID) {\n    auditLog(first: $first, after: $after, projectId: $projectId) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...AuditEntryFields\n      }\n    }\n  }\n": typeof types.AuditLogDocument,
    "\n  fragment RowSetFields on RowSet {\n    columns {\n      name\n      dataType\n    }\n    rows\n    truncated\n    nextCursor\n  }\n": typeof types.RowSetFieldsFragmentDoc,
    "\n  query InstanceTables($id: ID!) {\n    instance(id: $id) {\n      id\n      tables {\n        schema\n        name\n        kind\n        estimatedRows\n        sizeBytes\n        columns {\n          name\n          dataType\n          nullable\n          default\n          primaryKey\n        }\n        indexes {\n          name\n          definition\n          unique\n          primary\n        }\n      }\n    }\n  }\n": typeof types.InstanceTablesDocument,
    "\n  query InstanceRows($id: ID!, $table: String!, $schema: String!, $first: Int!, $after: String) {\n    instance(id: $id) {\n      id\n      rows(table: $table, schema: $schema, first: $first, after: $after) {\n        ...RowSetFields\n      }\n    }\n  }\n": typeof types.InstanceRowsDocument,
    "\n  mutation RunReadOnlyQuery($instanceId: ID!, $sql: String!) {\n    runReadOnlyQuery(instanceId: $instanceId, sql: $sql) {\n      ...RowSetFields\n    }\n  }\n": typeof types.RunReadOnlyQueryDocument,
    "\n  fragment ArchivingFields on Archiving {\n    lastArchivedAt\n    lastFailedAt\n    lastError\n  }\n": typeof types.ArchivingFieldsFragmentDoc,
    "\n  fragment BackupFields on Backup {\n    id\n    kind\n    status\n    startedAt\n    finishedAt\n    sizeBytes\n    storedBytes\n    label\n    error\n    operationId\n  }\n": typeof types.BackupFieldsFragmentDoc,
    "\n  fragment RestoreDrillFields on RestoreDrill {\n    id\n    at\n    status\n    finishedAt\n    rtoMs\n    rpoMs\n    error\n    scratchInstanceId\n    operationId\n  }\n": typeof types.RestoreDrillFieldsFragmentDoc,
    "\n  query InstanceBackups($id: ID!, $first: Int!, $drills: Int!) {\n    instance(id: $id) {\n      id\n      updatedAt\n      backupPolicy {\n        schedule\n        retentionDays\n      }\n      earliestRestoreTime\n      latestRestoreTime\n      archiving {\n        ...ArchivingFields\n      }\n      backups(first: $first) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...BackupFields\n        }\n      }\n      restoreDrills(first: $drills) {\n        ...RestoreDrillFields\n      }\n    }\n  }\n": typeof types.InstanceBackupsDocument,
    "\n  query InstanceBackupsPage($id: ID!, $first: Int!, $after: String) {\n    instance(id: $id) {\n      id\n      backups(first: $first, after: $after) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...BackupFields\n        }\n      }\n    }\n  }\n": typeof types.InstanceBackupsPageDocument,
    "\n  mutation CreateBackup($instanceId: ID!, $kind: BackupKind!) {\n    createBackup(instanceId: $instanceId, kind: $kind) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.CreateBackupDocument,
    "\n  mutation SetBackupPolicy($instanceId: ID!, $schedule: String!, $retentionDays: Int!) {\n    setBackupPolicy(instanceId: $instanceId, schedule: $schedule, retentionDays: $retentionDays) {\n      schedule\n      retentionDays\n    }\n  }\n": typeof types.SetBackupPolicyDocument,
    "\n  mutation RestoreInstance($input: RestoreInstanceInput!) {\n    restoreInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": typeof types.RestoreInstanceDocument,
    "\n  mutation RunRestoreDrill($instanceId: ID!) {\n    runRestoreDrill(instanceId: $instanceId) {\n      id\n      kind\n      status\n    }\n  }\n": typeof types.RunRestoreDrillDocument,
    "\n  query RestoreDrillPolicy($projectId: ID) {\n    restoreDrillPolicy(projectId: $projectId) {\n      projectId\n      schedule\n    }\n  }\n": typeof types.RestoreDrillPolicyDocument,
    "\n  mutation SetRestoreDrillPolicy($projectId: ID, $schedule: String!) {\n    setRestoreDrillPolicy(projectId: $projectId, schedule: $schedule) {\n      projectId\n      schedule\n    }\n  }\n": typeof types.SetRestoreDrillPolicyDocument,
    "\n  fragment ProjectQuotaFields on Project {\n    id\n    quota {\n      instances\n      storageGb\n      servers\n      standbys\n      isDefault\n    }\n    usage {\n      instances\n      storageGb\n      servers\n      standbys\n    }\n  }\n": typeof types.ProjectQuotaFieldsFragmentDoc,
    "\n  query ProjectQuota($id: ID!) {\n    project(id: $id) {\n      ...ProjectQuotaFields\n    }\n  }\n": typeof types.ProjectQuotaDocument,
    "\n  mutation SetProjectQuota($projectId: ID!, $input: ProjectQuotaInput!) {\n    setProjectQuota(projectId: $projectId, input: $input) {\n      ...ProjectQuotaFields\n    }\n  }\n": typeof types.SetProjectQuotaDocument,
    "\n  query CertificateAuthority {\n    certificateAuthority {\n      pem\n    }\n  }\n": typeof types.CertificateAuthorityDocument,
};
const documents: Documents = {
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        isSiteAdmin\n        roles {\n          projectId\n          projectName\n          role\n        }\n      }\n    }\n  }\n": types.LoginDocument,
    "\n  query Instances($first: Int, $after: String, $filter: InstanceFilter) {\n    instances(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        projectId\n        name\n        provider\n        plan\n        version\n        storageGb\n        state\n        health\n        host\n        port\n        latencyMs\n        lastCheckedAt\n        createdAt\n        updatedAt\n        lastDrill: restoreDrills(first: 1) {\n          ...LastDrillFields\n        }\n      }\n    }\n  }\n": types.InstancesDocument,
    "\n  fragment LastDrillFields on RestoreDrill {\n    id\n    status\n    at\n    error\n  }\n": types.LastDrillFieldsFragmentDoc,
    "\n  subscription InstanceUpdated($id: ID) {\n    instanceUpdated(id: $id) {\n      id\n      name\n      state\n      health\n      failureReason\n      statusMessage\n      host\n      port\n      latencyMs\n      lastCheckedAt\n      serverVersion\n      updatedAt\n      lastDrill: restoreDrills(first: 1) {\n        ...LastDrillFields\n      }\n    }\n  }\n": types.InstanceUpdatedDocument,
    "\n  query InstanceDetail($id: ID!, $checks: Int!) {\n    instance(id: $id) {\n      id\n      projectId\n      name\n      provider\n      plan\n      serviceType\n      statusMessage\n      version\n      storageGb\n      state\n      health\n      failureReason\n      username\n      database\n      host\n      port\n      connectionString\n      readOnlyConnectionString\n      lastCheckedAt\n      latencyMs\n      serverVersion\n      createdAt\n      updatedAt\n      restoredFrom\n      members {\n        ...InstanceMemberFields\n      }\n      highAvailability {\n        ...HighAvailabilityFields\n      }\n      archiving {\n        ...ArchivingFields\n      }\n      lastDrill: restoreDrills(first: 1) {\n        ...LastDrillFields\n      }\n      server {\n        id\n        name\n        state\n        region\n      }\n      moves(first: 10) {\n        ...InstanceMoveFields\n      }\n      healthChecks(last: $checks) {\n        checkedAt\n        healthy\n        latencyMs\n        error\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n      events(first: 20) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...ClusterEventFields\n        }\n      }\n    }\n    instancePlans {\n      ...InstancePlanFields\n    }\n  }\n": types.InstanceDetailDocument,
    "\n  fragment InstanceMemberFields on InstanceMember {\n    id\n    role\n    server {\n      id\n      name\n    }\n    host\n    port\n    state\n    lagBytes\n    replayLagMs\n    checkedAt\n  }\n": types.InstanceMemberFieldsFragmentDoc,
    "\n  fragment HighAvailabilityFields on HighAvailability {\n    standbys\n    synchronous\n    lastFailoverAt\n    handovers(first: 10) {\n      id\n      planned\n      fromMemberId\n      toMemberId\n      operationId\n      writesStoppedAt\n      writesResumedAt\n      unavailableMs\n      createdAt\n      finishedAt\n    }\n  }\n": types.HighAvailabilityFieldsFragmentDoc,
    "\n  mutation AddStandby($instanceId: ID!, $serverId: ID) {\n    addStandby(instanceId: $instanceId, serverId: $serverId) {\n      id\n      kind\n      status\n    }\n  }\n": types.AddStandbyDocument,
    "\n  mutation RemoveStandby($memberId: ID!) {\n    removeStandby(memberId: $memberId) {\n      id\n      kind\n      status\n    }\n  }\n": types.RemoveStandbyDocument,
    "\n  mutation Switchover($instanceId: ID!, $toMemberId: ID) {\n    switchover(instanceId: $instanceId, toMemberId: $toMemberId) {\n      id\n      kind\n      status\n    }\n  }\n": types.SwitchoverDocument,
    "\n  mutation Failover($instanceId: ID!, $force: Boolean! = false) {\n    failover(instanceId: $instanceId, force: $force) {\n      id\n      kind\n      status\n    }\n  }\n": types.FailoverDocument,
    "\n  fragment InstancePlanFields on InstancePlan {\n    name\n    cpuRequestMillis\n    cpuLimitMillis\n    memoryMib\n  }\n": types.InstancePlanFieldsFragmentDoc,
    "\n  query InstanceOfferings {\n    instanceProviders\n    instancePlans {\n      ...InstancePlanFields\n    }\n  }\n": types.InstanceOfferingsDocument,
    "\n  query Versions($provider: Provider) {\n    versions(provider: $provider)\n  }\n": types.VersionsDocument,
    "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": types.CreateInstanceDocument,
    "\n  mutation StopInstance($id: ID!) {\n    stopInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": types.StopInstanceDocument,
    "\n  mutation StartInstance($id: ID!) {\n    startInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": types.StartInstanceDocument,
    "\n  mutation RestartInstance($id: ID!) {\n    restartInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": types.RestartInstanceDocument,
    "\n  mutation DeleteInstance($id: ID!, $retainStorage: Boolean, $purgeBackups: Boolean) {\n    deleteInstance(id: $id, retainStorage: $retainStorage, purgeBackups: $purgeBackups) {\n      id\n      kind\n      status\n    }\n  }\n": types.DeleteInstanceDocument,
    "\n  query Operations($first: Int, $after: String, $filter: OperationFilter) {\n    operations(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        kind\n        targetKind\n        targetId\n        status\n        step\n        attempts\n        maxAttempts\n        error\n        createdAt\n        updatedAt\n        finishedAt\n      }\n    }\n  }\n": types.OperationsDocument,
    "\n  query OperationDetail($id: ID!) {\n    operation(id: $id) {\n      ...OperationFull\n    }\n  }\n": types.OperationDetailDocument,
    "\n  fragment OperationFull on Operation {\n    id\n    projectId\n    kind\n    targetKind\n    targetId\n    status\n    step\n    attempts\n    maxAttempts\n    error\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    steps {\n      seq\n      step\n      enteredAt\n    }\n  }\n": types.OperationFullFragmentDoc,
    "\n  subscription OperationUpdated($id: ID) {\n    operationUpdated(id: $id) {\n      ...OperationFull\n    }\n  }\n": types.OperationUpdatedDocument,
    "\n  fragment ClusterHealthFields on ClusterHealth {\n    cpuPercent\n    memoryPercent\n    sampledAt\n    source\n    available\n    unavailableSince\n    message\n    servers {\n      serverId\n      cpuPercent\n      memoryPercent\n      sampledAt\n    }\n    instances {\n      state\n      health\n      count\n    }\n  }\n": types.ClusterHealthFieldsFragmentDoc,
    "\n  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {\n    clusterHealth {\n      ...ClusterHealthFields\n    }\n    serverMetrics(from: $from, to: $to, step: $step) {\n      at\n      cpuPercent\n      memoryPercent\n    }\n    # Names for the server ids in the per-server figures and the fleet events; removed\n    # servers are listed only when asked for by state.\n    servers(first: 100) {\n      nodes {\n        id\n        name\n      }\n    }\n    removedServers: servers(first: 100, filter: { state: REMOVED }) {\n      nodes {\n        id\n        name\n      }\n    }\n  }\n": types.ClusterDocument,
    "\n  subscription ClusterHealthUpdated {\n    clusterHealthUpdated {\n      ...ClusterHealthFields\n    }\n  }\n": types.ClusterHealthUpdatedDocument,
    "\n  fragment ServerFields on Server {\n    id\n    projectId\n    name\n    provider\n    plan\n    region\n    providerId\n    vmName\n    ipv4\n    ipv6\n    state\n    failureReason\n    template\n    image\n    createdAt\n    updatedAt\n    stateChangedAt\n    removedAt\n    sshPort\n    sshUser\n    sshHostKey\n    sshPublicKey\n    memoryGb\n    diskGb\n    pgVersions\n  }\n": types.ServerFieldsFragmentDoc,
    "\n  query Servers($first: Int, $after: String, $filter: ServerFilterInput) {\n    servers(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ServerFields\n        instanceCount\n      }\n    }\n  }\n": types.ServersDocument,
    "\n  query ConfiguredProviders {\n    configuredProviders\n  }\n": types.ConfiguredProvidersDocument,
    "\n  subscription ServerUpdated($id: ID) {\n    serverUpdated(id: $id) {\n      ...ServerFields\n    }\n  }\n": types.ServerUpdatedDocument,
    "\n  fragment ServerInstanceFields on Instance {\n    id\n    name\n    state\n    health\n    host\n    port\n    plan\n    storageGb\n    version\n    updatedAt\n  }\n": types.ServerInstanceFieldsFragmentDoc,
    "\n  subscription ServerInstanceUpdated {\n    instanceUpdated {\n      ...ServerInstanceFields\n      server {\n        id\n      }\n    }\n  }\n": types.ServerInstanceUpdatedDocument,
    "\n  query ServerDetail($id: ID!) {\n    server(id: $id) {\n      ...ServerFields\n      labels {\n        key\n        value\n      }\n      instanceCount\n      instances {\n        ...ServerInstanceFields\n      }\n      latestMetrics {\n        cpuPercent\n        memoryPercent\n        sampledAt\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n    }\n  }\n": types.ServerDetailDocument,
    "\n  fragment PlanFields on Plan {\n    name\n    cores\n    memoryGb\n    diskGb\n    monthlyPrice\n    currency\n    architecture\n    regions\n    deprecated\n  }\n": types.PlanFieldsFragmentDoc,
    "\n  query FleetSetup {\n    configuredProviders\n    serverTemplates {\n      name\n      description\n    }\n  }\n": types.FleetSetupDocument,
    "\n  query CloudOfferings($provider: CloudProvider!) {\n    plans(provider: $provider) {\n      ...PlanFields\n    }\n    regions(provider: $provider)\n  }\n": types.CloudOfferingsDocument,
    "\n  mutation ProvisionServer($input: ProvisionServerInput!) {\n    provisionServer(input: $input) {\n      server {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": types.ProvisionServerDocument,
    "\n  fragment DrainPlanFields on DrainPlan {\n    serverId\n    blocked\n    moves {\n      position\n      action\n      instanceId\n      instanceName\n      memberId\n      targetServerId\n      targetServerName\n    }\n  }\n": types.DrainPlanFieldsFragmentDoc,
    "\n  mutation DrainServer($id: ID!, $dryRun: Boolean!) {\n    drainServer(id: $id, dryRun: $dryRun) {\n      dryRun\n      plan {\n        ...DrainPlanFields\n      }\n      operation {\n        id\n        kind\n        status\n      }\n    }\n  }\n": types.DrainServerDocument,
    "\n  mutation RegisterServer($input: RegisterServerInput!) {\n    registerServer(input: $input) {\n      server {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": types.RegisterServerDocument,
    "\n  fragment InstanceMoveFields on InstanceMove {\n    id\n    instanceId\n    position\n    phase\n    instance {\n      id\n      name\n    }\n    source {\n      id\n      name\n    }\n    target {\n      id\n      name\n    }\n    operation {\n      id\n      status\n      step\n      error\n    }\n    lagBytes\n    unavailableMs\n    writesStoppedAt\n    writesResumedAt\n    error\n    createdAt\n    finishedAt\n  }\n": types.InstanceMoveFieldsFragmentDoc,
    "\n  query DrainProgress($id: ID!) {\n    operation(id: $id) {\n      id\n      kind\n      status\n      step\n      error\n      targetId\n      createdAt\n      updatedAt\n      finishedAt\n      moves {\n        ...InstanceMoveFields\n      }\n    }\n  }\n": types.DrainProgressDocument,
    "\n  query MoveProgress($id: ID!) {\n    operation(id: $id) {\n      id\n      kind\n      status\n      step\n      error\n      targetId\n      createdAt\n      updatedAt\n      finishedAt\n      move {\n        ...InstanceMoveFields\n      }\n    }\n  }\n": types.MoveProgressDocument,
    "\n  mutation MoveInstance($id: ID!, $serverId: ID) {\n    moveInstance(id: $id, serverId: $serverId) {\n      id\n      kind\n      status\n    }\n  }\n": types.MoveInstanceDocument,
    "\n  query ActiveServers {\n    servers(first: 100, filter: { state: ACTIVE }) {\n      nodes {\n        id\n        projectId\n        name\n        provider\n        region\n        state\n        sshHostKey\n        memoryGb\n        diskGb\n        pgVersions\n        instanceCount\n      }\n    }\n  }\n": types.ActiveServersDocument,
    "\n  mutation RemoveServer($id: ID!) {\n    removeServer(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n": types.RemoveServerDocument,
    "\n  mutation RefreshPlans($provider: CloudProvider!) {\n    refreshPlans(provider: $provider) {\n      id\n      kind\n      status\n    }\n  }\n": types.RefreshPlansDocument,
    "\n  fragment ScalingOperationFields on ScalingOperation {\n    id\n    provider\n    plan\n    region\n    currentCount\n    targetCount\n    dryRun\n    actions {\n      order\n      action\n      serverId\n      serverName\n      monthlyCost\n    }\n    monthlyCostDelta\n    currency\n    createdAt\n    operation {\n      id\n      kind\n      status\n      step\n      error\n      updatedAt\n    }\n  }\n": types.ScalingOperationFieldsFragmentDoc,
    "\n  mutation ScaleCluster($provider: CloudProvider!, $plan: String!, $region: String!, $count: Int!, $dryRun: Boolean!, $projectId: ID) {\n    scaleCluster(provider: $provider, plan: $plan, region: $region, count: $count, dryRun: $dryRun, projectId: $projectId) {\n      ...ScalingOperationFields\n    }\n  }\n": types.ScaleClusterDocument,
    "\n  query ScalingOperations($first: Int, $after: String) {\n    scalingOperations(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ScalingOperationFields\n      }\n    }\n  }\n": types.ScalingOperationsDocument,
    "\n  fragment ClusterEventFields on ClusterEvent {\n    id\n    serverId\n    instanceId\n    kind\n    severity\n    message\n    createdAt\n  }\n": types.ClusterEventFieldsFragmentDoc,
    "\n  query ClusterEvents($first: Int, $after: String, $serverId: ID, $instanceId: ID) {\n    clusterEvents(first: $first, after: $after, serverId: $serverId, instanceId: $instanceId) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ClusterEventFields\n      }\n    }\n  }\n": types.ClusterEventsDocument,
    "\n  subscription ClusterEventAdded($serverId: ID, $instanceId: ID) {\n    clusterEvents(serverId: $serverId, instanceId: $instanceId) {\n      ...ClusterEventFields\n    }\n  }\n": types.ClusterEventAddedDocument,
    "\n  fragment ProjectFields on Project {\n    id\n    name\n    createdAt\n    myRole\n  }\n": types.ProjectFieldsFragmentDoc,
    "\n  fragment UserFields on User {\n    id\n    email\n    isSiteAdmin\n    disabled\n    roles {\n      projectId\n      projectName\n      role\n    }\n  }\n": types.UserFieldsFragmentDoc,
    "\n  query Projects {\n    me {\n      ...UserFields\n    }\n    projects {\n      ...ProjectFields\n    }\n  }\n": types.ProjectsDocument,
    "\n  mutation CreateProject($name: String!) {\n    createProject(name: $name) {\n      ...ProjectFields\n    }\n  }\n": types.CreateProjectDocument,
    "\n  mutation RenameProject($id: ID!, $name: String!) {\n    renameProject(id: $id, name: $name) {\n      ...ProjectFields\n    }\n  }\n": types.RenameProjectDocument,
    "\n  mutation DeleteProject($id: ID!) {\n    deleteProject(id: $id)\n  }\n": types.DeleteProjectDocument,
    "\n  fragment MemberFields on Member {\n    userId\n    email\n    role\n    disabled\n    since\n  }\n": types.MemberFieldsFragmentDoc,
    "\n  query ProjectMembers($id: ID!, $withUsers: Boolean!) {\n    project(id: $id) {\n      ...ProjectFields\n      members {\n        ...MemberFields\n      }\n    }\n    users @include(if: $withUsers) {\n      id\n      email\n      disabled\n    }\n  }\n": types.ProjectMembersDocument,
    "\n  mutation SetMemberRole($projectId: ID!, $userId: ID!, $role: Role!) {\n    setMemberRole(projectId: $projectId, userId: $userId, role: $role) {\n      ...MemberFields\n    }\n  }\n": types.SetMemberRoleDocument,
    "\n  mutation RemoveMember($projectId: ID!, $userId: ID!) {\n    removeMember(projectId: $projectId, userId: $userId) {\n      ...MemberFields\n    }\n  }\n": types.RemoveMemberDocument,
    "\n  fragment ApiTokenFields on ApiToken {\n    id\n    projectId\n    name\n    role\n    createdAt\n    expiresAt\n    revokedAt\n    lastUsedAt\n    active\n  }\n": types.ApiTokenFieldsFragmentDoc,
    "\n  query ProjectTokens($id: ID!, $withTokens: Boolean!) {\n    project(id: $id) {\n      ...ProjectFields\n      apiTokens @include(if: $withTokens) {\n        ...ApiTokenFields\n      }\n    }\n  }\n": types.ProjectTokensDocument,
    "\n  mutation CreateApiToken($projectId: ID!, $name: String!, $role: Role!, $expiresAt: DateTime) {\n    createApiToken(projectId: $projectId, name: $name, role: $role, expiresAt: $expiresAt) {\n      token {\n        ...ApiTokenFields\n      }\n      secret\n    }\n  }\n": types.CreateApiTokenDocument,
    "\n  mutation RevokeApiToken($id: ID!) {\n    revokeApiToken(id: $id) {\n      ...ApiTokenFields\n    }\n  }\n": types.RevokeApiTokenDocument,
    "\n  query Users {\n    users {\n      ...UserFields\n    }\n  }\n": types.UsersDocument,
    "\n  mutation CreateUser($email: String!, $password: String!, $siteAdmin: Boolean!) {\n    createUser(email: $email, password: $password, siteAdmin: $siteAdmin) {\n      ...UserFields\n    }\n  }\n": types.CreateUserDocument,
    "\n  mutation DisableUser($id: ID!) {\n    disableUser(id: $id) {\n      ...UserFields\n    }\n  }\n": types.DisableUserDocument,
    "\n  mutation EnableUser($id: ID!) {\n    enableUser(id: $id) {\n      ...UserFields\n    }\n  }\n": types.EnableUserDocument,
    "\n  mutation DeleteUser($id: ID!) {\n    deleteUser(id: $id)\n  }\n": types.DeleteUserDocument,
    "\n  mutation ResetPassword($userId: ID!, $password: String!) {\n    resetPassword(userId: $userId, password: $password)\n  }\n": types.ResetPasswordDocument,
    "\n  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n  }\n": types.ChangePasswordDocument,
    "\n  fragment SigningKeyFields on SigningKey {\n    kid\n    algorithm\n    state\n    createdAt\n    retireAfter\n    configured\n  }\n": types.SigningKeyFieldsFragmentDoc,
    "\n  query SigningKeys {\n    signingKeys {\n      ...SigningKeyFields\n    }\n  }\n": types.SigningKeysDocument,
    "\n  mutation RotateSigningKey {\n    rotateSigningKey {\n      ...SigningKeyFields\n    }\n  }\n": types.RotateSigningKeyDocument,
    "\n  fragment AuditEntryFields on AuditEntry {\n    id\n    at\n    actor\n    actorUserId\n    tokenId\n    projectId\n    action\n    targetId\n    arguments\n    sourceIp\n    userAgent\n    outcome\n    errorCode\n    errorMessage\n  }\n": types.AuditEntryFieldsFragmentDoc,
    "\n  query AuditLog($first: Int, $after: String, $projectId: ID) {\n    auditLog(first: $first, after: $after, projectId: $projectId) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...AuditEntryFields\n      }\n    }\n  }\n": types.AuditLogDocument,
    "\n  fragment RowSetFields on RowSet {\n    columns {\n      name\n      dataType\n    }\n    rows\n    truncated\n    nextCursor\n  }\n": types.RowSetFieldsFragmentDoc,
    "\n  query InstanceTables($id: ID!) {\n    instance(id: $id) {\n      id\n      tables {\n        schema\n        name\n        kind\n        estimatedRows\n        sizeBytes\n        columns {\n          name\n          dataType\n          nullable\n          default\n          primaryKey\n        }\n        indexes {\n          name\n          definition\n          unique\n          primary\n        }\n      }\n    }\n  }\n": types.InstanceTablesDocument,
    "\n  query InstanceRows($id: ID!, $table: String!, $schema: String!, $first: Int!, $after: String) {\n    instance(id: $id) {\n      id\n      rows(table: $table, schema: $schema, first: $first, after: $after) {\n        ...RowSetFields\n      }\n    }\n  }\n": types.InstanceRowsDocument,
    "\n  mutation RunReadOnlyQuery($instanceId: ID!, $sql: String!) {\n    runReadOnlyQuery(instanceId: $instanceId, sql: $sql) {\n      ...RowSetFields\n    }\n  }\n": types.RunReadOnlyQueryDocument,
    "\n  fragment ArchivingFields on Archiving {\n    lastArchivedAt\n    lastFailedAt\n    lastError\n  }\n": types.ArchivingFieldsFragmentDoc,
    "\n  fragment BackupFields on Backup {\n    id\n    kind\n    status\n    startedAt\n    finishedAt\n    sizeBytes\n    storedBytes\n    label\n    error\n    operationId\n  }\n": types.BackupFieldsFragmentDoc,
    "\n  fragment RestoreDrillFields on RestoreDrill {\n    id\n    at\n    status\n    finishedAt\n    rtoMs\n    rpoMs\n    error\n    scratchInstanceId\n    operationId\n  }\n": types.RestoreDrillFieldsFragmentDoc,
    "\n  query InstanceBackups($id: ID!, $first: Int!, $drills: Int!) {\n    instance(id: $id) {\n      id\n      updatedAt\n      backupPolicy {\n        schedule\n        retentionDays\n      }\n      earliestRestoreTime\n      latestRestoreTime\n      archiving {\n        ...ArchivingFields\n      }\n      backups(first: $first) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...BackupFields\n        }\n      }\n      restoreDrills(first: $drills) {\n        ...RestoreDrillFields\n      }\n    }\n  }\n": types.InstanceBackupsDocument,
    "\n  query InstanceBackupsPage($id: ID!, $first: Int!, $after: String) {\n    instance(id: $id) {\n      id\n      backups(first: $first, after: $after) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...BackupFields\n        }\n      }\n    }\n  }\n": types.InstanceBackupsPageDocument,
    "\n  mutation CreateBackup($instanceId: ID!, $kind: BackupKind!) {\n    createBackup(instanceId: $instanceId, kind: $kind) {\n      id\n      kind\n      status\n    }\n  }\n": types.CreateBackupDocument,
    "\n  mutation SetBackupPolicy($instanceId: ID!, $schedule: String!, $retentionDays: Int!) {\n    setBackupPolicy(instanceId: $instanceId, schedule: $schedule, retentionDays: $retentionDays) {\n      schedule\n      retentionDays\n    }\n  }\n": types.SetBackupPolicyDocument,
    "\n  mutation RestoreInstance($input: RestoreInstanceInput!) {\n    restoreInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n": types.RestoreInstanceDocument,
    "\n  mutation RunRestoreDrill($instanceId: ID!) {\n    runRestoreDrill(instanceId: $instanceId) {\n      id\n      kind\n      status\n    }\n  }\n": types.RunRestoreDrillDocument,
    "\n  query RestoreDrillPolicy($projectId: ID) {\n    restoreDrillPolicy(projectId: $projectId) {\n      projectId\n      schedule\n    }\n  }\n": types.RestoreDrillPolicyDocument,
    "\n  mutation SetRestoreDrillPolicy($projectId: ID, $schedule: String!) {\n    setRestoreDrillPolicy(projectId: $projectId, schedule: $schedule) {\n      projectId\n      schedule\n    }\n  }\n": types.SetRestoreDrillPolicyDocument,
    "\n  fragment ProjectQuotaFields on Project {\n    id\n    quota {\n      instances\n      storageGb\n      servers\n      standbys\n      isDefault\n    }\n    usage {\n      instances\n      storageGb\n      servers\n      standbys\n    }\n  }\n": types.ProjectQuotaFieldsFragmentDoc,
    "\n  query ProjectQuota($id: ID!) {\n    project(id: $id) {\n      ...ProjectQuotaFields\n    }\n  }\n": types.ProjectQuotaDocument,
    "\n  mutation SetProjectQuota($projectId: ID!, $input: ProjectQuotaInput!) {\n    setProjectQuota(projectId: $projectId, input: $input) {\n      ...ProjectQuotaFields\n    }\n  }\n": types.SetProjectQuotaDocument,
    "\n  query CertificateAuthority {\n    certificateAuthority {\n      pem\n    }\n  }\n": types.CertificateAuthorityDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        isSiteAdmin\n        roles {\n          projectId\n          projectName\n          role\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      user {\n        id\n        email\n        isSiteAdmin\n        roles {\n          projectId\n          projectName\n          role\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Instances($first: Int, $after: String, $filter: InstanceFilter) {\n    instances(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        projectId\n        name\n        provider\n        plan\n        version\n        storageGb\n        state\n        health\n        host\n        port\n        latencyMs\n        lastCheckedAt\n        createdAt\n        updatedAt\n        lastDrill: restoreDrills(first: 1) {\n          ...LastDrillFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Instances($first: Int, $after: String, $filter: InstanceFilter) {\n    instances(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        projectId\n        name\n        provider\n        plan\n        version\n        storageGb\n        state\n        health\n        host\n        port\n        latencyMs\n        lastCheckedAt\n        createdAt\n        updatedAt\n        lastDrill: restoreDrills(first: 1) {\n          ...LastDrillFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LastDrillFields on RestoreDrill {\n    id\n    status\n    at\n    error\n  }\n"): (typeof documents)["\n  fragment LastDrillFields on RestoreDrill {\n    id\n    status\n    at\n    error\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription InstanceUpdated($id: ID) {\n    instanceUpdated(id: $id) {\n      id\n      name\n      state\n      health\n      failureReason\n      statusMessage\n      host\n      port\n      latencyMs\n      lastCheckedAt\n      serverVersion\n      updatedAt\n      lastDrill: restoreDrills(first: 1) {\n        ...LastDrillFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription InstanceUpdated($id: ID) {\n    instanceUpdated(id: $id) {\n      id\n      name\n      state\n      health\n      failureReason\n      statusMessage\n      host\n      port\n      latencyMs\n      lastCheckedAt\n      serverVersion\n      updatedAt\n      lastDrill: restoreDrills(first: 1) {\n        ...LastDrillFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query InstanceDetail($id: ID!, $checks: Int!) {\n    instance(id: $id) {\n      id\n      projectId\n      name\n      provider\n      plan\n      serviceType\n      statusMessage\n      version\n      storageGb\n      state\n      health\n      failureReason\n      username\n      database\n      host\n      port\n      connectionString\n      readOnlyConnectionString\n      lastCheckedAt\n      latencyMs\n      serverVersion\n      createdAt\n      updatedAt\n      restoredFrom\n      members {\n        ...InstanceMemberFields\n      }\n      highAvailability {\n        ...HighAvailabilityFields\n      }\n      archiving {\n        ...ArchivingFields\n      }\n      lastDrill: restoreDrills(first: 1) {\n        ...LastDrillFields\n      }\n      server {\n        id\n        name\n        state\n        region\n      }\n      moves(first: 10) {\n        ...InstanceMoveFields\n      }\n      healthChecks(last: $checks) {\n        checkedAt\n        healthy\n        latencyMs\n        error\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n      events(first: 20) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...ClusterEventFields\n        }\n      }\n    }\n    instancePlans {\n      ...InstancePlanFields\n    }\n  }\n"): (typeof documents)["\n  query InstanceDetail($id: ID!, $checks: Int!) {\n    instance(id: $id) {\n      id\n      projectId\n      name\n      provider\n      plan\n      serviceType\n      statusMessage\n      version\n      storageGb\n      state\n      health\n      failureReason\n      username\n      database\n      host\n      port\n      connectionString\n      readOnlyConnectionString\n      lastCheckedAt\n      latencyMs\n      serverVersion\n      createdAt\n      updatedAt\n      restoredFrom\n      members {\n        ...InstanceMemberFields\n      }\n      highAvailability {\n        ...HighAvailabilityFields\n      }\n      archiving {\n        ...ArchivingFields\n      }\n      lastDrill: restoreDrills(first: 1) {\n        ...LastDrillFields\n      }\n      server {\n        id\n        name\n        state\n        region\n      }\n      moves(first: 10) {\n        ...InstanceMoveFields\n      }\n      healthChecks(last: $checks) {\n        checkedAt\n        healthy\n        latencyMs\n        error\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n      events(first: 20) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...ClusterEventFields\n        }\n      }\n    }\n    instancePlans {\n      ...InstancePlanFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment InstanceMemberFields on InstanceMember {\n    id\n    role\n    server {\n      id\n      name\n    }\n    host\n    port\n    state\n    lagBytes\n    replayLagMs\n    checkedAt\n  }\n"): (typeof documents)["\n  fragment InstanceMemberFields on InstanceMember {\n    id\n    role\n    server {\n      id\n      name\n    }\n    host\n    port\n    state\n    lagBytes\n    replayLagMs\n    checkedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment HighAvailabilityFields on HighAvailability {\n    standbys\n    synchronous\n    lastFailoverAt\n    handovers(first: 10) {\n      id\n      planned\n      fromMemberId\n      toMemberId\n      operationId\n      writesStoppedAt\n      writesResumedAt\n      unavailableMs\n      createdAt\n      finishedAt\n    }\n  }\n"): (typeof documents)["\n  fragment HighAvailabilityFields on HighAvailability {\n    standbys\n    synchronous\n    lastFailoverAt\n    handovers(first: 10) {\n      id\n      planned\n      fromMemberId\n      toMemberId\n      operationId\n      writesStoppedAt\n      writesResumedAt\n      unavailableMs\n      createdAt\n      finishedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddStandby($instanceId: ID!, $serverId: ID) {\n    addStandby(instanceId: $instanceId, serverId: $serverId) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation AddStandby($instanceId: ID!, $serverId: ID) {\n    addStandby(instanceId: $instanceId, serverId: $serverId) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveStandby($memberId: ID!) {\n    removeStandby(memberId: $memberId) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation RemoveStandby($memberId: ID!) {\n    removeStandby(memberId: $memberId) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Switchover($instanceId: ID!, $toMemberId: ID) {\n    switchover(instanceId: $instanceId, toMemberId: $toMemberId) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation Switchover($instanceId: ID!, $toMemberId: ID) {\n    switchover(instanceId: $instanceId, toMemberId: $toMemberId) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Failover($instanceId: ID!, $force: Boolean! = false) {\n    failover(instanceId: $instanceId, force: $force) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation Failover($instanceId: ID!, $force: Boolean! = false) {\n    failover(instanceId: $instanceId, force: $force) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment InstancePlanFields on InstancePlan {\n    name\n    cpuRequestMillis\n    cpuLimitMillis\n    memoryMib\n  }\n"): (typeof documents)["\n  fragment InstancePlanFields on InstancePlan {\n    name\n    cpuRequestMillis\n    cpuLimitMillis\n    memoryMib\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query InstanceOfferings {\n    instanceProviders\n    instancePlans {\n      ...InstancePlanFields\n    }\n  }\n"): (typeof documents)["\n  query InstanceOfferings {\n    instanceProviders\n    instancePlans {\n      ...InstancePlanFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Versions($provider: Provider) {\n    versions(provider: $provider)\n  }\n"): (typeof documents)["\n  query Versions($provider: Provider) {\n    versions(provider: $provider)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StopInstance($id: ID!) {\n    stopInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation StopInstance($id: ID!) {\n    stopInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartInstance($id: ID!) {\n    startInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation StartInstance($id: ID!) {\n    startInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RestartInstance($id: ID!) {\n    restartInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation RestartInstance($id: ID!) {\n    restartInstance(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteInstance($id: ID!, $retainStorage: Boolean, $purgeBackups: Boolean) {\n    deleteInstance(id: $id, retainStorage: $retainStorage, purgeBackups: $purgeBackups) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteInstance($id: ID!, $retainStorage: Boolean, $purgeBackups: Boolean) {\n    deleteInstance(id: $id, retainStorage: $retainStorage, purgeBackups: $purgeBackups) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Operations($first: Int, $after: String, $filter: OperationFilter) {\n    operations(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        kind\n        targetKind\n        targetId\n        status\n        step\n        attempts\n        maxAttempts\n        error\n        createdAt\n        updatedAt\n        finishedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query Operations($first: Int, $after: String, $filter: OperationFilter) {\n    operations(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        id\n        kind\n        targetKind\n        targetId\n        status\n        step\n        attempts\n        maxAttempts\n        error\n        createdAt\n        updatedAt\n        finishedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OperationDetail($id: ID!) {\n    operation(id: $id) {\n      ...OperationFull\n    }\n  }\n"): (typeof documents)["\n  query OperationDetail($id: ID!) {\n    operation(id: $id) {\n      ...OperationFull\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OperationFull on Operation {\n    id\n    projectId\n    kind\n    targetKind\n    targetId\n    status\n    step\n    attempts\n    maxAttempts\n    error\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    steps {\n      seq\n      step\n      enteredAt\n    }\n  }\n"): (typeof documents)["\n  fragment OperationFull on Operation {\n    id\n    projectId\n    kind\n    targetKind\n    targetId\n    status\n    step\n    attempts\n    maxAttempts\n    error\n    createdAt\n    updatedAt\n    startedAt\n    finishedAt\n    steps {\n      seq\n      step\n      enteredAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OperationUpdated($id: ID) {\n    operationUpdated(id: $id) {\n      ...OperationFull\n    }\n  }\n"): (typeof documents)["\n  subscription OperationUpdated($id: ID) {\n    operationUpdated(id: $id) {\n      ...OperationFull\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClusterHealthFields on ClusterHealth {\n    cpuPercent\n    memoryPercent\n    sampledAt\n    source\n    available\n    unavailableSince\n    message\n    servers {\n      serverId\n      cpuPercent\n      memoryPercent\n      sampledAt\n    }\n    instances {\n      state\n      health\n      count\n    }\n  }\n"): (typeof documents)["\n  fragment ClusterHealthFields on ClusterHealth {\n    cpuPercent\n    memoryPercent\n    sampledAt\n    source\n    available\n    unavailableSince\n    message\n    servers {\n      serverId\n      cpuPercent\n      memoryPercent\n      sampledAt\n    }\n    instances {\n      state\n      health\n      count\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {\n    clusterHealth {\n      ...ClusterHealthFields\n    }\n    serverMetrics(from: $from, to: $to, step: $step) {\n      at\n      cpuPercent\n      memoryPercent\n    }\n    # Names for the server ids in the per-server figures and the fleet events; removed\n    # servers are listed only when asked for by state.\n    servers(first: 100) {\n      nodes {\n        id\n        name\n      }\n    }\n    removedServers: servers(first: 100, filter: { state: REMOVED }) {\n      nodes {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query Cluster($from: DateTime!, $to: DateTime!, $step: Int!) {\n    clusterHealth {\n      ...ClusterHealthFields\n    }\n    serverMetrics(from: $from, to: $to, step: $step) {\n      at\n      cpuPercent\n      memoryPercent\n    }\n    # Names for the server ids in the per-server figures and the fleet events; removed\n    # servers are listed only when asked for by state.\n    servers(first: 100) {\n      nodes {\n        id\n        name\n      }\n    }\n    removedServers: servers(first: 100, filter: { state: REMOVED }) {\n      nodes {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClusterHealthUpdated {\n    clusterHealthUpdated {\n      ...ClusterHealthFields\n    }\n  }\n"): (typeof documents)["\n  subscription ClusterHealthUpdated {\n    clusterHealthUpdated {\n      ...ClusterHealthFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ServerFields on Server {\n    id\n    projectId\n    name\n    provider\n    plan\n    region\n    providerId\n    vmName\n    ipv4\n    ipv6\n    state\n    failureReason\n    template\n    image\n    createdAt\n    updatedAt\n    stateChangedAt\n    removedAt\n    sshPort\n    sshUser\n    sshHostKey\n    sshPublicKey\n    memoryGb\n    diskGb\n    pgVersions\n  }\n"): (typeof documents)["\n  fragment ServerFields on Server {\n    id\n    projectId\n    name\n    provider\n    plan\n    region\n    providerId\n    vmName\n    ipv4\n    ipv6\n    state\n    failureReason\n    template\n    image\n    createdAt\n    updatedAt\n    stateChangedAt\n    removedAt\n    sshPort\n    sshUser\n    sshHostKey\n    sshPublicKey\n    memoryGb\n    diskGb\n    pgVersions\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Servers($first: Int, $after: String, $filter: ServerFilterInput) {\n    servers(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ServerFields\n        instanceCount\n      }\n    }\n  }\n"): (typeof documents)["\n  query Servers($first: Int, $after: String, $filter: ServerFilterInput) {\n    servers(first: $first, after: $after, filter: $filter) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ServerFields\n        instanceCount\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConfiguredProviders {\n    configuredProviders\n  }\n"): (typeof documents)["\n  query ConfiguredProviders {\n    configuredProviders\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ServerUpdated($id: ID) {\n    serverUpdated(id: $id) {\n      ...ServerFields\n    }\n  }\n"): (typeof documents)["\n  subscription ServerUpdated($id: ID) {\n    serverUpdated(id: $id) {\n      ...ServerFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ServerInstanceFields on Instance {\n    id\n    name\n    state\n    health\n    host\n    port\n    plan\n    storageGb\n    version\n    updatedAt\n  }\n"): (typeof documents)["\n  fragment ServerInstanceFields on Instance {\n    id\n    name\n    state\n    health\n    host\n    port\n    plan\n    storageGb\n    version\n    updatedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ServerInstanceUpdated {\n    instanceUpdated {\n      ...ServerInstanceFields\n      server {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ServerInstanceUpdated {\n    instanceUpdated {\n      ...ServerInstanceFields\n      server {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServerDetail($id: ID!) {\n    server(id: $id) {\n      ...ServerFields\n      labels {\n        key\n        value\n      }\n      instanceCount\n      instances {\n        ...ServerInstanceFields\n      }\n      latestMetrics {\n        cpuPercent\n        memoryPercent\n        sampledAt\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query ServerDetail($id: ID!) {\n    server(id: $id) {\n      ...ServerFields\n      labels {\n        key\n        value\n      }\n      instanceCount\n      instances {\n        ...ServerInstanceFields\n      }\n      latestMetrics {\n        cpuPercent\n        memoryPercent\n        sampledAt\n      }\n      operations(first: 10) {\n        id\n        kind\n        status\n        step\n        attempts\n        error\n        createdAt\n        finishedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PlanFields on Plan {\n    name\n    cores\n    memoryGb\n    diskGb\n    monthlyPrice\n    currency\n    architecture\n    regions\n    deprecated\n  }\n"): (typeof documents)["\n  fragment PlanFields on Plan {\n    name\n    cores\n    memoryGb\n    diskGb\n    monthlyPrice\n    currency\n    architecture\n    regions\n    deprecated\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FleetSetup {\n    configuredProviders\n    serverTemplates {\n      name\n      description\n    }\n  }\n"): (typeof documents)["\n  query FleetSetup {\n    configuredProviders\n    serverTemplates {\n      name\n      description\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CloudOfferings($provider: CloudProvider!) {\n    plans(provider: $provider) {\n      ...PlanFields\n    }\n    regions(provider: $provider)\n  }\n"): (typeof documents)["\n  query CloudOfferings($provider: CloudProvider!) {\n    plans(provider: $provider) {\n      ...PlanFields\n    }\n    regions(provider: $provider)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ProvisionServer($input: ProvisionServerInput!) {\n    provisionServer(input: $input) {\n      server {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ProvisionServer($input: ProvisionServerInput!) {\n    provisionServer(input: $input) {\n      server {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment DrainPlanFields on DrainPlan {\n    serverId\n    blocked\n    moves {\n      position\n      action\n      instanceId\n      instanceName\n      memberId\n      targetServerId\n      targetServerName\n    }\n  }\n"): (typeof documents)["\n  fragment DrainPlanFields on DrainPlan {\n    serverId\n    blocked\n    moves {\n      position\n      action\n      instanceId\n      instanceName\n      memberId\n      targetServerId\n      targetServerName\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DrainServer($id: ID!, $dryRun: Boolean!) {\n    drainServer(id: $id, dryRun: $dryRun) {\n      dryRun\n      plan {\n        ...DrainPlanFields\n      }\n      operation {\n        id\n        kind\n        status\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation DrainServer($id: ID!, $dryRun: Boolean!) {\n    drainServer(id: $id, dryRun: $dryRun) {\n      dryRun\n      plan {\n        ...DrainPlanFields\n      }\n      operation {\n        id\n        kind\n        status\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RegisterServer($input: RegisterServerInput!) {\n    registerServer(input: $input) {\n      server {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RegisterServer($input: RegisterServerInput!) {\n    registerServer(input: $input) {\n      server {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment InstanceMoveFields on InstanceMove {\n    id\n    instanceId\n    position\n    phase\n    instance {\n      id\n      name\n    }\n    source {\n      id\n      name\n    }\n    target {\n      id\n      name\n    }\n    operation {\n      id\n      status\n      step\n      error\n    }\n    lagBytes\n    unavailableMs\n    writesStoppedAt\n    writesResumedAt\n    error\n    createdAt\n    finishedAt\n  }\n"): (typeof documents)["\n  fragment InstanceMoveFields on InstanceMove {\n    id\n    instanceId\n    position\n    phase\n    instance {\n      id\n      name\n    }\n    source {\n      id\n      name\n    }\n    target {\n      id\n      name\n    }\n    operation {\n      id\n      status\n      step\n      error\n    }\n    lagBytes\n    unavailableMs\n    writesStoppedAt\n    writesResumedAt\n    error\n    createdAt\n    finishedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DrainProgress($id: ID!) {\n    operation(id: $id) {\n      id\n      kind\n      status\n      step\n      error\n      targetId\n      createdAt\n      updatedAt\n      finishedAt\n      moves {\n        ...InstanceMoveFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query DrainProgress($id: ID!) {\n    operation(id: $id) {\n      id\n      kind\n      status\n      step\n      error\n      targetId\n      createdAt\n      updatedAt\n      finishedAt\n      moves {\n        ...InstanceMoveFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MoveProgress($id: ID!) {\n    operation(id: $id) {\n      id\n      kind\n      status\n      step\n      error\n      targetId\n      createdAt\n      updatedAt\n      finishedAt\n      move {\n        ...InstanceMoveFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query MoveProgress($id: ID!) {\n    operation(id: $id) {\n      id\n      kind\n      status\n      step\n      error\n      targetId\n      createdAt\n      updatedAt\n      finishedAt\n      move {\n        ...InstanceMoveFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MoveInstance($id: ID!, $serverId: ID) {\n    moveInstance(id: $id, serverId: $serverId) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation MoveInstance($id: ID!, $serverId: ID) {\n    moveInstance(id: $id, serverId: $serverId) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ActiveServers {\n    servers(first: 100, filter: { state: ACTIVE }) {\n      nodes {\n        id\n        projectId\n        name\n        provider\n        region\n        state\n        sshHostKey\n        memoryGb\n        diskGb\n        pgVersions\n        instanceCount\n      }\n    }\n  }\n"): (typeof documents)["\n  query ActiveServers {\n    servers(first: 100, filter: { state: ACTIVE }) {\n      nodes {\n        id\n        projectId\n        name\n        provider\n        region\n        state\n        sshHostKey\n        memoryGb\n        diskGb\n        pgVersions\n        instanceCount\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveServer($id: ID!) {\n    removeServer(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation RemoveServer($id: ID!) {\n    removeServer(id: $id) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RefreshPlans($provider: CloudProvider!) {\n    refreshPlans(provider: $provider) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation RefreshPlans($provider: CloudProvider!) {\n    refreshPlans(provider: $provider) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ScalingOperationFields on ScalingOperation {\n    id\n    provider\n    plan\n    region\n    currentCount\n    targetCount\n    dryRun\n    actions {\n      order\n      action\n      serverId\n      serverName\n      monthlyCost\n    }\n    monthlyCostDelta\n    currency\n    createdAt\n    operation {\n      id\n      kind\n      status\n      step\n      error\n      updatedAt\n    }\n  }\n"): (typeof documents)["\n  fragment ScalingOperationFields on ScalingOperation {\n    id\n    provider\n    plan\n    region\n    currentCount\n    targetCount\n    dryRun\n    actions {\n      order\n      action\n      serverId\n      serverName\n      monthlyCost\n    }\n    monthlyCostDelta\n    currency\n    createdAt\n    operation {\n      id\n      kind\n      status\n      step\n      error\n      updatedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ScaleCluster($provider: CloudProvider!, $plan: String!, $region: String!, $count: Int!, $dryRun: Boolean!, $projectId: ID) {\n    scaleCluster(provider: $provider, plan: $plan, region: $region, count: $count, dryRun: $dryRun, projectId: $projectId) {\n      ...ScalingOperationFields\n    }\n  }\n"): (typeof documents)["\n  mutation ScaleCluster($provider: CloudProvider!, $plan: String!, $region: String!, $count: Int!, $dryRun: Boolean!, $projectId: ID) {\n    scaleCluster(provider: $provider, plan: $plan, region: $region, count: $count, dryRun: $dryRun, projectId: $projectId) {\n      ...ScalingOperationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ScalingOperations($first: Int, $after: String) {\n    scalingOperations(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ScalingOperationFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query ScalingOperations($first: Int, $after: String) {\n    scalingOperations(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ScalingOperationFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClusterEventFields on ClusterEvent {\n    id\n    serverId\n    instanceId\n    kind\n    severity\n    message\n    createdAt\n  }\n"): (typeof documents)["\n  fragment ClusterEventFields on ClusterEvent {\n    id\n    serverId\n    instanceId\n    kind\n    severity\n    message\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ClusterEvents($first: Int, $after: String, $serverId: ID, $instanceId: ID) {\n    clusterEvents(first: $first, after: $after, serverId: $serverId, instanceId: $instanceId) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ClusterEventFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query ClusterEvents($first: Int, $after: String, $serverId: ID, $instanceId: ID) {\n    clusterEvents(first: $first, after: $after, serverId: $serverId, instanceId: $instanceId) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...ClusterEventFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClusterEventAdded($serverId: ID, $instanceId: ID) {\n    clusterEvents(serverId: $serverId, instanceId: $instanceId) {\n      ...ClusterEventFields\n    }\n  }\n"): (typeof documents)["\n  subscription ClusterEventAdded($serverId: ID, $instanceId: ID) {\n    clusterEvents(serverId: $serverId, instanceId: $instanceId) {\n      ...ClusterEventFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProjectFields on Project {\n    id\n    name\n    createdAt\n    myRole\n  }\n"): (typeof documents)["\n  fragment ProjectFields on Project {\n    id\n    name\n    createdAt\n    myRole\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserFields on User {\n    id\n    email\n    isSiteAdmin\n    disabled\n    roles {\n      projectId\n      projectName\n      role\n    }\n  }\n"): (typeof documents)["\n  fragment UserFields on User {\n    id\n    email\n    isSiteAdmin\n    disabled\n    roles {\n      projectId\n      projectName\n      role\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Projects {\n    me {\n      ...UserFields\n    }\n    projects {\n      ...ProjectFields\n    }\n  }\n"): (typeof documents)["\n  query Projects {\n    me {\n      ...UserFields\n    }\n    projects {\n      ...ProjectFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateProject($name: String!) {\n    createProject(name: $name) {\n      ...ProjectFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateProject($name: String!) {\n    createProject(name: $name) {\n      ...ProjectFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RenameProject($id: ID!, $name: String!) {\n    renameProject(id: $id, name: $name) {\n      ...ProjectFields\n    }\n  }\n"): (typeof documents)["\n  mutation RenameProject($id: ID!, $name: String!) {\n    renameProject(id: $id, name: $name) {\n      ...ProjectFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteProject($id: ID!) {\n    deleteProject(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteProject($id: ID!) {\n    deleteProject(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MemberFields on Member {\n    userId\n    email\n    role\n    disabled\n    since\n  }\n"): (typeof documents)["\n  fragment MemberFields on Member {\n    userId\n    email\n    role\n    disabled\n    since\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProjectMembers($id: ID!, $withUsers: Boolean!) {\n    project(id: $id) {\n      ...ProjectFields\n      members {\n        ...MemberFields\n      }\n    }\n    users @include(if: $withUsers) {\n      id\n      email\n      disabled\n    }\n  }\n"): (typeof documents)["\n  query ProjectMembers($id: ID!, $withUsers: Boolean!) {\n    project(id: $id) {\n      ...ProjectFields\n      members {\n        ...MemberFields\n      }\n    }\n    users @include(if: $withUsers) {\n      id\n      email\n      disabled\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetMemberRole($projectId: ID!, $userId: ID!, $role: Role!) {\n    setMemberRole(projectId: $projectId, userId: $userId, role: $role) {\n      ...MemberFields\n    }\n  }\n"): (typeof documents)["\n  mutation SetMemberRole($projectId: ID!, $userId: ID!, $role: Role!) {\n    setMemberRole(projectId: $projectId, userId: $userId, role: $role) {\n      ...MemberFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveMember($projectId: ID!, $userId: ID!) {\n    removeMember(projectId: $projectId, userId: $userId) {\n      ...MemberFields\n    }\n  }\n"): (typeof documents)["\n  mutation RemoveMember($projectId: ID!, $userId: ID!) {\n    removeMember(projectId: $projectId, userId: $userId) {\n      ...MemberFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ApiTokenFields on ApiToken {\n    id\n    projectId\n    name\n    role\n    createdAt\n    expiresAt\n    revokedAt\n    lastUsedAt\n    active\n  }\n"): (typeof documents)["\n  fragment ApiTokenFields on ApiToken {\n    id\n    projectId\n    name\n    role\n    createdAt\n    expiresAt\n    revokedAt\n    lastUsedAt\n    active\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProjectTokens($id: ID!, $withTokens: Boolean!) {\n    project(id: $id) {\n      ...ProjectFields\n      apiTokens @include(if: $withTokens) {\n        ...ApiTokenFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query ProjectTokens($id: ID!, $withTokens: Boolean!) {\n    project(id: $id) {\n      ...ProjectFields\n      apiTokens @include(if: $withTokens) {\n        ...ApiTokenFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiToken($projectId: ID!, $name: String!, $role: Role!, $expiresAt: DateTime) {\n    createApiToken(projectId: $projectId, name: $name, role: $role, expiresAt: $expiresAt) {\n      token {\n        ...ApiTokenFields\n      }\n      secret\n    }\n  }\n"): (typeof documents)["\n  mutation CreateApiToken($projectId: ID!, $name: String!, $role: Role!, $expiresAt: DateTime) {\n    createApiToken(projectId: $projectId, name: $name, role: $role, expiresAt: $expiresAt) {\n      token {\n        ...ApiTokenFields\n      }\n      secret\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiToken($id: ID!) {\n    revokeApiToken(id: $id) {\n      ...ApiTokenFields\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeApiToken($id: ID!) {\n    revokeApiToken(id: $id) {\n      ...ApiTokenFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Users {\n    users {\n      ...UserFields\n    }\n  }\n"): (typeof documents)["\n  query Users {\n    users {\n      ...UserFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateUser($email: String!, $password: String!, $siteAdmin: Boolean!) {\n    createUser(email: $email, password: $password, siteAdmin: $siteAdmin) {\n      ...UserFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateUser($email: String!, $password: String!, $siteAdmin: Boolean!) {\n    createUser(email: $email, password: $password, siteAdmin: $siteAdmin) {\n      ...UserFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DisableUser($id: ID!) {\n    disableUser(id: $id) {\n      ...UserFields\n    }\n  }\n"): (typeof documents)["\n  mutation DisableUser($id: ID!) {\n    disableUser(id: $id) {\n      ...UserFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EnableUser($id: ID!) {\n    enableUser(id: $id) {\n      ...UserFields\n    }\n  }\n"): (typeof documents)["\n  mutation EnableUser($id: ID!) {\n    enableUser(id: $id) {\n      ...UserFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteUser($id: ID!) {\n    deleteUser(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteUser($id: ID!) {\n    deleteUser(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResetPassword($userId: ID!, $password: String!) {\n    resetPassword(userId: $userId, password: $password)\n  }\n"): (typeof documents)["\n  mutation ResetPassword($userId: ID!, $password: String!) {\n    resetPassword(userId: $userId, password: $password)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n  }\n"): (typeof documents)["\n  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SigningKeyFields on SigningKey {\n    kid\n    algorithm\n    state\n    createdAt\n    retireAfter\n    configured\n  }\n"): (typeof documents)["\n  fragment SigningKeyFields on SigningKey {\n    kid\n    algorithm\n    state\n    createdAt\n    retireAfter\n    configured\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SigningKeys {\n    signingKeys {\n      ...SigningKeyFields\n    }\n  }\n"): (typeof documents)["\n  query SigningKeys {\n    signingKeys {\n      ...SigningKeyFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RotateSigningKey {\n    rotateSigningKey {\n      ...SigningKeyFields\n    }\n  }\n"): (typeof documents)["\n  mutation RotateSigningKey {\n    rotateSigningKey {\n      ...SigningKeyFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AuditEntryFields on AuditEntry {\n    id\n    at\n    actor\n    actorUserId\n    tokenId\n    projectId\n    action\n    targetId\n    arguments\n    sourceIp\n    userAgent\n    outcome\n    errorCode\n    errorMessage\n  }\n"): (typeof documents)["\n  fragment AuditEntryFields on AuditEntry {\n    id\n    at\n    actor\n    actorUserId\n    tokenId\n    projectId\n    action\n    targetId\n    arguments\n    sourceIp\n    userAgent\n    outcome\n    errorCode\n    errorMessage\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditLog($first: Int, $after: String, $projectId: ID) {\n    auditLog(first: $first, after: $after, projectId: $projectId) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...AuditEntryFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query AuditLog($first: Int, $after: String, $projectId: ID) {\n    auditLog(first: $first, after: $after, projectId: $projectId) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...AuditEntryFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RowSetFields on RowSet {\n    columns {\n      name\n      dataType\n    }\n    rows\n    truncated\n    nextCursor\n  }\n"): (typeof documents)["\n  fragment RowSetFields on RowSet {\n    columns {\n      name\n      dataType\n    }\n    rows\n    truncated\n    nextCursor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query InstanceTables($id: ID!) {\n    instance(id: $id) {\n      id\n      tables {\n        schema\n        name\n        kind\n        estimatedRows\n        sizeBytes\n        columns {\n          name\n          dataType\n          nullable\n          default\n          primaryKey\n        }\n        indexes {\n          name\n          definition\n          unique\n          primary\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query InstanceTables($id: ID!) {\n    instance(id: $id) {\n      id\n      tables {\n        schema\n        name\n        kind\n        estimatedRows\n        sizeBytes\n        columns {\n          name\n          dataType\n          nullable\n          default\n          primaryKey\n        }\n        indexes {\n          name\n          definition\n          unique\n          primary\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query InstanceRows($id: ID!, $table: String!, $schema: String!, $first: Int!, $after: String) {\n    instance(id: $id) {\n      id\n      rows(table: $table, schema: $schema, first: $first, after: $after) {\n        ...RowSetFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query InstanceRows($id: ID!, $table: String!, $schema: String!, $first: Int!, $after: String) {\n    instance(id: $id) {\n      id\n      rows(table: $table, schema: $schema, first: $first, after: $after) {\n        ...RowSetFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunReadOnlyQuery($instanceId: ID!, $sql: String!) {\n    runReadOnlyQuery(instanceId: $instanceId, sql: $sql) {\n      ...RowSetFields\n    }\n  }\n"): (typeof documents)["\n  mutation RunReadOnlyQuery($instanceId: ID!, $sql: String!) {\n    runReadOnlyQuery(instanceId: $instanceId, sql: $sql) {\n      ...RowSetFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ArchivingFields on Archiving {\n    lastArchivedAt\n    lastFailedAt\n    lastError\n  }\n"): (typeof documents)["\n  fragment ArchivingFields on Archiving {\n    lastArchivedAt\n    lastFailedAt\n    lastError\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment BackupFields on Backup {\n    id\n    kind\n    status\n    startedAt\n    finishedAt\n    sizeBytes\n    storedBytes\n    label\n    error\n    operationId\n  }\n"): (typeof documents)["\n  fragment BackupFields on Backup {\n    id\n    kind\n    status\n    startedAt\n    finishedAt\n    sizeBytes\n    storedBytes\n    label\n    error\n    operationId\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RestoreDrillFields on RestoreDrill {\n    id\n    at\n    status\n    finishedAt\n    rtoMs\n    rpoMs\n    error\n    scratchInstanceId\n    operationId\n  }\n"): (typeof documents)["\n  fragment RestoreDrillFields on RestoreDrill {\n    id\n    at\n    status\n    finishedAt\n    rtoMs\n    rpoMs\n    error\n    scratchInstanceId\n    operationId\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query InstanceBackups($id: ID!, $first: Int!, $drills: Int!) {\n    instance(id: $id) {\n      id\n      updatedAt\n      backupPolicy {\n        schedule\n        retentionDays\n      }\n      earliestRestoreTime\n      latestRestoreTime\n      archiving {\n        ...ArchivingFields\n      }\n      backups(first: $first) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...BackupFields\n        }\n      }\n      restoreDrills(first: $drills) {\n        ...RestoreDrillFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query InstanceBackups($id: ID!, $first: Int!, $drills: Int!) {\n    instance(id: $id) {\n      id\n      updatedAt\n      backupPolicy {\n        schedule\n        retentionDays\n      }\n      earliestRestoreTime\n      latestRestoreTime\n      archiving {\n        ...ArchivingFields\n      }\n      backups(first: $first) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...BackupFields\n        }\n      }\n      restoreDrills(first: $drills) {\n        ...RestoreDrillFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query InstanceBackupsPage($id: ID!, $first: Int!, $after: String) {\n    instance(id: $id) {\n      id\n      backups(first: $first, after: $after) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...BackupFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query InstanceBackupsPage($id: ID!, $first: Int!, $after: String) {\n    instance(id: $id) {\n      id\n      backups(first: $first, after: $after) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          ...BackupFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateBackup($instanceId: ID!, $kind: BackupKind!) {\n    createBackup(instanceId: $instanceId, kind: $kind) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation CreateBackup($instanceId: ID!, $kind: BackupKind!) {\n    createBackup(instanceId: $instanceId, kind: $kind) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetBackupPolicy($instanceId: ID!, $schedule: String!, $retentionDays: Int!) {\n    setBackupPolicy(instanceId: $instanceId, schedule: $schedule, retentionDays: $retentionDays) {\n      schedule\n      retentionDays\n    }\n  }\n"): (typeof documents)["\n  mutation SetBackupPolicy($instanceId: ID!, $schedule: String!, $retentionDays: Int!) {\n    setBackupPolicy(instanceId: $instanceId, schedule: $schedule, retentionDays: $retentionDays) {\n      schedule\n      retentionDays\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RestoreInstance($input: RestoreInstanceInput!) {\n    restoreInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RestoreInstance($input: RestoreInstanceInput!) {\n    restoreInstance(input: $input) {\n      instance {\n        id\n        name\n        state\n      }\n      operation {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RunRestoreDrill($instanceId: ID!) {\n    runRestoreDrill(instanceId: $instanceId) {\n      id\n      kind\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation RunRestoreDrill($instanceId: ID!) {\n    runRestoreDrill(instanceId: $instanceId) {\n      id\n      kind\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RestoreDrillPolicy($projectId: ID) {\n    restoreDrillPolicy(projectId: $projectId) {\n      projectId\n      schedule\n    }\n  }\n"): (typeof documents)["\n  query RestoreDrillPolicy($projectId: ID) {\n    restoreDrillPolicy(projectId: $projectId) {\n      projectId\n      schedule\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetRestoreDrillPolicy($projectId: ID, $schedule: String!) {\n    setRestoreDrillPolicy(projectId: $projectId, schedule: $schedule) {\n      projectId\n      schedule\n    }\n  }\n"): (typeof documents)["\n  mutation SetRestoreDrillPolicy($projectId: ID, $schedule: String!) {\n    setRestoreDrillPolicy(projectId: $projectId, schedule: $schedule) {\n      projectId\n      schedule\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProjectQuotaFields on Project {\n    id\n    quota {\n      instances\n      storageGb\n      servers\n      standbys\n      isDefault\n    }\n    usage {\n      instances\n      storageGb\n      servers\n      standbys\n    }\n  }\n"): (typeof documents)["\n  fragment ProjectQuotaFields on Project {\n    id\n    quota {\n      instances\n      storageGb\n      servers\n      standbys\n      isDefault\n    }\n    usage {\n      instances\n      storageGb\n      servers\n      standbys\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProjectQuota($id: ID!) {\n    project(id: $id) {\n      ...ProjectQuotaFields\n    }\n  }\n"): (typeof documents)["\n  query ProjectQuota($id: ID!) {\n    project(id: $id) {\n      ...ProjectQuotaFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetProjectQuota($projectId: ID!, $input: ProjectQuotaInput!) {\n    setProjectQuota(projectId: $projectId, input: $input) {\n      ...ProjectQuotaFields\n    }\n  }\n"): (typeof documents)["\n  mutation SetProjectQuota($projectId: ID!, $input: ProjectQuotaInput!) {\n    setProjectQuota(projectId: $projectId, input: $input) {\n      ...ProjectQuotaFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CertificateAuthority {\n    certificateAuthority {\n      pem\n    }\n  }\n"): (typeof documents)["\n  query CertificateAuthority {\n    certificateAuthority {\n      pem\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;