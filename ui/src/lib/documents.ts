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
      }
    }
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
      lastCheckedAt
      latencyMs
      serverVersion
      createdAt
      updatedAt
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
  mutation DeleteInstance($id: ID!, $retainStorage: Boolean) {
    deleteInstance(id: $id, retainStorage: $retainStorage) {
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

export const ServerDetailQuery = graphql(`
  query ServerDetail($id: ID!) {
    server(id: $id) {
      ...ServerFields
      labels {
        key
        value
      }
      instanceCount
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

export const DrainServerMutation = graphql(`
  mutation DrainServer($id: ID!) {
    drainServer(id: $id) {
      id
      kind
      status
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
  mutation ScaleCluster($provider: CloudProvider!, $plan: String!, $region: String!, $count: Int!, $dryRun: Boolean!) {
    scaleCluster(provider: $provider, plan: $plan, region: $region, count: $count, dryRun: $dryRun) {
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
